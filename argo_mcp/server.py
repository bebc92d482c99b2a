"""Builds the MCP server from the tool registry.

The exposure decision (toolsets, read-only, destructive switches) is made once here, from the settings, so a
hidden tool is absent from `tools/list` and cannot be called, rather than listed and refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import mcp_types as types
import structlog
from mcp.server.caching import CacheHint
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.shared.exceptions import MCPError

from argo_mcp import __version__, telemetry
from argo_mcp.access.caller import caller_from_request
from argo_mcp.argo.client import ArgoClient
from argo_mcp.completions import completion_handler
from argo_mcp.confirmation import Proceed, confirm
from argo_mcp.prompts import prompt_handlers
from argo_mcp.resources import resource_handlers
from argo_mcp.settings import Settings
from argo_mcp.tools import ALL_TOOLS
from argo_mcp.tools.registry import (
    Authorizer,
    ProgressFn,
    Tool,
    ToolKind,
    error_result,
    exposed,
    run_tool,
)

log = structlog.get_logger("argo_mcp.server")
audit_log = structlog.get_logger("argo_mcp.audit")

# tools/list and prompts/list depend on the server's flags alone (the same for every caller) and change only
# when it restarts: 2026-07-28 clients (and shared caches) may keep them for five minutes.
STATIC_LISTS = CacheHint(ttl_ms=300_000, scope="public")

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

    def guard(self, method: str, handler: Any) -> Any:
        """`handler` (a resources/* handler that asks Argo) under the same limit as tool calls."""

        async def guarded(ctx: ServerRequestContext[Any, Any], params: Any) -> Any:
            if self.running >= self.limit:
                log.warning("request_refused_busy", method=method, limit=self.limit)
                raise MCPError(
                    types.INTERNAL_ERROR,
                    f"argo-mcp is busy: {self.limit} calls are already running (--max-inflight-calls), so "
                    f"{method} was not started and nothing was sent to Argo; retry in a few seconds",
                )
            self.running += 1
            try:
                return await handler(ctx, params)
            finally:
                self.running -= 1

        return guarded


def _valid(tool: Tool[Any], params: types.CallToolRequestParams) -> bool:
    try:
        tool.input_model.parse_arguments(params.arguments)
    except ValueError:
        return False
    return True


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
    # A 2026-07-28 tools/call is checked against its tool's input schema (its Mcp-Param-* headers); without this
    # lookup the SDK finds the schema by running the whole tools/list handler again for every call.
    input_schemas = {tool.name: tool.input_schema for tool in listing.tools}
    inflight = InFlightLimit(settings.max_inflight_calls)

    async def on_list_tools(
        _ctx: ServerRequestContext[Any, Any], _params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return listing

    async def on_call_tool(
        ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult | types.InputRequiredResult:
        tool = by_name.get(params.name)
        if tool is None:
            hidden = any(t.name == params.name for t in tools)
            reason = (
                "is disabled on this server (read-only, toolsets or destructive switch)"
                if hidden
                else "does not exist"
            )
            return error_result(f"Tool {params.name!r} {reason}; call tools/list for the available tools")
        if settings.confirm_destructive and tool.kind is ToolKind.DESTRUCTIVE and _valid(tool, params):
            # Before the in-flight count: the user may take a while to answer. Invalid arguments are not asked
            # about; run_tool reports them.
            outcome = await confirm(ctx, tool, params, settings.argo.default_namespace)
            if not isinstance(outcome, Proceed):
                if isinstance(outcome, types.CallToolResult):
                    # The audit trail has the destructive calls that did not happen too, and why.
                    audit_log.info(
                        "audit",
                        caller=getattr(caller_from_request(ctx.request), "username", None) or "anonymous",
                        tool=tool.name,
                        kind=tool.kind.value,
                        name=(params.arguments or {}).get("name") or (params.arguments or {}).get("uid"),
                        outcome="not-confirmed",
                    )
                return outcome
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

    resources = resource_handlers(settings, argo, by_name, authorize)
    for handler, method in (("on_list_resources", "resources/list"), ("on_read_resource", "resources/read")):
        resources[handler] = inflight.guard(method, resources[handler])
    server: Server[Any] = Server(
        "argo-mcp",
        version=__version__,
        title="Argo Workflows MCP",
        instructions=INSTRUCTIONS,
        cache_hints={"tools/list": STATIC_LISTS, "prompts/list": STATIC_LISTS},
        on_list_tools=on_list_tools,
        on_call_tool=on_call_tool,
        get_tool_input_schema=input_schemas.get,
        **prompt_handlers(settings.argo.default_namespace),
        on_completion=completion_handler(settings, argo, by_name, authorize),
        **resources,
        **(extra_handlers or {}),
    )
    # The SDK installs an OpenTelemetry middleware by default: a span per MCP message, parented on the trace
    # context in `_meta`. Kept when tracing is on (telemetry.py); otherwise argo-mcp's own logs and metrics per
    # call are enough, so skip the per-message span work.
    if not telemetry.enabled():
        server.middleware = [m for m in server.middleware if type(m).__name__ != "OpenTelemetryMiddleware"]
    return server
