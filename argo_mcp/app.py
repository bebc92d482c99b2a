"""Wires settings, the Argo client, the MCP server and a transport together, then serves until stopped."""

from __future__ import annotations

from argo_mcp.argo.client import ArgoClient
from argo_mcp.cli import is_loopback
from argo_mcp.logging import configure_logging, get_logger
from argo_mcp.server import build_server
from argo_mcp.settings import InboundAuthMode, Settings
from argo_mcp.transport.http import build_app, serve_http
from argo_mcp.transport.stdio import serve_stdio


async def run(settings: Settings) -> None:
    configure_logging(settings.log_level.value)
    log = get_logger("argo_mcp")
    argo = ArgoClient(settings.argo)
    log.info(
        "starting",
        transport="stdio" if settings.stdio else "http",
        argo=settings.argo.server_url,
        auth_mode=settings.argo.auth_mode.value,
        default_namespace=settings.argo.default_namespace,
        tls_verify=not settings.argo.insecure_skip_tls_verify,
    )
    if settings.stdio:
        await serve_stdio(build_server(settings, argo), argo)
        return
    if settings.inbound.mode is InboundAuthMode.NONE and not is_loopback(settings.http.host):
        log.warning(
            "inbound_auth_disabled",
            message=(
                f"the MCP endpoint on {settings.http.host}:{settings.http.port} accepts calls from anyone who can "
                "reach it, acting with argo-mcp's own Argo identity; use --auth-inbound kubernetes (or oidc) "
                "in a shared cluster"
            ),
        )
    server = build_server(settings, argo)
    await serve_http(settings, build_app(settings, server, argo))
