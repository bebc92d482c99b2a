"""Bounded memory for non-streamed Argo answers (issue 11, defect 4): argo-mcp reads at most
--argo-max-response-mib of one answer, in chunks, and stops there; and it returns at most --max-answer-mib. Both
refusals say how to narrow the request."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import psutil

from tests.support.fake_argo import FakeArgo, Workflow
from tests.support.processes import ServerProcess, http_client, peak_rss, text_of
from tests.support.samples import VERSION, chunks, wide_workflow_list

MIB = 1024 * 1024


async def test_a_256_mib_answer_is_read_only_up_to_the_cap_in_bounded_memory(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    item = b'{"metadata":{"name":"' + b"x" * 200 + b'"}},'
    per_chunk = item * (MIB // len(item))

    async def huge_list() -> AsyncIterator[bytes]:  # chunked: no Content-Length tells the size up front
        yield b'{"metadata":{},"items":['
        for _ in range(256):
            yield per_chunk
            await asyncio.sleep(0)
        yield b'{"metadata":{"name":"last"}}]}'

    argo.on("WorkflowService_ListWorkflows", stream=huge_list)
    baseline = psutil.Process(shared_server.proc.pid).memory_info().rss
    stop = asyncio.Event()
    sampler = asyncio.create_task(peak_rss(shared_server.proc.pid, stop))
    async with http_client(shared_server.url) as client:
        result = await asyncio.wait_for(client.call_tool("list_workflows", {"full": True}), timeout=60)
    stop.set()
    peak = await sampler
    assert result.is_error
    message = text_of(result)
    assert "Argo's answer is too large" in message and "more than 32 MiB" in message, message
    assert "--argo-max-response-mib" in message and "limit" in message and "fields" in message
    await asyncio.sleep(0.5)
    stats = argo.stream_stats["WorkflowService_ListWorkflows"]
    assert stats.closed_early and not stats.finished
    assert stats.bytes_sent < 48 * MIB, f"argo-mcp kept reading: {stats.bytes_sent / MIB:.0f} MiB were sent"
    assert len(argo.calls("WorkflowService_ListWorkflows")) == 1, "a too-large answer must not be retried"
    assert peak - baseline < 96 * MIB, f"RSS grew by {(peak - baseline) / MIB:.0f} MiB"


async def test_small_caps_refuse_big_answers_and_name_the_way_to_narrow(
    argo: FakeArgo, server_with: Any
) -> None:
    server = await server_with(
        "--argo-max-response-mib",
        "0.25",
        "--max-answer-mib",
        "0.0078125",  # 8 KiB
    )
    many = {"metadata": {}, "items": [Workflow(f"wf-{i}").json() for i in range(60)]}
    too_many = {"metadata": {}, "items": [Workflow(f"wf-{i}").json() for i in range(1200)]}
    async with http_client(server.url) as client:
        argo.on("WorkflowService_ListWorkflows", many)
        answer = await client.call_tool("list_workflows", {"full": True})
        argo.on("WorkflowService_ListWorkflows", too_many)  # ~0.6 MiB, with a Content-Length
        read = await client.call_tool("list_workflows", {"full": True})
        argo.on("InfoService_GetVersion", VERSION)
        small = await client.call_tool("get_argo_version", {})
    assert answer.is_error
    text = text_of(answer)
    # Refused while the list was shaped (tools/budget.py), before its JSON was built; the pipeline names the tool.
    assert "The answer of list_workflows would be about" in text, text
    assert "more than the 8 KiB argo-mcp returns" in text and "items fit" in text, text
    assert "a smaller limit (page on with continue)" in text and "full=false" in text
    assert "--max-answer-mib" in text
    assert read.is_error and "more than 256 KiB" in text_of(read), text_of(read)
    assert not small.is_error, text_of(small)


async def test_a_full_list_over_the_answer_cap_leaves_memory_where_it_was(
    argo: FakeArgo, server_with: Any
) -> None:
    """Issue 27.7: a 13 MiB `full: true` list was decoded whole (~100 MiB of objects), written out as JSON, and
    refused only then; RSS stayed ~110 MiB higher. It is now refused while read item by item, and the body is
    let go at once (not kept by the refusal's traceback until a rare full collection)."""
    body = wide_workflow_list(5000)
    argo.on("WorkflowService_ListWorkflows", stream=chunks(body, MIB))
    # A server of its own: the shared one's heap, shaped by every earlier test, would measure fragmentation.
    server: ServerProcess = await server_with()
    process = psutil.Process(server.proc.pid)
    async with http_client(server.url) as client:
        # Two first: imports, buffers, pools, and the allocator's arenas at their working size (after one, a
        # full-suite run once measured 23.7 MiB of arena growth over the next three, with nothing retained).
        for _ in range(2):
            await client.call_tool("list_workflows", {"full": True})
        await asyncio.sleep(0.5)
        before = process.memory_info().rss
        for _ in range(3):
            result = await client.call_tool("list_workflows", {"full": True})
            assert result.is_error and "--max-answer-mib" in text_of(result), text_of(result)
        await asyncio.sleep(0.5)
        after = process.memory_info().rss
    assert len(body) > 10 * MIB
    # The bug kept ~110 MiB (the decoded list); the allocator's arenas alone have moved RSS by up to 23.7 MiB in a
    # loaded full-suite run (11.7 MiB on two xdist workers), with nothing retained. 40 MiB tells the two apart.
    assert after - before < 40 * MIB, f"RSS grew by {(after - before) / MIB:.1f} MiB over 3 refused lists"
