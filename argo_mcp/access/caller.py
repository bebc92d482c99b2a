"""The authenticated caller of one MCP request, carried on the ASGI scope from the auth middleware to the tools."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SCOPE_KEY = "argo_mcp.caller"


@dataclass(frozen=True)
class Caller:
    username: str
    uid: str = ""
    groups: tuple[str, ...] = ()
    extra: dict[str, list[str]] = field(default_factory=dict)


class InvalidToken(Exception):
    """The presented token is not acceptable; the message says why (never the token)."""


def caller_from_request(request: Any) -> Caller | None:
    """The caller the middleware stored on this HTTP request's scope, if any (None over stdio)."""
    scope = getattr(request, "scope", None)
    if not isinstance(scope, dict):
        return None
    caller = scope.get(SCOPE_KEY)
    return caller if isinstance(caller, Caller) else None


class IssuerUnavailable(Exception):
    """The token could not be checked because the issuer (its JWKS) cannot be reached: a 503, not a 401."""
