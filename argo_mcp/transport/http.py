"""Streamable HTTP transport: /mcp (stateless, so replicas need no session affinity), /healthz, /readyz, /metrics.

Stateless mode gives every POST its own transport, so any replica behind a Service can answer any request. A
request that asks for progress is answered as an SSE stream so the notifications reach the caller during a long
call; every other request gets one plain JSON body (see response_mode.py).
"""

from __future__ import annotations

import contextlib
import errno
import signal
import socket
from collections.abc import AsyncIterator, Callable, Generator
from contextlib import asynccontextmanager
from typing import Any

import structlog
import uvicorn
from mcp.server.lowlevel import Server
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp, StreamableHTTPSessionManager
from mcp.server.transport_security import DEFAULT_MAX_REQUEST_BODY_SIZE
from sse_starlette.sse import AppStatus
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from argo_mcp.argo.client import ArgoClient
from argo_mcp.metrics import metrics_endpoint, watch_connections
from argo_mcp.settings import ConfigError, HttpSettings, Settings
from argo_mcp.transport.access_log import RefusalLog
from argo_mcp.transport.connections import ConnectionLimits, ensure_fd_headroom, guarded_protocol
from argo_mcp.transport.guard import HostOriginGuard
from argo_mcp.transport.hangup import HangUpWatch
from argo_mcp.transport.readiness import Readiness, TargetsReadiness
from argo_mcp.transport.response_mode import ResponseModeRouter
from argo_mcp.transport.single_exchange import SingleExchange

log = structlog.get_logger("argo_mcp.http")

MCP_PATH = "/mcp"


class _Server(uvicorn.Server):
    """uvicorn re-raises SIGTERM/SIGINT after a graceful shutdown; a requested shutdown is a success (exit 0)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        with super().capture_signals():
            yield
            if self._captured_signals:
                log.info("stopped", signal=signal.Signals(self._captured_signals[-1]).name)
            self._captured_signals.clear()


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
    targets: Any = None,
) -> Starlette:
    """The ASGI app: `wrap_mcp` lets the access layer put inbound auth in front of /mcp only."""
    streaming = StreamableHTTPSessionManager(
        app=server, stateless=True, json_response=False, security_settings=None
    )
    plain = StreamableHTTPSessionManager(
        app=server, stateless=True, json_response=True, security_settings=None
    )
    single = SingleExchange(server)
    mcp_app: ASGIApp = HangUpWatch(
        ResponseModeRouter(
            StreamableHTTPASGIApp(plain),
            StreamableHTTPASGIApp(streaming),
            max_body=DEFAULT_MAX_REQUEST_BODY_SIZE,
            single=single,
        )
    )
    if wrap_mcp is not None:
        mcp_app = wrap_mcp(mcp_app)

    # sse-starlette ends every SSE response as soon as uvicorn sees SIGTERM, which would cut off the answer of
    # a tool call that is still running. Let in-flight calls finish instead (uvicorn's graceful timeout bounds
    # them) and end any stream left once the connections have drained.
    AppStatus.disable_automatic_graceful_drain()  # type: ignore[no-untyped-call]

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with streaming.run(), plain.run(), server.lifespan(server) as state:
            single.lifespan_state = state
            try:
                yield
            finally:
                AppStatus.should_exit = True
                await argo.close()
                if targets is not None:
                    await targets.close()

    routes: list[BaseRoute] = [
        # No GET: stateless HTTP has no server-to-client stream, and a GET would open an SSE stream that never
        # carries anything and never ends (an idle connection per GET, forever). The MCP spec's answer is 405.
        Route(MCP_PATH, endpoint=mcp_app, methods=["POST", "DELETE"]),
        Route("/healthz", endpoint=healthz, methods=["GET"]),
        Route(
            "/readyz",
            endpoint=(
                Readiness(argo) if targets is None or targets.file is None else TargetsReadiness(targets)
            ).endpoint(),
            methods=["GET"],
        ),
        Route("/metrics", endpoint=metrics_endpoint, methods=["GET"]),
        *(extra_routes or []),
    ]
    return Starlette(
        routes=routes,
        middleware=[
            Middleware(RefusalLog),  # outermost: sees every refusal (the guard's, inbound auth's)
            Middleware(
                HostOriginGuard,
                allowed_hosts=settings.http.allowed_hosts,
                allowed_origins=settings.http.allowed_origins,
                paths=(MCP_PATH, "/.well-known"),
            ),
        ],
        lifespan=lifespan,
    )


def listen_socket(http: HttpSettings) -> socket.socket:
    """Bind the listening socket before anything is logged, so a port in use (or a bad --host) ends the process
    like every other start-up error: exit 2 and one line, instead of a "listening" line and uvicorn's exit 3."""
    sock: socket.socket | None = None
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            http.host, http.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        if sock is not None:
            sock.close()
        reason = exc.strerror or str(exc)
        if exc.errno == errno.EADDRINUSE:
            fix = "another process listens there: stop it, or pass another --port"
        elif isinstance(exc, socket.gaierror):
            fix = "check --host"
        else:
            fix = "check --host and --port"
        raise ConfigError(f"cannot listen on {http.host}:{http.port}: {reason} ({fix})") from None
    return sock


async def serve_http(settings: Settings, app: Starlette, sock: socket.socket) -> None:
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
        http=guarded_protocol(
            ConnectionLimits(
                idle_timeout=http.idle_timeout,
                header_timeout=http.header_timeout,
                body_timeout=http.body_timeout,
                max_connections=http.max_connections,
            )
        ),
    )
    ensure_fd_headroom(http.max_connections)
    scheme = "https" if http.tls_cert else "http"
    log.info("listening", url=f"{scheme}://{http.host}:{http.port}{MCP_PATH}", argo=settings.argo.server_url)
    server = _Server(config)
    watch_connections(lambda: len(server.server_state.connections), http.max_connections)
    await server.serve(sockets=[sock])
