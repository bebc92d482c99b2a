"""A client that hangs up ends its call: on every HTTP road (the single-exchange fast path, the SDK's JSON path,
the SSE path) a `wait_for_workflow` whose client closed its connection stops polling Argo and frees its
--max-inflight-calls slot within about a second, and the call is recorded as cancelled."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.fake_argo import FakeArgo, Workflow
from tests.support.processes import ServerProcess, http_client, text_of

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


@pytest.mark.parametrize("era", ["fast-path", "sdk-json", "sse"])
async def test_a_hang_up_stops_the_call_and_frees_its_slot(
    argo: FakeArgo, one_slot: ServerProcess, era: str
) -> None:
    argo.on(GET, Workflow("long-run", phase="Running").json())
    await _send_and_hang_up(one_slot.url, era, argo)
    left = time.monotonic()
    async with http_client(one_slot.url) as client:
        while True:  # the slot is free once another call is admitted
            answer = await client.call_tool("get_workflow", {"name": "probe"})
            if not answer.is_error:
                break
            assert "argo-mcp is busy" in text_of(answer), text_of(answer)
            assert time.monotonic() - left < 1.5, "the hung-up call still holds its slot"
            await asyncio.sleep(0.1)
    polls = _polls(argo)
    await asyncio.sleep(1.0)  # five poll intervals
    assert _polls(argo) == polls, "argo-mcp kept polling Argo for a client that is gone"
    records = [
        r for r in one_slot.logs() if r.get("event") == "tool_call" and r.get("tool") == "wait_for_workflow"
    ]
    assert records and records[-1]["outcome"] == "cancelled", records
