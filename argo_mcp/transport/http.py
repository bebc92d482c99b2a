"""Streamable HTTP transport: /mcp (stateless, so replicas need no session affinity), /healthz, /readyz.

Stateless mode gives every POST its own transport, so any replica behind a Service can answer any request;
responses stream as SSE so progress notifications reach the caller during long calls.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import structlog
import uvicorn
from mcp.server.lowlevel import Server
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp, StreamableHTTPSessionManager
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from argo_mcp.argo.client import ArgoClient
from argo_mcp.argo.errors import ArgoError
from argo_mcp.settings import Settings
from argo_mcp.transport.guard import HostOriginGuard

log = structlog.get_logger("argo_mcp.http")

MCP_PATH = "/mcp"
READY_CACHE_SECONDS = 2.0


class Readiness:
    """/readyz answers from Argo's /api/v1/version, cached briefly so probes don't hammer Argo."""

    def __init__(self, argo: ArgoClient) -> None:
        self.argo = argo
        self._checked_at = 0.0
        self._last: tuple[int, dict[str, Any]] = (503, {"status": "unknown"})

    async def __call__(self, _request: Request) -> JSONResponse:
        now = time.monotonic()
        if now - self._checked_at > READY_CACHE_SECONDS:
            try:
                version = await self.argo.request("GET", "/api/v1/version", what="readiness check")
                self._last = (200, {"status": "ready", "argo": version.get("version", "unknown")})
            except ArgoError as exc:
                self._last = (503, {"status": "not ready", "reason": str(exc)})
            self._checked_at = now
        status, body = self._last
        return JSONResponse(body, status_code=status)


async def healthz(_request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


MCPAppWrapper = Callable[[ASGIApp], ASGIApp]


def build_app(
    settings: Settings,
    server: Server[Any],
    argo: ArgoClient,
    *,
    wrap_mcp: MCPAppWrapper | None = None,
    extra_routes: list[BaseRoute] | None = None,
) -> Starlette:
    """The ASGI app: `wrap_mcp` lets the access layer put inbound auth in front of /mcp only."""
    manager = StreamableHTTPSessionManager(
        app=server, stateless=True, json_response=False, security_settings=None
    )
    mcp_app: ASGIApp = StreamableHTTPASGIApp(manager)
    if wrap_mcp is not None:
        mcp_app = wrap_mcp(mcp_app)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with manager.run():
            try:
                yield
            finally:
                await argo.close()

    routes: list[BaseRoute] = [
        Route(MCP_PATH, endpoint=mcp_app, methods=["GET", "POST", "DELETE"]),
        Route("/healthz", endpoint=healthz, methods=["GET"]),
        Route("/readyz", endpoint=Readiness(argo), methods=["GET"]),
        *(extra_routes or []),
    ]
    return Starlette(
        routes=routes,
        middleware=[
            Middleware(
                HostOriginGuard,
                allowed_hosts=settings.http.allowed_hosts,
                allowed_origins=settings.http.allowed_origins,
                paths=(MCP_PATH, "/.well-known"),
            )
        ],
        lifespan=lifespan,
    )


async def serve_http(settings: Settings, app: Starlette) -> None:
    http = settings.http
    config = uvicorn.Config(
        app,
        host=http.host,
        port=http.port,
        ssl_certfile=str(http.tls_cert) if http.tls_cert else None,
        ssl_keyfile=str(http.tls_key) if http.tls_key else None,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=15,
        lifespan="on",
        server_header=False,
    )
    scheme = "https" if http.tls_cert else "http"
    log.info("listening", url=f"{scheme}://{http.host}:{http.port}{MCP_PATH}", argo=settings.argo.server_url)
    await uvicorn.Server(config).serve()
