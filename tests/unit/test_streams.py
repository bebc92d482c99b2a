"""Bounded streams: a 50 MiB log read no further than the read limit and answered within the 64 KiB cap, and
a 200 MiB artifact with flat memory."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

import psutil

from tests.support.fake_argo import FakeArgo
from tests.support.processes import ServerProcess, http_client, payload, peak_rss, text_of

MIB = 1024 * 1024


async def test_a_50_mib_log_is_read_no_further_than_the_read_limit(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    line = json.dumps({"result": {"content": "x" * 200, "podName": "big-pod"}}).encode() + b"\n"
    per_chunk = line * (MIB // len(line))

    async def fifty_mib() -> AsyncIterator[bytes]:
        for _ in range(50):
            yield per_chunk
            await asyncio.sleep(0)

    argo.on("WorkflowService_WorkflowLogs", stream=fifty_mib)
    async with http_client(shared_server.url) as client:
        result = await client.call_tool("get_workflow_logs", {"name": "big", "tailLines": 100_000})
    assert not result.is_error
    text = text_of(result)
    head, body = text.split("\n", 1)
    assert head.startswith("[argo-mcp: output truncated at 65536 bytes, earlier lines omitted")
    assert "tailLines" in head  # tells the agent how to narrow the request
    body, limit = body.rsplit("\n[argo-mcp: stopped reading after 4 MiB of log", 1)
    assert len(body.encode()) <= 64 * 1024
    assert all(row == "big-pod: " + "x" * 200 for row in body.splitlines()), "cut on line boundaries"
    assert "not necessarily the log's last lines" in limit
    assert result.structured_content is not None
    assert result.structured_content["truncated"] is True
    assert result.structured_content["readLimited"] is True
    assert "log" not in result.structured_content, "the log is sent once, as text"
    await asyncio.sleep(0.5)
    stats = argo.stream_stats["WorkflowService_WorkflowLogs"]
    assert stats.closed_early and not stats.finished
    # 4 MiB read, plus what the kernel's and aiohttp's buffers had taken in when reading stopped (of 50 MiB)
    assert stats.bytes_sent < 16 * MIB, f"argo-mcp kept reading: {stats.bytes_sent} bytes were sent"


async def test_follow_stream_is_bounded_by_time(argo: FakeArgo, shared_server: ServerProcess) -> None:
    async def never_ending() -> AsyncIterator[bytes]:
        yield json.dumps({"result": {"content": "started", "podName": "p"}}).encode() + b"\n"
        await asyncio.sleep(3600)

    argo.on("WorkflowService_PodLogs", stream=never_ending)
    async with http_client(shared_server.url) as client:
        result = await asyncio.wait_for(
            client.call_tool(
                "get_pod_logs", {"name": "wf", "podName": "p", "follow": True, "timeLimitSeconds": 1}
            ),
            timeout=20,
        )
    assert not result.is_error
    assert text_of(result).startswith("started\n")
    assert "stopped reading after 1s" in text_of(result)
    assert argo.last("WorkflowService_PodLogs").q("logOptions.follow") == "true"


def _pattern_chunk() -> bytes:
    return bytes(range(256)) * (MIB // 256)


async def test_200_mib_artifact_streams_with_flat_memory_and_right_sha256(
    argo: FakeArgo, shared_server: ServerProcess, session_tmp: Path
) -> None:
    chunk = _pattern_chunk()
    expected = hashlib.sha256()
    for _ in range(200):
        expected.update(chunk)

    async def two_hundred_mib() -> AsyncIterator[bytes]:
        for _ in range(200):
            yield chunk

    argo.on(
        "ArtifactService_GetArtifactFile", stream=two_hundred_mib, content_type="application/octet-stream"
    )
    baseline = psutil.Process(shared_server.proc.pid).memory_info().rss
    stop = asyncio.Event()
    sampler = asyncio.create_task(peak_rss(shared_server.proc.pid, stop))
    async with http_client(shared_server.url) as client:
        result = await client.call_tool(
            "get_workflow_output_artifact",
            {
                "workflowName": "wf",
                "nodeId": "wf-123",
                "artifactName": "data",
                "destinationPath": "big/data.bin",
            },
        )
    stop.set()
    peak = await sampler
    assert not result.is_error, text_of(result)
    saved = payload(result)
    target = session_tmp / "artifacts" / "big" / "data.bin"
    assert saved == {"path": str(target), "bytes": 200 * MIB, "sha256": expected.hexdigest()}
    assert target.stat().st_size == 200 * MIB
    assert (
        argo.last("ArtifactService_GetArtifactFile").path
        == "/artifact-files/argo/workflows/wf/wf-123/outputs/data"
    )
    assert peak - baseline < 20 * MIB, f"RSS grew by {(peak - baseline) / MIB:.1f} MiB"
    target.unlink()


async def test_failed_download_leaves_nothing_behind(
    argo: FakeArgo, shared_server: ServerProcess, session_tmp: Path
) -> None:
    async def breaks_midway() -> AsyncIterator[bytes]:
        yield b"a" * MIB
        raise ConnectionResetError("simulated network failure")

    argo.on("ArtifactService_GetInputArtifact", stream=breaks_midway, content_type="application/octet-stream")
    folder = session_tmp / "artifacts" / "broken"
    async with http_client(shared_server.url) as client:
        result = await client.call_tool(
            "get_workflow_input_artifact",
            {"workflowName": "wf", "nodeId": "n1", "artifactName": "in", "destinationPath": "broken/in.bin"},
        )
    assert result.is_error
    assert "in.bin" not in {p.name for p in folder.glob("*")}
    assert not list(folder.glob("*.part")), "a partial download was left behind"


async def test_destination_outside_the_artifact_dir_is_refused(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    async with http_client(shared_server.url) as client:
        for path in ("../escape.bin", "/etc/passwd", "a/../../x"):
            result = await client.call_tool(
                "get_workflow_output_artifact",
                {"workflowName": "wf", "nodeId": "n", "artifactName": "a", "destinationPath": path},
            )
            assert result.is_error
            assert "outside the allowed artifact directory" in text_of(result)
    assert argo.requests == []


async def test_existing_file_is_not_overwritten_unless_asked(
    argo: FakeArgo, shared_server: ServerProcess, session_tmp: Path
) -> None:
    target = session_tmp / "artifacts" / "keep.txt"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("precious")

    async def small() -> AsyncIterator[bytes]:
        yield b"new content"

    argo.on("ArtifactService_GetOutputArtifactByUID", stream=small)
    argo.on("ArtifactService_GetArtifactFile", stream=small, content_type="application/octet-stream")
    args = {"workflowName": "wf", "nodeId": "n", "artifactName": "a", "destinationPath": "keep.txt"}
    async with http_client(shared_server.url) as client:
        refused = await client.call_tool("get_workflow_output_artifact", args)
        assert refused.is_error and "overwrite=true" in text_of(refused)
        assert target.read_text() == "precious"
        replaced = await client.call_tool("get_workflow_output_artifact", {**args, "overwrite": True})
    assert not replaced.is_error
    assert target.read_text() == "new content"
    assert payload(replaced)["sha256"] == hashlib.sha256(b"new content").hexdigest()


async def test_plain_text_log_lines_are_redacted_too(argo: FakeArgo, shared_server: ServerProcess) -> None:
    async def raw_lines() -> AsyncIterator[bytes]:
        yield b"not json: api_key=sk-live-123456 connecting\n"

    argo.on("WorkflowService_PodLogs", stream=raw_lines)
    async with http_client(shared_server.url) as client:
        result = await client.call_tool("get_pod_logs", {"name": "wf", "podName": "p"})
    assert not result.is_error
    assert text_of(result) == "not json: api_key=[redacted] connecting\n"
