"""What an MCP request tells the pipeline about who sent it: the caller the inbound-auth middleware validated
(none over stdio, or with `--auth-inbound none`) and the client's address, which counts anonymous callers
apart for admission."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import mcp_types as types
from mcp.server.context import ServerRequestContext

from argo_mcp.access.caller import Caller, caller_from_request

ResultT = TypeVar("ResultT")
ListHandler = Callable[
    [ServerRequestContext[Any, Any], types.PaginatedRequestParams | None], Awaitable[ResultT]
]


def fixed_list(result: ResultT) -> ListHandler[ResultT]:
    """A `*/list` handler answering `result`, built once: the tools, prompts and resource templates a server
    offers do not change while it runs, and each fits in one page, so every call answers the same object."""

    async def on_list(
        _ctx: ServerRequestContext[Any, Any], _params: types.PaginatedRequestParams | None
    ) -> ResultT:
        return result

    return on_list


def caller_of(ctx: ServerRequestContext[Any, Any]) -> Caller | None:
    return caller_from_request(ctx.request)


def peer_of(ctx: ServerRequestContext[Any, Any]) -> str | None:
    """The HTTP client's address ("host"), or None over stdio, where the one client owns the process."""
    client = getattr(ctx.request, "client", None)
    host = getattr(client, "host", None)
    return host if isinstance(host, str) else None
