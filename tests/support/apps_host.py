"""A stand-in MCP Apps host for browser tests: a loopback HTTP server that serves tests/e2e/apps_host/host.html,
hands it the view read from a real argo-mcp (resources/read over MCP) and a real tool result, and proxies the
view's tools/call to argo-mcp with an MCP client that negotiated the Apps extension."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mcp_types as types
from aiohttp import web
from mcp import Client
from mcp.client import advertise

from argo_mcp.apps import APP_MIME_TYPE, EXTENSION_ID, VIEW_URI
from tests.support.processes import free_port, http_client

HOST_PAGE = Path(__file__).resolve().parents[1] / "e2e" / "apps_host" / "host.html"
APPS = advertise(EXTENSION_ID, {"mimeTypes": [APP_MIME_TYPE]})


@dataclass
class AppsHost:
    client: Client
    tool: str
    arguments: dict[str, Any]
    theme: str = "light"
    calls: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    async def start_payload(self, _request: web.Request) -> web.Response:
        """What the page needs: the view as argo-mcp serves it, and the tool's real input and result."""
        read = await self.client.read_resource(VIEW_URI)
        view = read.contents[0]
        assert isinstance(view, types.TextResourceContents) and view.mime_type == APP_MIME_TYPE
        result = await self.client.call_tool(self.tool, self.arguments)
        return web.json_response(
            {
                "html": view.text,
                "theme": self.theme,
                "arguments": self.arguments,
                "result": result.model_dump(by_alias=True, exclude_none=True, mode="json"),
            }
        )

    async def call(self, request: web.Request) -> web.Response:
        params = await request.json()
        self.calls.append(params)
        result = await self.client.call_tool(params["name"], params.get("arguments") or {})
        return web.json_response({"result": result.model_dump(by_alias=True, exclude_none=True, mode="json")})

    async def page(self, _request: web.Request) -> web.Response:
        return web.Response(text=HOST_PAGE.read_text(), content_type="text/html")


@contextlib.asynccontextmanager
async def apps_host(
    server_url: str,
    tool: str,
    arguments: dict[str, Any],
    *,
    theme: str = "light",
    headers: dict[str, str] | None = None,
) -> AsyncIterator[AppsHost]:
    """The host page on 127.0.0.1 (its URL in `.url`), talking to the argo-mcp at `server_url`."""
    async with http_client(server_url, extensions=[APPS], headers=headers) as client:
        host = AppsHost(client, tool, arguments, theme)
        app = web.Application()
        app.router.add_get("/", host.page)
        app.router.add_get("/start", host.start_payload)
        app.router.add_post("/call", host.call)
        runner = web.AppRunner(app, shutdown_timeout=1.0)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        host.url = f"http://127.0.0.1:{port}/"
        try:
            yield host
        finally:
            await runner.cleanup()
