"""completion/complete: suggestions for prompt arguments, so a client can offer real names as the user types.

`namespace` completes from the namespaces argo-mcp may act in (--namespaces, else the default namespace: Argo
has no API that lists namespaces). `name` of `debug_failed_workflow` completes from the workflows whose names
start with what was typed, asked of Argo through the `list_workflows` tool itself, so the namespace allow-list,
the caller's RBAC and the exposure switches apply exactly as to a tool call. A suggestion that cannot be
made (a refused namespace, Argo unreachable, a hidden tool) is an empty list, never an error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import mcp_types as types
import orjson
from mcp.server.context import ServerRequestContext

from argo_mcp.access.caller import caller_from_request
from argo_mcp.argo.client import ArgoClient
from argo_mcp.settings import Settings
from argo_mcp.tools.registry import Authorizer, Tool, run_tool

MAX_VALUES = 100  # the most values one completion may carry (MCP specification)
_SELECTOR_UNSAFE = frozenset(",=!() \t\n")

CompletionHandler = Callable[
    [ServerRequestContext[Any, Any], types.CompleteRequestParams], Awaitable[types.CompleteResult]
]
# (prompt, argument) -> the tool whose list answers it
NAME_SOURCES = {("debug_failed_workflow", "name"): "list_workflows"}


def _result(values: list[str]) -> types.CompleteResult:
    more = len(values) > MAX_VALUES
    return types.CompleteResult(
        completion=types.Completion(
            values=values[:MAX_VALUES], total=None if more else len(values), has_more=more
        )
    )


def completion_handler(
    settings: Settings,
    argo: ArgoClient,
    tools: Mapping[str, Tool[Any]],
    authorize: Authorizer | None = None,
) -> CompletionHandler:
    """`on_completion` for the low-level server; `tools` are the exposed tools by name."""

    def namespaces(prefix: str) -> list[str]:
        candidates = settings.scope.namespaces or (settings.argo.default_namespace,)
        return sorted(ns for ns in candidates if ns.startswith(prefix))

    async def names(tool_name: str, namespace: str | None, prefix: str, caller: Any) -> list[str]:
        tool = tools.get(tool_name)
        if tool is None or _SELECTOR_UNSAFE & set(prefix):
            return []
        arguments: dict[str, Any] = {"limit": MAX_VALUES + 1}
        if namespace:
            arguments["namespace"] = namespace
        if prefix:
            arguments |= {"fieldSelector": f"metadata.name={prefix}", "nameFilter": "Prefix"}
        result = await run_tool(
            tool, arguments, argo=argo, settings=settings, caller=caller, authorize=authorize
        )
        if result.is_error or not result.content or result.content[0].type != "text":
            return []
        items = orjson.loads(result.content[0].text).get("items") or []
        return [str(item["name"]) for item in items if str(item.get("name", "")).startswith(prefix)]

    async def on_completion(
        ctx: ServerRequestContext[Any, Any], params: types.CompleteRequestParams
    ) -> types.CompleteResult:
        ref, argument = params.ref, params.argument
        if not isinstance(ref, types.PromptReference):
            return _result([])  # argo-mcp serves no resource templates (yet)
        if argument.name == "namespace":
            return _result(namespaces(argument.value))
        source = NAME_SOURCES.get((ref.name, argument.name))
        if source is None:
            return _result([])
        context = (params.context.arguments if params.context else None) or {}
        found = await names(
            source, context.get("namespace"), argument.value, caller_from_request(ctx.request)
        )
        return _result(found)

    return on_completion
