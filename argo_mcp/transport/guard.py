"""Host and Origin checks in front of /mcp (DNS-rebinding and browser cross-origin protection).

The SDK's own check only knows exact names and `host:*`; behind a Kubernetes Service the server is reached as
`argo-mcp`, `argo-mcp.ns`, `argo-mcp.ns.svc.cluster.local` or by IP, so argo-mcp uses its own rules:
patterns such as `*.svc` match subdomains, ports are ignored, IP literals and single-label names are always
accepted (a rebinding attacker can only make a browser send a multi-label name that the attacker's DNS
controls). A request that carries an Origin header (only browsers send one) must come from an allowed origin;
loopback origins (`http://localhost:<port>`, `http://127.0.0.1:<port>`, `http://[::1]:<port>`) are always
allowed, since only a page served from the user's own machine has one (a rebinding page keeps its own
origin), so browser-based MCP clients such as the Inspector's web UI can connect.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from argo_mcp.refusal import refuse


def split_host(host_header: str) -> str:
    """Lower-cased host without the port; handles [v6]:port."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


def host_allowed(host_header: str | None, patterns: Sequence[str]) -> bool:
    if not host_header:
        return False
    host = split_host(host_header)
    if not host:
        return False
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    if "." not in host:
        return True
    for raw_pattern in patterns:
        pattern = split_host(raw_pattern)
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]):
                return True
        elif host == pattern:
            return True
    return False


def is_loopback_origin(origin: str) -> bool:
    """`http(s)://localhost[:port]`, `*.localhost`, `127.x.y.z` or `[::1]`; nothing else."""
    try:
        parts = urlsplit(origin)
        host = parts.hostname
        _ = parts.port  # a malformed port raises
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host or parts.username or parts.path not in ("", "/"):
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def origin_allowed(origin: str | None, allowed: Sequence[str]) -> bool:
    if origin is None:
        return True
    if is_loopback_origin(origin):
        return True
    origin = origin.rstrip("/").lower()
    for raw_entry in allowed:
        entry = raw_entry.rstrip("/").lower()
        if entry in ("*", origin):
            return True
        if entry.endswith(":*") and origin.startswith(entry[:-1]):
            return True
    return False


class HostOriginGuard:
    """ASGI middleware: 421 for a foreign Host, 403 for a browser Origin that is not allowed."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        allowed_hosts: Sequence[str],
        allowed_origins: Sequence[str],
        paths: Sequence[str],
    ) -> None:
        self.app = app
        self.allowed_hosts = tuple(allowed_hosts)
        self.allowed_origins = tuple(allowed_origins)
        self.paths = tuple(paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.paths):
            headers = Headers(scope=scope)
            if not host_allowed(headers.get("host"), self.allowed_hosts):
                refuse(scope, "Host not served here (--allowed-hosts)", kind="host")
                response = JSONResponse(
                    {"error": "misdirected request: this Host is not served here (see --allowed-hosts)"},
                    status_code=421,
                )
                await response(scope, receive, send)
                return
            if not origin_allowed(headers.get("origin"), self.allowed_origins):
                refuse(scope, "browser Origin not allowed (--allowed-origins)", kind="origin")
                response = JSONResponse(
                    {
                        "error": "forbidden: browser requests from this Origin are not allowed (see --allowed-origins)"
                    },
                    status_code=403,
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
