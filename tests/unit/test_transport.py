"""Transports: Host/Origin checks, health and readiness, both protocol eras, stdio, stateless replicas, shutdown."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path
from typing import Any

import httpx2
import pytest
from aiohttp import web

from argo_mcp.settings import DEFAULT_ALLOWED_HOSTS
from argo_mcp.transport.guard import host_allowed, origin_allowed
from tests.support.fake_argo import FakeArgo
from tests.support.processes import (
    ServerProcess,
    closed_url,
    http_client,
    payload,
    serve_app,
    start_without_argo_auth,
    stdio_mcp_client,
)
from tests.support.raw_mcp import ACCEPT, initialize_request
from tests.support.samples import VERSION


def _sse_json(response: httpx2.Response) -> dict[str, Any]:
    """The first JSON-RPC message of an SSE or JSON answer."""
    if response.headers.get("content-type", "").startswith("application/json"):
        return response.json()  # type: ignore[no-any-return]
    for line in response.text.splitlines():
        if line.startswith("data:") and line[5:].strip():
            return json.loads(line[5:])  # type: ignore[no-any-return]
    raise AssertionError(f"no JSON-RPC message in {response.text!r}")


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("localhost:8081", True),
        ("127.0.0.1:8081", True),
        ("[::1]:8081", True),
        ("10.12.0.7:8081", True),
        ("argo-mcp:8081", True),
        ("argo-mcp.argo.svc:8081", True),
        ("argo-mcp.argo.svc.cluster.local", True),
        ("evil.example.com", False),
        ("argo-mcp.argo.svc.evil.com", False),
        ("", False),
    ],
)
def test_default_host_rules(host: str, allowed: bool) -> None:
    assert host_allowed(host, DEFAULT_ALLOWED_HOSTS) is allowed


def test_origin_rules() -> None:
    assert origin_allowed(None, [])
    assert not origin_allowed("https://evil.example.com", [])
    assert origin_allowed("http://localhost:6274", ["http://localhost:*"])
    assert not origin_allowed("http://localhost.evil.com", ["http://localhost:*"])


async def test_foreign_host_gets_421_and_browser_origin_gets_403(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    body = initialize_request("2025-11-25")
    async with httpx2.AsyncClient() as http:
        foreign = await http.post(
            shared_server.url, json=body, headers={**ACCEPT, "Host": "evil.example.com"}
        )
        assert foreign.status_code == 421
        browser = await http.post(
            shared_server.url, json=body, headers={**ACCEPT, "Origin": "https://evil.example.com"}
        )
        assert browser.status_code == 403
        service = await http.post(
            shared_server.url, json=body, headers={**ACCEPT, "Host": "argo-mcp.argo.svc.cluster.local:8081"}
        )
        assert service.status_code == 200
        assert _sse_json(service)["result"]["serverInfo"]["name"] == "argo-mcp"


async def test_allowed_origin_flag(argo: FakeArgo, server_with: Any) -> None:
    server = await server_with(
        "--allowed-origins", "http://localhost:*", "--allowed-hosts", "mcp.example.com"
    )
    async with httpx2.AsyncClient() as http:
        ok = await http.post(
            server.url,
            json=initialize_request("2025-11-25"),
            headers={**ACCEPT, "Origin": "http://localhost:6274"},
        )
        assert ok.status_code == 200
        named = await http.post(
            server.url,
            json=initialize_request("2025-11-25"),
            headers={**ACCEPT, "Host": "mcp.example.com"},
        )
        assert named.status_code == 200
        other = await http.post(
            server.url, json=initialize_request("2025-11-25"), headers={**ACCEPT, "Host": "x.example.com"}
        )
        assert other.status_code == 421


async def test_healthz_and_readyz(argo: FakeArgo, shared_server: ServerProcess, tmp_path: Path) -> None:
    argo.on("InfoService_GetVersion", VERSION)
    async with httpx2.AsyncClient() as http:
        health = await http.get(f"{shared_server.base}/healthz")
        assert health.status_code == 200
        async with http_client(shared_server.url) as client:
            await client.call_tool("get_argo_version", {})
        metrics = await http.get(f"{shared_server.base}/metrics")
        assert metrics.status_code == 200
        assert 'argo_mcp_tool_calls_total{outcome="ok",tool="get_argo_version"}' in metrics.text
        assert "argo_mcp_tool_call_duration_seconds_bucket" in metrics.text
        await asyncio.sleep(2.1)  # readiness answers are cached for 2 s
        ready = await http.get(f"{shared_server.base}/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json() == {"status": "ready", "argo": "v3.7.6"}
    dead = await start_without_argo_auth(tmp_path, closed_url())
    try:
        async with httpx2.AsyncClient() as http:
            assert (await http.get(f"{dead.base}/healthz")).status_code == 200
            not_ready = await http.get(f"{dead.base}/readyz")
        assert not_ready.status_code == 503
        assert "Cannot reach the Argo server" in not_ready.json()["reason"]
    finally:
        await dead.stop()


@pytest.mark.parametrize("version", ["2025-06-18", "2025-11-25"])
async def test_handshake_era_clients_are_answered(
    argo: FakeArgo, shared_server: ServerProcess, version: str
) -> None:
    async with httpx2.AsyncClient() as http:
        response = await http.post(shared_server.url, json=initialize_request(version), headers=ACCEPT)
    assert response.status_code == 200
    result = _sse_json(response)["result"]
    assert result["protocolVersion"] == version
    assert "tools" in result["capabilities"]
    assert "mcp-session-id" not in response.headers  # stateless: no session to pin to a replica


async def test_plain_json_answer_unless_the_request_asks_for_progress(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    argo.on("InfoService_GetVersion", VERSION)
    headers = {**ACCEPT, "MCP-Protocol-Version": "2025-11-25"}
    call: dict[str, Any] = {"name": "get_argo_version", "arguments": {}}
    async with httpx2.AsyncClient() as http:
        plain = await http.post(
            shared_server.url,
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": call},
            headers=headers,
        )
        streamed = await http.post(
            shared_server.url,
            json={
                "jsonrpc": "2.0",
                "id": 2,
                "method": "tools/call",
                "params": {**call, "_meta": {"progressToken": "p-1"}},
            },
            headers=headers,
        )
    # nothing to stream: one JSON body, no SSE framing
    assert plain.status_code == 200 and plain.headers["content-type"].startswith("application/json")
    assert plain.json()["id"] == 1 and plain.json()["result"]["isError"] is False
    # progress asked for: an SSE stream, so notifications can precede the answer
    assert streamed.status_code == 200 and streamed.headers["content-type"].startswith("text/event-stream")
    assert _sse_json(streamed)["id"] == 2


async def test_sdk_clients_of_both_eras(argo: FakeArgo, shared_server: ServerProcess) -> None:
    argo.on("InfoService_GetVersion", VERSION)
    async with http_client(shared_server.url, mode="legacy") as legacy:
        assert legacy.protocol_version == "2025-11-25"
        assert not (await legacy.call_tool("get_argo_version", {})).is_error
    async with http_client(shared_server.url, mode="2026-07-28") as modern:
        assert modern.protocol_version == "2026-07-28"
        assert len((await modern.list_tools()).tools) == 64  # the reference's 38 and 26 beyond it
    async with http_client(shared_server.url) as auto:
        assert auto.protocol_version == "2026-07-28"


async def test_server_discover(argo: FakeArgo, shared_server: ServerProcess) -> None:
    request = {
        "jsonrpc": "2.0",
        "id": 7,
        "method": "server/discover",
        "params": {
            "_meta": {
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientCapabilities": {},
            }
        },
    }
    async with httpx2.AsyncClient() as http:
        response = await http.post(
            shared_server.url,
            json=request,
            headers={**ACCEPT, "MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "server/discover"},
        )
    assert response.status_code == 200, response.text
    result = _sse_json(response)["result"]
    assert "2026-07-28" in result["supportedVersions"]
    assert "tools" in result["capabilities"]


async def test_two_replicas_serve_one_client_without_affinity(
    argo: FakeArgo, argo_url: str, tmp_path: Path
) -> None:
    argo.on("InfoService_GetVersion", VERSION)
    replica_b = await start_without_argo_auth(tmp_path, argo_url)
    replica_a = await start_without_argo_auth(tmp_path, argo_url)
    try:
        async with httpx2.AsyncClient() as http:
            init = await http.post(replica_a.url, json=initialize_request("2025-11-25"), headers=ACCEPT)
            assert init.status_code == 200
            headers = {**ACCEPT, "MCP-Protocol-Version": "2025-11-25"}
            call = {
                "jsonrpc": "2.0",
                "id": 2,
                "method": "tools/call",
                "params": {"name": "get_argo_version", "arguments": {}},
            }
            answer = await http.post(replica_b.url, json=call, headers=headers)
        assert answer.status_code == 200, answer.text
        assert json.loads(_sse_json(answer)["result"]["content"][0]["text"])["version"] == "v3.7.6"
    finally:
        await replica_a.stop()
        await replica_b.stop()


async def test_stdio_transport(argo: FakeArgo, argo_url: str, tmp_path: Path) -> None:
    argo.on("InfoService_GetVersion", VERSION)
    async with stdio_mcp_client(argo_url, tmp_path / "stdio.err") as client:
        result = await client.call_tool("get_argo_version", {})
        assert not result.is_error
        assert payload(result)["version"] == "v3.7.6"
    logs = (tmp_path / "stdio.err").read_text()
    assert '"event": "starting"' in logs and '"transport": "stdio"' in logs


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_graceful_shutdown_exits_zero(argo: FakeArgo, argo_url: str, tmp_path: Path, sig: int) -> None:
    server = await start_without_argo_auth(tmp_path, argo_url)
    assert await server.stop(sig) == 0


async def test_in_flight_call_finishes_on_sigterm(tmp_path: Path) -> None:
    app = web.Application()

    async def slow_version(_request: web.Request) -> web.Response:
        await asyncio.sleep(1.5)
        return web.json_response(VERSION)

    app.router.add_get("/api/v1/version", slow_version)
    async with serve_app(app) as url:
        server = await start_without_argo_auth(tmp_path, url)
        try:
            call = {
                "jsonrpc": "2.0",
                "id": 2,
                "method": "tools/call",
                "params": {"name": "get_argo_version", "arguments": {}},
            }
            async with httpx2.AsyncClient(timeout=30) as http:
                await http.post(server.url, json=initialize_request("2025-11-25"), headers=ACCEPT)
                pending = asyncio.create_task(
                    http.post(server.url, json=call, headers={**ACCEPT, "MCP-Protocol-Version": "2025-11-25"})
                )
                await asyncio.sleep(0.5)  # the call is now waiting on the slow Argo
                server.proc.send_signal(signal.SIGTERM)
                answer = await asyncio.wait_for(pending, timeout=20)
            assert answer.status_code == 200
            assert json.loads(_sse_json(answer)["result"]["content"][0]["text"])["version"] == "v3.7.6"
            # The one SIGTERM ends the process with 0 once the call has been answered. No second signal: one
            # sent while uvicorn has already restored the default handlers would kill it (-15) on a slow host.
            assert await asyncio.wait_for(server.proc.wait(), 15) == 0
        finally:
            await server.stop()
