"""What an MCP request tells the pipeline about who sent it: the caller the inbound-auth middleware validated
(none over stdio, or with `--auth-inbound none`) and the client's address, which counts anonymous callers
apart for admission."""

from __future__ import annotations

from typing import Any

from mcp.server.context import ServerRequestContext

from argo_mcp.access.caller import Caller, caller_from_request


def caller_of(ctx: ServerRequestContext[Any, Any]) -> Caller | None:
    return caller_from_request(ctx.request)


def peer_of(ctx: ServerRequestContext[Any, Any]) -> str | None:
    """The HTTP client's address ("host"), or None over stdio, where the one client owns the process."""
    client = getattr(ctx.request, "client", None)
    host = getattr(client, "host", None)
    return host if isinstance(host, str) else None
