"""Errors a platform team relies on (issue 27, point 6): an https:// URL pointed at a plain-HTTP Argo says so
(not "certificate problem"), and every refused HTTP request leaves exactly one access-log line without secrets."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
import pytest_asyncio
from aiohttp import web

from argo_mcp.argo.client import ArgoClient
from argo_mcp.argo.errors import ArgoError, ArgoPlainHTTP
from argo_mcp.settings import ArgoSettings, AuthMode
from argo_mcp.transport.readiness import Readiness
from tests.support.fake_argo import FakeArgo
from tests.support.processes import ServerProcess, closed_url, free_port, start_without_argo_auth

SECRET_TOKEN = "refused-caller-token-5f2e9a7c1b"


@pytest_asyncio.fixture(loop_scope="session")
async def plain_http_argo() -> AsyncIterator[str]:
    """A real plain-HTTP server on loopback answering Argo's version path (argo-helm's server.secure=false)."""

    async def version(_request: web.Request) -> web.Response:
        return web.json_response({"version": "v3.7.0"})

    app = web.Application()
    app.router.add_get("/api/v1/version", version)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"127.0.0.1:{port}"
    await runner.cleanup()


async def test_https_to_a_plain_http_argo_says_it_speaks_plain_http(plain_http_argo: str) -> None:
    client = ArgoClient(ArgoSettings(server_url=f"https://{plain_http_argo}", auth_mode=AuthMode.NONE))
    try:
        try:
            await client.request("GET", "/api/v1/version", what="get version")
        except ArgoError as exc:
            error: ArgoError = exc
        else:
            raise AssertionError("a TLS handshake with a plain-HTTP server cannot succeed")
        message = str(error)
        assert isinstance(error, ArgoPlainHTTP), message
        assert f"Argo at https://{plain_http_argo} answered plain HTTP" in message
        assert f"use http://{plain_http_argo}" in message
        assert "server.secure=true" in message
        assert "certificate" not in message.lower() and "x509" not in message
        # /readyz reports the same diagnosis.
        status, body = await Readiness(client, cache_seconds=0).verdict()
        assert status == 503 and "answered plain HTTP" in body["reason"], body
    finally:
        await client.close()


async def test_a_real_certificate_problem_is_still_reported_as_one() -> None:
    """The plain-HTTP diagnosis is only for a plain-HTTP answer: a refused connection stays "cannot reach"."""
    client = ArgoClient(ArgoSettings(server_url=f"https://127.0.0.1:{free_port()}", auth_mode=AuthMode.NONE))
    try:
        try:
            await client.request("POST", "/api/v1/version", what="get version")
        except ArgoError as exc:
            assert not isinstance(exc, ArgoPlainHTTP) and "plain HTTP" not in str(exc), str(exc)
        else:
            raise AssertionError("nothing listens there")
    finally:
        await client.close()


# ---- refused requests: one access-log line each --------------------------------------------------------------
def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unverifiable_jwt() -> str:
    """Well-formed, with a key id, so its check needs the (unreachable) issuer's keys: a 503, not a 401."""
    header = _b64(json.dumps({"alg": "RS256", "kid": "k1", "typ": "JWT"}).encode())
    claims = _b64(json.dumps({"sub": "x", "aud": "argo-mcp", "exp": int(time.time()) + 600}).encode())
    return f"{header}.{claims}.{_b64(b'signature-' + SECRET_TOKEN.encode())}"


def _refusals(server: ServerProcess) -> list[dict[str, Any]]:
    return [r for r in server.logs() if r.get("event") == "http_request_refused"]


async def _wait_for_refusals(server: ServerProcess, count: int) -> list[dict[str, Any]]:
    for _ in range(100):
        if len(_refusals(server)) >= count:
            break
        await asyncio.sleep(0.05)
    return _refusals(server)


async def test_each_refused_request_leaves_one_access_log_line_without_secrets(
    argo: FakeArgo, argo_url: str, tmp_path: Path
) -> None:
    server = await start_without_argo_auth(
        tmp_path, argo_url, "--auth-inbound", "oidc", "--oidc-issuer", closed_url(), "--max-connections", "2"
    )
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    accept = {"Accept": "application/json, text/event-stream"}
    cases = [
        # (headers, expected status, a word of the reason)
        ({"Authorization": f"Bearer {SECRET_TOKEN}"}, 401, "token"),
        ({}, 401, "bearer token is required"),
        ({"Authorization": f"Bearer {SECRET_TOKEN}", "Origin": "https://evil.example.com"}, 403, "Origin"),
        ({"Authorization": f"Bearer {SECRET_TOKEN}", "Host": "evil.example.com"}, 421, "Host"),
        ({"Authorization": f"Bearer {_unverifiable_jwt()}"}, 503, "could not be checked"),
    ]
    try:
        for index, (headers, status, reason) in enumerate(cases, start=1):
            async with httpx2.AsyncClient() as http:
                response = await http.post(server.url, json=body, headers={**accept, **headers})
            assert response.status_code == status, (headers, response.text)
            records = await _wait_for_refusals(server, index)
            assert len(records) == index, f"one line per refusal: {records}"
            record = records[-1]
            assert record["status"] == status and record["method"] == "POST" and record["path"] == "/mcp"
            assert reason.lower() in record["reason"].lower(), record
            assert record["peer"].startswith("127.0.0.1:"), record
            assert record["level"] in ("info", "warning")
        # The connection limit: two connections stuck in their bodies (inbound auth answered their headers with a
        # 401 already, logged as such), so a newcomer finds none idle to evict and is answered 503.
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        busy = [(reader, writer)]
        for _ in range(2):
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(b"POST /mcp HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n{")
            await writer.drain()
            busy.append((reader, writer))
        await asyncio.sleep(0.2)
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        answer = await asyncio.wait_for(reader.read(4096), 5)
        writer.close()
        for _, other in busy:
            other.close()
        assert answer.startswith(b"HTTP/1.1 503"), answer
        records = await _wait_for_refusals(server, len(cases) + 3)
        assert len(records) == len(cases) + 3, records
        assert [r["status"] for r in records[len(cases) :]] == [401, 401, 503], records
        assert records[-1]["status"] == 503 and "connection" in records[-1]["reason"], records[-1]
        assert records[-1]["peer"].startswith("127.0.0.1:")
    finally:
        await server.stop()
    log = server.stderr()
    assert SECRET_TOKEN not in log and _unverifiable_jwt().split(".")[2] not in log
    assert "authorization" not in json.dumps(_refusals(server)).lower()
