"""Builds the MCP server from the tool registry.

The exposure decision (toolsets, read-only, destructive switches) is made once here, from the settings, so a
hidden tool is absent from `tools/list` and cannot be called, rather than listed and refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server

from argo_mcp import __version__
from argo_mcp.access.caller import caller_from_request
from argo_mcp.argo.client import ArgoClient
from argo_mcp.prompts import prompt_handlers
from argo_mcp.settings import Settings
from argo_mcp.tools import ALL_TOOLS
from argo_mcp.tools.registry import Authorizer, ProgressFn, Tool, error_result, exposed, run_tool

INSTRUCTIONS = (
    "Tools to operate Argo Workflows: list, inspect, submit and manage workflows, archived workflows, "
    "artifacts, Argo Events EventSources and Sensors. `namespace` defaults to the server's default namespace. "
    "List tools answer 100 items a page (`limit`) and a `continue` token for the next. Log tools answer the "
    "last 200 lines (`tailLines`, counted after `grep`), at most 64 KiB: narrow with sinceSeconds, grep or "
    "podName. Tools marked destructive cannot be undone."
)


def _progress_reporter(ctx: ServerRequestContext[Any, Any]) -> ProgressFn:
    meta: Any = ctx.meta or {}
    token = meta.get("progress_token") if isinstance(meta, dict) else None
    if token is None and isinstance(meta, dict):
        token = meta.get("progressToken")

    async def report(progress: float, total: float | None, message: str | None) -> None:
        if token is None:
            return
        await ctx.session.send_progress_notification(
            token,
            progress,
            total,
            message,
            related_request_id=str(ctx.request_id) if ctx.request_id else None,
        )

    return report


def build_server(
    settings: Settings,
    argo: ArgoClient,
    *,
    tools: Sequence[Tool[Any]] = ALL_TOOLS,
    authorize: Authorizer | None = None,
    extra_handlers: dict[str, Any] | None = None,
) -> Server[Any]:
    chosen = exposed(tools, settings)
    by_name = {tool.name: tool for tool in chosen}
    listing = types.ListToolsResult(tools=[tool.to_mcp() for tool in chosen])

    async def on_list_tools(
        _ctx: ServerRequestContext[Any, Any], _params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return listing

    async def on_call_tool(
        ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        tool = by_name.get(params.name)
        if tool is None:
            hidden = any(t.name == params.name for t in tools)
            reason = (
                "is disabled on this server (read-only, toolsets or destructive switch)"
                if hidden
                else "does not exist"
            )
            return error_result(f"Tool {params.name!r} {reason}; call tools/list for the available tools")
        return await run_tool(
            tool,
            params.arguments,
            argo=argo,
            settings=settings,
            progress=_progress_reporter(ctx),
            caller=caller_from_request(ctx.request),
            authorize=authorize,
        )

    server: Server[Any] = Server(
        "argo-mcp",
        version=__version__,
        title="Argo Workflows MCP",
        instructions=INSTRUCTIONS,
        on_list_tools=on_list_tools,
        on_call_tool=on_call_tool,
        **prompt_handlers(settings.argo.default_namespace),
        **(extra_handlers or {}),
    )
    # The SDK installs an OpenTelemetry middleware by default; argo-mcp has its own structured logs and
    # metrics per call, so skip the per-message span work.
    server.middleware = [m for m in server.middleware if type(m).__name__ != "OpenTelemetryMiddleware"]
    return server
