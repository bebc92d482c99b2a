"""Browsers on the user's own machine may call /mcp; foreign origins (DNS rebinding) are still refused."""

from __future__ import annotations

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from argo_mcp.settings import DEFAULT_ALLOWED_HOSTS
from argo_mcp.transport.guard import HostOriginGuard, origin_allowed

LOOPBACK = [
    "http://localhost:6274",
    "http://localhost",
    "https://localhost:8443",
    "http://127.0.0.1:6274",
    "http://127.0.0.2:1",
    "http://[::1]:6274",
    "http://inspector.localhost:3000",
    "HTTP://LOCALHOST:6274/",
]
FOREIGN = [
    "https://evil.example.com",
    "http://localhost.evil.com",
    "http://127.0.0.1.evil.com:80",
    "http://evil.com",
    "http://user@localhost:6274",
    "null",
    "file://",
    "http://localhost:notaport",
    "http://[::2]:80",
    "http://10.0.0.1:80",
    "ftp://localhost",
]


@pytest.mark.parametrize("origin", LOOPBACK)
def test_loopback_origins_are_accepted_by_default(origin: str) -> None:
    assert origin_allowed(origin, [])


@pytest.mark.parametrize("origin", FOREIGN)
def test_foreign_origins_are_refused_by_default(origin: str) -> None:
    assert not origin_allowed(origin, [])


def _guarded() -> HostOriginGuard:
    async def endpoint(_request: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    app = Starlette(routes=[Route("/mcp", endpoint=endpoint, methods=["POST"])])
    return HostOriginGuard(app, allowed_hosts=DEFAULT_ALLOWED_HOSTS, allowed_origins=(), paths=("/mcp",))


@pytest.mark.parametrize(
    ("host", "origin", "status"),
    [
        ("localhost:8081", "http://localhost:6274", 200),
        ("127.0.0.1:8081", "http://127.0.0.1:6274", 200),
        ("[::1]:8081", "http://[::1]:6274", 200),
        ("localhost:8081", "https://evil.example.com", 403),
        ("evil.example.com:8081", "http://evil.example.com:8081", 421),  # the rebinding scenario
        ("evil.example.com:8081", "http://localhost:6274", 421),
    ],
)
async def test_guard_decisions(host: str, origin: str, status: int) -> None:
    transport = httpx2.ASGITransport(app=_guarded())
    async with httpx2.AsyncClient(transport=transport, base_url="http://localhost:8081") as http:
        response = await http.post("/mcp", json={}, headers={"Host": host, "Origin": origin})
    assert response.status_code == status
