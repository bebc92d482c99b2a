"""An MCP client whose user answers elicitation requests (the confirmation of --confirm-destructive)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any, Literal

import httpx2
import mcp_types as types
from mcp import Client
from mcp.client.streamable_http import streamable_http_client


class User:
    """The client's user: answers each confirmation with `action` (and `confirm` in the form)."""

    def __init__(
        self, action: Literal["accept", "decline", "cancel"] = "accept", confirm: bool = True
    ) -> None:
        self.action, self.confirm = action, confirm
        self.asked: list[types.ElicitRequestFormParams] = []

    async def __call__(self, context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        assert isinstance(params, types.ElicitRequestFormParams), params
        self.asked.append(params)
        content = {"confirm": self.confirm} if self.action == "accept" else None
        return types.ElicitResult(action=self.action, content=content)


@contextlib.asynccontextmanager
async def elicitation_client(url: str, user: User | None, mode: str = "auto") -> AsyncIterator[Client]:
    """A real SDK client over streamable HTTP that declares elicitation when `user` is given."""
    async with httpx2.AsyncClient(timeout=httpx2.Timeout(30)) as http:
        transport = streamable_http_client(url, http_client=http)
        async with Client(transport, mode=mode, elicitation_callback=user) as client:
            yield client
