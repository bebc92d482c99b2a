"""Builds the MCP server from the tool registry.

The exposure decision (toolsets, read-only, destructive switches) is made once here, from the settings, so a
hidden tool is absent from `tools/list` and cannot be called, rather than listed and refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import mcp_types as types
import structlog
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server

from argo_mcp import __version__
from argo_mcp.access.caller import caller_from_request
from argo_mcp.argo.client import ArgoClient
from argo_mcp.completions import completion_handler
from argo_mcp.prompts import prompt_handlers
from argo_mcp.settings import Settings
from argo_mcp.tools import ALL_TOOLS
from argo_mcp.tools.registry import Authorizer, ProgressFn, Tool, error_result, exposed, run_tool

log = structlog.get_logger("argo_mcp.server")

INSTRUCTIONS = (
    "Tools to operate Argo Workflows: list, inspect, submit and manage workflows, archived workflows, "
    "artifacts, Argo Events EventSources and Sensors, and the WorkflowTemplates, ClusterWorkflowTemplates and "
    "CronWorkflows workflows are submitted from; diagnose_workflow explains a failure. "
    "`namespace` (a Kubernetes namespace) defaults to the server's default namespace. "
    "List tools answer 100 items a page (`limit`) and a `continue` token for the next; `labelSelector` is a "
    "Kubernetes label selector (a workflow's phase is its label workflows.argoproj.io/phase, e.g. "
    "'workflows.argoproj.io/phase=Failed'). Log tools answer the "
    "last 200 lines (`tailLines`, counted after `grep`), at most 64 KiB: narrow with sinceSeconds, grep or "
    "podName. A description ending in [Mutating] changes objects, in [Destructive] cannot be undone; "
    "the other tools only read."
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


class InFlightLimit:
    """At most `limit` tool calls run at once; one more is refused at once rather than queued behind slow
    calls (a queue would hold its connection open and time out anyway). Single event loop: a counter is enough."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.running = 0

    def busy_result(self, tool: str) -> types.CallToolResult:
        return error_result(
            f"argo-mcp is busy: {self.limit} tool calls are already running (--max-inflight-calls), so {tool} "
            "was not started and nothing was sent to Argo; retry in a few seconds"
        )


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
    inflight = InFlightLimit(settings.max_inflight_calls)

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
        if inflight.running >= inflight.limit:
            log.warning("tool_call_refused_busy", tool=tool.name, limit=inflight.limit)
            return inflight.busy_result(tool.name)
        inflight.running += 1
        try:
            return await run_tool(
                tool,
                params.arguments,
                argo=argo,
                settings=settings,
                progress=_progress_reporter(ctx),
                caller=caller_from_request(ctx.request),
                authorize=authorize,
            )
        finally:
            inflight.running -= 1

    server: Server[Any] = Server(
        "argo-mcp",
        version=__version__,
        title="Argo Workflows MCP",
        instructions=INSTRUCTIONS,
        on_list_tools=on_list_tools,
        on_call_tool=on_call_tool,
        **prompt_handlers(settings.argo.default_namespace),
        on_completion=completion_handler(settings, argo, by_name, authorize),
        **(extra_handlers or {}),
    )
    # The SDK installs an OpenTelemetry middleware by default; argo-mcp has its own structured logs and
    # metrics per call, so skip the per-message span work.
    server.middleware = [m for m in server.middleware if type(m).__name__ != "OpenTelemetryMiddleware"]
    return server
