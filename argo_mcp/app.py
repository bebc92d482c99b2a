"""Wires settings, the Argo client, the access layer, the MCP server and a transport, then serves until stopped."""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from argo_mcp import redaction, runtime
from argo_mcp.access.middleware import CachedVerifier, InboundAuth, TokenVerifier, metadata_routes
from argo_mcp.argo.client import ArgoClient
from argo_mcp.calls.targets import Targets
from argo_mcp.discovery import StdioStart
from argo_mcp.logging import configure_logging, get_logger
from argo_mcp.policy import Authorizer
from argo_mcp.server import build_server
from argo_mcp.settings import InboundAuthMode, Settings, is_loopback


def _access_layer(settings: Settings) -> tuple[TokenVerifier | None, Authorizer | None, Any]:
    """The verifier for callers' tokens, the per-call authorizer, and what to close at shutdown."""
    inbound = settings.inbound
    if inbound.mode is InboundAuthMode.KUBERNETES:
        from argo_mcp.access.authorize import rbac_authorizer  # noqa: PLC0415 - loads the Kubernetes client
        from argo_mcp.access.kubernetes import KubernetesAccess  # noqa: PLC0415

        access = KubernetesAccess(audience=inbound.audience, kubeconfig=inbound.kubeconfig)
        return CachedVerifier(access, seconds=inbound.cache_seconds), rbac_authorizer(access), access
    if inbound.mode is InboundAuthMode.OIDC:
        from argo_mcp.access.oidc import OidcVerifier  # noqa: PLC0415

        assert inbound.oidc_issuer is not None, "cli requires an issuer for oidc"
        verifier = OidcVerifier(
            issuer=inbound.oidc_issuer, audience=inbound.audience, jwks_url=inbound.oidc_jwks_url
        )
        return CachedVerifier(verifier, seconds=inbound.cache_seconds), None, None
    return None, None, None


def _targets(settings: Settings, argo: ArgoClient) -> Targets | None:
    """The targets file's Argo servers (a bad file stops start-up with the field and the fix), else None: the
    one Argo server of the flags, exactly as without targets."""
    if settings.targets_file is None:
        return None
    from argo_mcp.tools import ALL_TOOLS  # noqa: PLC0415 - build_server imports them anyway
    from argo_mcp.tools.targets import LIST_TARGETS  # noqa: PLC0415

    return Targets.from_file(settings, ALL_TOOLS, settings.targets_file, multi_tools=[LIST_TARGETS])


async def run(settings: Settings, stdio_start: StdioStart | None = None) -> None:
    # The port first: if it cannot be had, start-up fails with one line before anything else is logged.
    sock = None
    if not settings.stdio:
        from argo_mcp.transport.http import listen_socket  # noqa: PLC0415 - each transport loads only its own

        sock = listen_socket(settings.http)
    configure_logging(settings.log_level.value)
    redaction.configure_secret_names(settings.scope.redact_parameter_names)
    log = get_logger("argo_mcp")
    argo = ArgoClient(settings.argo)
    targets = _targets(settings, argo)
    log.info(
        "starting",
        transport="stdio" if settings.stdio else "http",
        argo=settings.argo.server_url,
        auth_mode=settings.argo.auth_mode.value,
        inbound_auth=settings.inbound.mode.value,
        default_namespace=settings.argo.default_namespace,
        tls_verify=not settings.argo.insecure_skip_tls_verify,
        **({"targets": targets.names, "default_target": targets.default} if targets is not None else {}),
    )
    if settings.stdio:
        # stdio has no inbound auth: the client that launched the process owns it.
        from argo_mcp.transport.stdio import serve_stdio  # noqa: PLC0415 - each transport loads only its own

        server = build_server(settings, argo, targets=targets)
        runtime.settle()
        await serve_stdio(server, argo, stdio_start)
        return
    from argo_mcp.transport.http import build_app, serve_http  # noqa: PLC0415 - loaded above already

    verifier, authorize, closable = _access_layer(settings)
    if verifier is None and not is_loopback(settings.http.host):
        log.warning(
            "inbound_auth_disabled",
            message=(
                f"the MCP endpoint on {settings.http.host}:{settings.http.port} accepts calls from anyone who can "
                "reach it, acting with argo-mcp's own Argo identity; use --auth-inbound kubernetes (or oidc) "
                "in a shared cluster"
            ),
        )
    if settings.task_key_file is None:
        log.warning(
            "task_key_per_process",
            message=(
                "task ids and confirmations are sealed with a key of this process: they live only as long as it "
                "does, and another replica does not recognise them; give every replica the same --task-key-file "
                "(the chart and the operator create one)"
            ),
        )
    wrap = None
    routes: list[BaseRoute] = []
    if verifier is not None:
        chosen = verifier

        def wrap(app: ASGIApp) -> ASGIApp:
            return InboundAuth(app, chosen, resource=settings.inbound.resource_url)

        routes = list(
            metadata_routes(
                verifier, resource=settings.inbound.resource_url, audience=settings.inbound.audience
            )
        )
    server = build_server(settings, argo, authorize=authorize, targets=targets)
    app = build_app(settings, server, argo, wrap_mcp=wrap, extra_routes=routes, targets=targets)
    runtime.settle()
    try:
        assert sock is not None
        await serve_http(settings, app, sock)
    finally:
        if closable is not None:
            await closable.close()
