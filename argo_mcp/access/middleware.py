"""Inbound authentication in front of /mcp, following the MCP authorization spec.

A request without a valid bearer token gets HTTP 401 (never a tool error) with a `WWW-Authenticate` header that
points to the protected resource metadata (RFC 9728) served at `/.well-known/oauth-protected-resource/mcp`, so a
client can discover how to get a token. The validated caller is stored on the ASGI scope for the tools.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from hashlib import sha256
from typing import Protocol

import structlog
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from argo_mcp.access.caller import SCOPE_KEY, Caller, InvalidToken, IssuerUnavailable
from argo_mcp.redaction import request_secret
from argo_mcp.refusal import refuse

log = structlog.get_logger("argo_mcp.access")
METADATA_PATH = "/.well-known/oauth-protected-resource/mcp"


class TokenVerifier(Protocol):
    async def verify(self, token: str) -> Caller:
        """The caller the token proves, or raise InvalidToken."""
        ...

    def authorization_servers(self) -> list[str]: ...


class CachedVerifier:
    """Remembers verdicts for a short, bounded time (keyed by the token's hash, never the token itself)."""

    def __init__(self, inner: TokenVerifier, *, seconds: float, size: int = 1024) -> None:
        self.inner = inner
        self.seconds = seconds
        self.size = size
        self._cache: OrderedDict[str, tuple[float, Caller | InvalidToken]] = OrderedDict()

    async def verify(self, token: str) -> Caller:
        key = sha256(token.encode()).hexdigest()
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit is not None and hit[0] > now:
            verdict = hit[1]
        else:
            try:
                verdict = await self.inner.verify(token)
            except InvalidToken as exc:
                verdict = exc
            self._cache[key] = (now + self.seconds, verdict)
            self._cache.move_to_end(key)
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
        if isinstance(verdict, InvalidToken):
            raise verdict
        return verdict

    def authorization_servers(self) -> list[str]:
        return self.inner.authorization_servers()


_HOST = re.compile(r"^[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]{2,45}\](:[0-9]{1,5})?$")


def resource_url(scope: Scope, configured: str | None) -> str:
    """This endpoint's public URL; forwarded headers are used only when they are a plain scheme and host."""
    if configured:
        return configured
    headers = Headers(scope=scope)
    scheme = headers.get("x-forwarded-proto") or scope.get("scheme", "http")
    if scheme not in ("http", "https"):
        scheme = "http"
    host = next(
        (h for h in (headers.get("x-forwarded-host"), headers.get("host")) if h and _HOST.match(h)),
        "localhost",
    )
    return f"{scheme}://{host}/mcp"


def quoted(value: str) -> str:
    """An RFC 9110 quoted-string: printable ASCII only (anything else escaped), quotes and backslashes escaped."""
    ascii_text = value.encode("ascii", "backslashreplace").decode()
    printable = "".join(c if " " <= c <= "~" else "?" for c in ascii_text)
    return '"' + printable.replace("\\", "\\\\").replace('"', '\\"') + '"'


async def _unavailable(scope: Scope, receive: Receive, send: Send, reason: str) -> None:
    refuse(scope, f"the token could not be checked: {reason}", kind="token_check")
    response = JSONResponse(
        {
            "error": "temporarily_unavailable",
            "error_description": f"the token could not be checked: {reason}",
        },
        status_code=503,
        headers={"Retry-After": "5"},
    )
    await response(scope, receive, send)


def _metadata_url(resource: str) -> str:
    base, _, _ = resource.partition("/mcp")
    return base.rstrip("/") + METADATA_PATH


class InboundAuth:
    """ASGI wrapper for the MCP app: bearer token required and verified."""

    def __init__(self, app: ASGIApp, verifier: TokenVerifier, *, resource: str | None) -> None:
        self.app = app
        self.verifier = verifier
        self.resource = resource

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = Headers(scope=scope).get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            await self._reject(scope, receive, send, None, "a bearer token is required")
            return
        with request_secret(token.strip()):
            await self._verified(scope, receive, send, token.strip())

    async def _verified(self, scope: Scope, receive: Receive, send: Send, token: str) -> None:
        try:
            caller = await self.verifier.verify(token)
        except InvalidToken as exc:
            await self._reject(scope, receive, send, "invalid_token", str(exc))
            return
        except IssuerUnavailable as exc:
            await _unavailable(scope, receive, send, str(exc))
            return
        except Exception:
            log.exception("inbound_token_check_failed")
            refuse(
                scope, "the token could not be checked (see inbound_token_check_failed)", kind="token_check"
            )
            response = JSONResponse(
                {
                    "error": "temporarily_unavailable",
                    "error_description": "the token could not be checked; retry",
                },
                status_code=503,
                headers={"Retry-After": "5"},
            )
            await response(scope, receive, send)
            return
        scope[SCOPE_KEY] = caller
        await self.app(scope, receive, send)

    async def _reject(
        self, scope: Scope, receive: Receive, send: Send, error: str | None, reason: str
    ) -> None:
        refuse(scope, f"{error}: {reason}" if error else reason)
        metadata = _metadata_url(resource_url(scope, self.resource))
        challenge = f"Bearer resource_metadata={quoted(metadata)}"
        if error:
            challenge += f", error={quoted(error)}, error_description={quoted(reason)}"
        response = JSONResponse(
            {"error": error or "unauthorized", "error_description": reason},
            status_code=401,
            headers={"WWW-Authenticate": challenge},
        )
        await response(scope, receive, send)


def metadata_routes(verifier: TokenVerifier, *, resource: str | None, audience: str) -> list[Route]:
    """RFC 9728 protected resource metadata for /mcp (also at the path-less well-known URL)."""

    async def metadata(request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "resource": resource_url(request.scope, resource),
                "authorization_servers": verifier.authorization_servers(),
                "bearer_methods_supported": ["header"],
                "resource_name": "argo-mcp (Argo Workflows MCP server)",
                "resource_documentation": f"tokens must carry the audience '{audience}'",
            }
        )

    return [
        Route(METADATA_PATH, endpoint=metadata, methods=["GET"]),
        Route("/.well-known/oauth-protected-resource", endpoint=metadata, methods=["GET"]),
    ]
