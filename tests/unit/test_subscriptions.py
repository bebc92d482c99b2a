"""Live updates of a workflow resource (issue 25, point 5): `subscriptions/listen` (2026-07-28) acknowledges only
the workflows the caller may read and forwards a `notifications/resources/updated` when Argo's watch reports a
change, with one upstream watch per workflow however many listen; over stdio `resources/subscribe` does the
same, and stateless HTTP says what works instead."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.support.fake_argo import FakeArgo, Workflow
from tests.support.processes import REPO, ServerProcess, clean_env, start_argo_mcp
from tests.support.raw_mcp import rpc_answer

WATCH = "WorkflowService_WatchWorkflows"
URI = "argo://workflows/team-a/etl-7x2k"
FOREIGN = "argo://workflows/kube-system/etl-7x2k"


def _changes(release: asyncio.Event) -> Any:
    """Argo's watch stream: one MODIFIED event once `release` is set, then open until the client leaves."""

    async def chunks() -> AsyncIterator[bytes]:
        await release.wait()
        event = {"result": {"type": "MODIFIED", "object": Workflow("etl-7x2k", namespace="team-a").json()}}
        yield (json.dumps(event) + "\n").encode()
        await asyncio.sleep(30)

    return chunks


@pytest.fixture
async def confined(argo_url: str, tmp_path: Path) -> AsyncIterator[ServerProcess]:
    server = await start_argo_mcp(
        tmp_path, "--argo-server-url", argo_url, "--argo-auth-mode", "none", "--namespaces", "team-a"
    )
    try:
        yield server
    finally:
        await server.stop()


async def _listen(url: str, uris: list[str], frames: list[dict[str, Any]], want: int) -> None:
    meta = {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    body = {
        "jsonrpc": "2.0",
        "id": 11,
        "method": "subscriptions/listen",
        "params": {"notifications": {"resourceSubscriptions": uris}, "_meta": meta},
    }
    headers = {
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": "2026-07-28",
        "Mcp-Method": "subscriptions/listen",
    }
    async with (
        httpx2.AsyncClient(timeout=30) as http,
        http.stream("POST", url, json=body, headers=headers) as answer,
    ):
        assert answer.status_code == 200, await answer.aread()
        async for line in answer.aiter_lines():
            if line.startswith("data:"):
                frames.append(json.loads(line[5:]))
                if len(frames) >= want:
                    return


async def test_listen_acknowledges_what_the_caller_may_read_and_forwards_argos_changes(
    argo: FakeArgo, confined: ServerProcess
) -> None:
    release = asyncio.Event()
    argo.on("WorkflowService_GetWorkflow", Workflow("etl-7x2k", namespace="team-a").json())
    argo.on(WATCH, stream=_changes(release))
    first: list[dict[str, Any]] = []
    second: list[dict[str, Any]] = []
    listeners = [
        asyncio.create_task(_listen(confined.url, [URI, FOREIGN], first, 2)),
        asyncio.create_task(_listen(confined.url, [URI], second, 2)),
    ]
    for _ in range(200):
        if len(first) >= 1 and len(second) >= 1:
            break
        await asyncio.sleep(0.05)
    ack = first[0]
    assert ack["method"] == "notifications/subscriptions/acknowledged"
    assert ack["params"]["notifications"]["resourceSubscriptions"] == [URI], (
        "the refused namespace is left out"
    )
    release.set()
    await asyncio.wait_for(asyncio.gather(*listeners), 20)
    for frames in (first, second):
        assert frames[1]["method"] == "notifications/resources/updated" and frames[1]["params"]["uri"] == URI
    assert len(argo.calls(WATCH)) == 1, "one upstream watch however many listen"
    request = argo.last(WATCH)
    assert request.path == "/api/v1/workflow-events/team-a"
    assert request.query_dict["listOptions.fieldSelector"] == "metadata.name=etl-7x2k"
    assert not [r for r in argo.requests if "kube-system" in r.path], (
        "nothing of the refused URI reached Argo"
    )


async def test_stdio_subscribe_and_stateless_http_says_what_works(
    argo: FakeArgo, argo_url: str, confined: ServerProcess
) -> None:
    release = asyncio.Event()
    argo.on("WorkflowService_GetWorkflow", Workflow("etl-7x2k", namespace="team-a").json())
    argo.on(WATCH, stream=_changes(release))
    headers = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25"}
    refused_body = {"jsonrpc": "2.0", "id": 2, "method": "resources/subscribe", "params": {"uri": URI}}
    async with httpx2.AsyncClient(timeout=30) as http:
        refused = rpc_answer((await http.post(confined.url, json=refused_body, headers=headers)).text)
    assert "subscriptions/listen" in refused["error"]["message"] and "stdio" in refused["error"]["message"]

    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "argo_mcp", "--stdio", "--argo-server-url", argo_url, "--argo-auth-mode", "none",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
        env=clean_env({"ARGO_MCP_DISCOVERY_CACHE": "off"}), cwd=REPO,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    init = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}
    for message in (
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": init},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "resources/subscribe", "params": {"uri": URI}},
    ):
        proc.stdin.write(json.dumps(message).encode() + b"\n")
    await proc.stdin.drain()
    try:
        initialized = json.loads(await asyncio.wait_for(proc.stdout.readline(), 30))
        assert initialized["result"]["capabilities"]["resources"]["subscribe"] is True
        assert json.loads(await asyncio.wait_for(proc.stdout.readline(), 30)) == {
            "jsonrpc": "2.0",
            "id": 2,
            "result": {},
        }
        release.set()
        updated = json.loads(await asyncio.wait_for(proc.stdout.readline(), 20))
        assert updated == {
            "jsonrpc": "2.0",
            "method": "notifications/resources/updated",
            "params": {"uri": URI},
        }
    finally:
        proc.stdin.close()
        await asyncio.wait_for(proc.wait(), 30)
