"""Builds the MCP server: the exposed tools and thin adapters from each MCP method to the call pipeline.

The exposure decision (toolsets, read-only, destructive switches) is made once here, from the settings, so a
hidden tool is absent from `tools/list` and cannot be called, rather than listed and refused. `tools/call`,
`resources/*` and `completion/complete` each turn a request into a `Call` for the one pipeline (calls/), which
parses, places, authorizes, confirms, admits, runs, shapes and records; nothing is checked or counted here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import mcp_types as types
import structlog
from mcp.server.caching import CacheHint
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server

from argo_mcp import __version__, apps, icons, metrics, telemetry
from argo_mcp.argo.client import ArgoClient
from argo_mcp.calls import Call, CallPipeline, Confirmer, error_result
from argo_mcp.calls.confirm import Proceed, confirm
from argo_mcp.calls.requests import caller_of, peer_of
from argo_mcp.calls.targets import TARGET_ARGUMENT, TARGET_HEADER, Targets
from argo_mcp.completions import completion_handler
from argo_mcp.policy import Authorizer
from argo_mcp.prompts import prompt_handlers
from argo_mcp.resources import resource_handlers
from argo_mcp.sealing import Sealer
from argo_mcp.settings import Settings
from argo_mcp.subscriptions import Subscriptions
from argo_mcp.tasks import EXTENSION as TASKS_EXTENSION
from argo_mcp.tasks import Tasks
from argo_mcp.tools import ALL_TOOLS
from argo_mcp.tools.registry import ProgressFn, Tool

log = structlog.get_logger("argo_mcp.server")

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


def _confirmer(
    ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams, sealer: Sealer
) -> Confirmer:
    """The pipeline's confirm stage for one `tools/call`: the question goes to this request's client."""

    async def ask(
        tool: Tool[Any], parsed: Any, namespace: str
    ) -> types.CallToolResult | types.InputRequiredResult | None:
        answer = await confirm(ctx, tool, params, parsed, namespace, sealer)
        return None if isinstance(answer, Proceed) else answer

    return ask


TARGET_PROPERTY: dict[str, Any] = {"type": "string", "x-mcp-header": TARGET_HEADER}
"""The `target` argument every tool takes when a targets file names several Argo servers; what it means is
said once, in list_targets' description and the server's instructions, not in each tool (~14 tokens a tool)."""


def _offered(targets: Targets) -> list[Tool[Any]]:
    """The tools some target exposes, in declaration order (one target: exactly that target's)."""
    exposed_somewhere = {name for target in targets.all() for name in target.tools}
    return [tool for tool in targets.offered() if tool.name in exposed_somewhere]


def _to_mcp(tool: Tool[Any], *, multi: bool) -> types.Tool:
    listed = tool.to_mcp()
    if not multi:
        return listed
    schema = dict(listed.input_schema)
    schema["properties"] = {**schema.get("properties", {}), TARGET_ARGUMENT: TARGET_PROPERTY}
    return listed.model_copy(update={"input_schema": schema})


class _Listing:
    """tools/list (plain, and linked to the workflow view for MCP Apps clients) and the tools by name, rebuilt
    when the targets file changed the set of targets."""

    def __init__(self, targets: Targets) -> None:
        self.targets = targets
        self.generation = -1
        self.build()

    def build(self) -> None:
        if self.generation == self.targets.generation:
            return
        chosen = _offered(self.targets)
        self.by_name = {tool.name: tool for tool in chosen}
        self.result = types.ListToolsResult(
            tools=[_to_mcp(tool, multi=self.targets.multi) for tool in chosen]
        )
        # A 2026-07-28 tools/call is checked against its tool's input schema (its Mcp-Param-* headers); without
        # this lookup the SDK finds the schema by running the whole tools/list handler again for every call.
        self.input_schemas = {tool.name: tool.input_schema for tool in self.result.tools}
        # An MCP Apps client gets the workflow tools linked to the view (apps.py), every other client exactly
        # the plain list. Tool-group icons (icons.py) are not sent: measured at ~19,900 tokens for the whole
        # list, more than twice its budget.
        self.with_view = apps.with_view(self.result)
        self.generation = self.targets.generation

    async def on_list(
        self, ctx: ServerRequestContext[Any, Any], _params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        await self.targets.reload_if_changed()
        self.build()
        return self.with_view if apps.negotiated(ctx) else self.result

    def input_schema(self, name: str) -> dict[str, Any] | None:
        self.build()
        return self.input_schemas.get(name)


def build_server(
    settings: Settings,
    argo: ArgoClient,
    *,
    tools: Sequence[Tool[Any]] = ALL_TOOLS,
    authorize: Authorizer | None = None,
    extra_handlers: dict[str, Any] | None = None,
    targets: Targets | None = None,
) -> Server[Any]:
    targets = targets or Targets(settings, tools, argo=argo)
    listing = _Listing(targets)
    by_name = listing.by_name
    pipeline = CallPipeline(settings, argo, authorize=authorize, targets=targets)
    metrics.watch_budgets(
        pipeline.admission.readings()
    )  # the budgets' gauges read this server's (one per process)
    sealer = Sealer.from_file(settings.task_key_file)
    tasks = Tasks(pipeline, by_name, sealer, lambda ctx, params: _confirmer(ctx, params, sealer))

    async def on_call_tool(
        ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult | types.InputRequiredResult:
        listing.build()
        tool = listing.by_name.get(params.name)
        if tool is None:
            hidden = any(t.name == params.name for t in tools)
            reason = (
                "is disabled on this server (read-only, toolsets or destructive switch)"
                if hidden
                else "does not exist"
            )
            return error_result(f"Tool {params.name!r} {reason}; call tools/list for the available tools")
        if tasks.wanted(ctx, tool.name, params.arguments):
            return await tasks.start(ctx, params, legacy=False)  # type: ignore[return-value]
        call = Call(
            tool,
            params.arguments,
            caller=caller_of(ctx),
            peer=peer_of(ctx),
            progress=_progress_reporter(ctx),
        )
        outcome = await pipeline.run(call, _confirmer(ctx, params, sealer))
        return outcome.result

    resources = resource_handlers(settings, pipeline, by_name)
    server: Server[Any] = Server(
        "argo-mcp",
        version=__version__,
        title="Argo Workflows MCP",
        instructions=INSTRUCTIONS,
        cache_hints={"tools/list": STATIC_LISTS, "prompts/list": STATIC_LISTS},
        icons=icons.SERVER_ICONS,
        on_list_tools=listing.on_list,
        on_call_tool=on_call_tool,
        get_tool_input_schema=listing.input_schema,
        **prompt_handlers(
            settings.argo.default_namespace, targets=tuple(targets.names), default_target=targets.default
        ),
        on_completion=completion_handler(settings, pipeline, by_name),
        **resources,
        **(extra_handlers or {}),
    )
    for method, handler in tasks.handlers().items():
        params_type = {
            "tasks/cancel": types.CancelTaskRequestParams,
            "tasks/result": types.GetTaskPayloadRequestParams,
        }
        server.add_request_handler(method, params_type.get(method, types.GetTaskRequestParams), handler)
    server.extensions[TASKS_EXTENSION] = {}
    server.extensions[apps.EXTENSION_ID] = apps.SERVER_EXTENSION
    subscriptions = Subscriptions(pipeline, by_name)
    metrics.watch_subscriptions(
        lambda: sum(subscriptions.by_caller.values()), lambda: len(subscriptions.watches.watches)
    )
    server.add_request_handler(
        "subscriptions/listen", types.SubscriptionsListenRequestParams, subscriptions.listen
    )
    server.add_request_handler("resources/subscribe", types.SubscribeRequestParams, subscriptions.subscribe)
    server.add_request_handler(
        "resources/unsubscribe", types.UnsubscribeRequestParams, subscriptions.unsubscribe
    )
    server.middleware.append(tasks.middleware)
    server.middleware.append(apps.middleware)
    # The SDK installs an OpenTelemetry middleware by default: a span per MCP message, parented on the trace
    # context in `_meta`. Kept when tracing is on (telemetry.py); otherwise argo-mcp's own logs and metrics per
    # call are enough, so skip the per-message span work.
    if not telemetry.enabled():
        # By type: the SDK offers no option for it, and a class-name comparison would keep a renamed one.
        from mcp.server._otel import OpenTelemetryMiddleware  # noqa: PLC0415

        server.middleware = [m for m in server.middleware if not isinstance(m, OpenTelemetryMiddleware)]
    return server
