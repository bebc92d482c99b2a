"""A client that hangs up ends its call: on every HTTP road (the single-exchange fast path, the SDK's JSON path,
the SSE path) a `wait_for_workflow` whose client closed its connection stops polling Argo and frees its slot
within about a second, and the call is recorded as cancelled; on stdio, notifications/cancelled does the same."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.fake_argo import FakeArgo, Workflow
from tests.support.processes import REPO, ServerProcess, clean_env, http_client, start_argo_mcp, text_of
from tests.support.raw_mcp import initialize_request

WAIT = {"name": "long-run", "pollSeconds": 0.2, "timeoutSeconds": 600}
GET = "WorkflowService_GetWorkflow"


def _request(era: str) -> tuple[dict[str, str], dict[str, Any]]:
    """Headers and body of a wait_for_workflow that takes the road `era` names."""
    params: dict[str, Any] = {"name": "wait_for_workflow", "arguments": WAIT}
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    if era == "fast-path":
        headers["MCP-Protocol-Version"] = "2025-11-25"
    elif era == "sse":
        headers["MCP-Protocol-Version"] = "2025-11-25"
        params["_meta"] = {"progressToken": "p-1"}
    else:  # the SDK's own JSON road: a 2026-07-28 request
        headers |= {
            "MCP-Protocol-Version": "2026-07-28",
            "Mcp-Method": "tools/call",
            "Mcp-Name": "wait_for_workflow",
        }
        params["_meta"] = {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {},
        }
    return headers, {"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": params}


def _polls(argo: FakeArgo) -> int:
    return sum(1 for request in argo.calls(GET) if request.path.endswith("/long-run"))


async def _send_and_hang_up(url: str, era: str, argo: FakeArgo) -> None:
    """POST the call over a raw connection, wait until argo-mcp polls Argo, then close the connection."""
    parts = urlsplit(url)
    headers, body = _request(era)
    payload = json.dumps(body).encode()
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    _reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    writer.write(
        f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n{head}Content-Length: {len(payload)}\r\n\r\n".encode()
        + payload
    )
    await writer.drain()
    deadline = time.monotonic() + 10
    while _polls(argo) < 2:
        assert time.monotonic() < deadline, "argo-mcp never polled Argo"
        await asyncio.sleep(0.05)
    writer.close()
    await writer.wait_closed()


@pytest.fixture
async def one_long_slot(argo_url: str, tmp_path: Path) -> AsyncIterator[ServerProcess]:
    server = await start_argo_mcp(
        tmp_path, "--argo-server-url", argo_url, "--argo-auth-mode", "none", "--max-long-calls", "1"
    )
    try:
        yield server
    finally:
        await server.stop()


@pytest.mark.parametrize("era", ["fast-path", "sdk-json", "sse"])
async def test_a_hang_up_stops_the_call_and_frees_its_slot(
    argo: FakeArgo, one_long_slot: ServerProcess, era: str
) -> None:
    argo.on(GET, Workflow("long-run", phase="Running").json())
    await _send_and_hang_up(one_long_slot.url, era, argo)
    left = time.monotonic()
    async with http_client(one_long_slot.url) as client:
        while True:  # the slot is free once another call is admitted
            # Another wait: admitted only once the hung-up one has given its long-call slot back.
            answer = await client.call_tool("wait_for_workflow", {"name": "probe", "timeoutSeconds": 0.3})
            if "argo-mcp is busy" not in text_of(answer):
                break
            assert "argo-mcp is busy" in text_of(answer), text_of(answer)
            assert time.monotonic() - left < 1.5, "the hung-up call still holds its slot"
            await asyncio.sleep(0.1)
    polls = _polls(argo)
    await asyncio.sleep(1.0)  # five poll intervals
    assert _polls(argo) == polls, "argo-mcp kept polling Argo for a client that is gone"
    records = [
        r
        for r in one_long_slot.logs()
        if r.get("event") == "tool_call" and r.get("tool") == "wait_for_workflow"
    ]
    assert records and records[0]["outcome"] == "cancelled", records  # the hung-up wait, before the probe


async def test_notifications_cancelled_ends_a_call_over_stdio(
    argo: FakeArgo, argo_url: str, tmp_path: Path
) -> None:
    """On stdio the client cancels with notifications/cancelled: the wait stops polling Argo and is recorded as
    cancelled, and the session answers the next call."""
    argo.on(GET, Workflow("long-run", phase="Running").json())
    stderr = tmp_path / "stderr.log"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "argo_mcp", "--stdio", "--argo-server-url", argo_url, "--argo-auth-mode", "none",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=stderr.open("wb"),
        env=clean_env({"ARGO_MCP_DISCOVERY_CACHE": "off"}), cwd=REPO,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None

    async def send(*messages: dict[str, Any]) -> None:
        assert proc.stdin is not None
        proc.stdin.write(b"".join(json.dumps(m).encode() + b"\n" for m in messages))
        await proc.stdin.drain()

    try:
        await send(
            initialize_request("2025-11-25"),
            {"jsonrpc": "2.0", "method": "notifications/initialized"},
        )
        assert json.loads(await asyncio.wait_for(proc.stdout.readline(), 30))["id"] == 1
        await send(
            {
                "jsonrpc": "2.0",
                "id": 2,
                "method": "tools/call",
                "params": {"name": "wait_for_workflow", "arguments": WAIT},
            }
        )
        deadline = time.monotonic() + 10
        while _polls(argo) < 2:
            assert time.monotonic() < deadline, "argo-mcp never polled Argo"
            await asyncio.sleep(0.05)
        await send(
            {
                "jsonrpc": "2.0",
                "method": "notifications/cancelled",
                "params": {"requestId": 2, "reason": "user"},
            }
        )
        await asyncio.sleep(0.5)
        polls = _polls(argo)
        await asyncio.sleep(1.0)
        assert _polls(argo) == polls, "argo-mcp kept polling Argo after the client cancelled"
        await send(
            {
                "jsonrpc": "2.0",
                "id": 3,
                "method": "tools/call",
                "params": {"name": "get_workflow", "arguments": {"name": "probe"}},
            }
        )
        answer = json.loads(await asyncio.wait_for(proc.stdout.readline(), 30))
        assert answer["id"] == 3 and not answer["result"].get("isError"), answer
    finally:
        proc.stdin.close()
        await asyncio.wait_for(proc.wait(), 30)
    records = [json.loads(line) for line in stderr.read_text().splitlines() if line.startswith("{")]
    waits = [r for r in records if r.get("event") == "tool_call" and r.get("tool") == "wait_for_workflow"]
    assert waits and waits[-1]["outcome"] == "cancelled", waits
