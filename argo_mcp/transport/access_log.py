"""One access-log line for every refused HTTP request, written in one place; and the HTTP metrics (requests by path
and status, refusals by status and reason), counted in the same place.

Why: argo-mcp logs no access line for answered requests (the tool-call line is the useful record), so a request
refused before any tool ran (401 from inbound auth, 403 for a browser Origin, 421 for a foreign Host, 503 when
the token cannot be checked or every connection is busy) left no trace, and a platform team could not tell an
attack, a misconfigured client or an outage apart. `RefusalLog` wraps the whole ASGI app and logs any response
with one of those statuses; the component that refused puts its reason on the ASGI scope with `argo_mcp.refusal.refuse()`. The
connection limit answers before any request exists, so it calls `log_refusal` itself.

The line carries method, path (without the query), status, reason and the peer address; never a header value,
so neither the token nor the Authorization header can reach it (the log's redaction is a second guard).
"""

from __future__ import annotations

from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from argo_mcp.metrics import record_http, record_http_refusal
from argo_mcp.refusal import REFUSAL_KEY, REFUSAL_KIND_KEY

log = structlog.get_logger("argo_mcp.http")

REFUSED_STATUSES = frozenset({401, 403, 421, 429, 503})
# Probes answer 503 while Argo is unreachable: a state the probe reports, not a refused request.
UNLOGGED_PATHS = frozenset({"/readyz", "/healthz"})
_DEFAULT_REASONS = {
    401: "unauthorized",
    403: "forbidden",
    421: "misdirected request",
    429: "too many requests",
    503: "unavailable",
}
_DEFAULT_KINDS = {
    401: "unauthorized",
    403: "forbidden",
    421: "misdirected",
    429: "too_many_requests",
    503: "unavailable",
}


def peer_of(client: Any) -> str | None:
    """`host:port` of an ASGI `client` (or a socket peername) tuple; None when unknown (a Unix socket)."""
    if isinstance(client, list | tuple) and len(client) >= 2:
        return f"{client[0]}:{client[1]}"
    return None


def log_refusal(
    *,
    status: int,
    reason: str,
    peer: str | None,
    method: str | None,
    path: str | None,
    kind: str | None = None,
) -> None:
    """The access-log line of one refused request, and its count (`kind`: the metrics' one-word reason)."""
    record_http_refusal(status, kind or _DEFAULT_KINDS.get(status, str(status)))
    emit = log.warning if status >= 500 else log.info
    emit("http_request_refused", method=method, path=path, status=status, reason=reason, peer=peer)


class RefusalLog:
    """Outermost ASGI wrapper: every answer counted by path and status; one `http_request_refused` line (and
    count) per answer with a refusal status, but the probes' (whose 503 reports Argo's state)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path") or "")
        probe = path in UNLOGGED_PATHS

        async def send_logged(message: Message) -> None:
            if message["type"] != "http.response.start":
                await send(message)
                return
            status = int(message["status"])
            record_http(path, status)
            if status in REFUSED_STATUSES and not probe:
                log_refusal(
                    status=status,
                    reason=str(scope.get(REFUSAL_KEY) or _DEFAULT_REASONS[status]),
                    peer=peer_of(scope.get("client")),
                    method=scope.get("method"),
                    path=path,
                    kind=scope.get(REFUSAL_KIND_KEY),
                )
            await send(message)

        await self.app(scope, receive, send_logged)
