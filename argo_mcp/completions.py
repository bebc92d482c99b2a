"""completion/complete: suggestions for prompt and resource template arguments, so a client can offer real names
as the user types.

`namespace` completes from the namespaces argo-mcp may act in (--namespaces, else the default namespace: Argo
has no API that lists namespaces). Names complete from Argo through the list tools themselves
(`list_workflows`, `list_workflow_templates`, `list_cluster_workflow_templates`, `list_cron_workflows`), sent
down the call pipeline, so the namespace allow-list, the caller's RBAC, the in-flight limit and the exposure
switches apply exactly as to a tool call. Workflows are
narrowed by Argo (a name prefix), WorkflowTemplates by Argo's name pattern, the kinds Argo cannot narrow from one
page of names. The `parameters` of `submit_from_template` complete from the named template's own parameters
(read with `get_workflow_template`), one `name=default` pair at a time. A suggestion that cannot be made (a refused namespace, Argo unreachable, a hidden tool) is an
empty list, never an error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import mcp_types as types
from mcp.server.context import ServerRequestContext

from argo_mcp.calls import Answer, Call, CallPipeline
from argo_mcp.calls.requests import caller_of, peer_of
from argo_mcp.resources import (
    CLUSTER_WORKFLOW_TEMPLATE,
    CRON_WORKFLOW,
    RESOURCE_TEMPLATES,
    TARGET_TEMPLATE,
    WORKFLOW,
    WORKFLOW_LOGS,
    WORKFLOW_TEMPLATE,
)
from argo_mcp.settings import Settings
from argo_mcp.tools.registry import Tool
from argo_mcp.tools.shaping import REDACTED

MAX_VALUES = 100  # the most values one completion may carry (MCP specification)
PAGE = 500  # names read when Argo cannot narrow them by prefix (filtered here)
_SELECTOR_UNSAFE = frozenset(",=!() \t\n")

CompletionHandler = Callable[
    [ServerRequestContext[Any, Any], types.CompleteRequestParams], Awaitable[types.CompleteResult]
]


@dataclass(frozen=True)
class NameSource:
    """The list tool whose names complete an argument, and how Argo can narrow them to the typed prefix."""

    tool: str
    narrow: Literal["prefix", "pattern", "none"]
    namespaced: bool = True


WORKFLOWS = NameSource("list_workflows", "prefix")
WORKFLOW_TEMPLATES = NameSource("list_workflow_templates", "pattern")
CLUSTER_WORKFLOW_TEMPLATES = NameSource("list_cluster_workflow_templates", "none", namespaced=False)
CRON_WORKFLOWS = NameSource("list_cron_workflows", "none")

# (prompt, argument) -> where its names come from.
PROMPT_NAMES = {
    ("debug_failed_workflow", "name"): WORKFLOWS,
    ("submit_from_template", "template"): WORKFLOW_TEMPLATES,
}
# (prompt, argument) -> the argument naming the WorkflowTemplate whose parameters complete it ("a=1,b" -> "a=1,b=x").
PROMPT_PARAMETERS = {("submit_from_template", "parameters"): "template"}
# (resource template, argument) -> where its names come from.
RESOURCE_NAMES = {
    (WORKFLOW.uri_template, "name"): WORKFLOWS,
    (WORKFLOW_LOGS.uri_template, "name"): WORKFLOWS,
    (WORKFLOW_TEMPLATE.uri_template, "name"): WORKFLOW_TEMPLATES,
    (CLUSTER_WORKFLOW_TEMPLATE.uri_template, "name"): CLUSTER_WORKFLOW_TEMPLATES,
    (CRON_WORKFLOW.uri_template, "name"): CRON_WORKFLOWS,
}
_TEMPLATES = {decl.uri_template: decl for decl in RESOURCE_TEMPLATES}


def _result(values: list[str]) -> types.CompleteResult:
    more = len(values) > MAX_VALUES
    return types.CompleteResult(
        completion=types.Completion(
            values=values[:MAX_VALUES], total=None if more else len(values), has_more=more
        )
    )


def _arguments(source: NameSource, namespace: str | None, prefix: str) -> dict[str, Any]:
    """The list tool's arguments for names starting with `prefix`."""
    arguments: dict[str, Any] = {"limit": MAX_VALUES + 1 if source.narrow == "prefix" else PAGE}
    if namespace and source.namespaced:
        arguments["namespace"] = namespace
    if prefix and source.narrow == "prefix":
        arguments |= {"fieldSelector": f"metadata.name={prefix}", "nameFilter": "Prefix"}
    elif prefix and source.narrow == "pattern":
        arguments["namePattern"] = prefix  # "contains": the prefix is kept below
    return arguments


def completion_handler(
    settings: Settings, pipeline: CallPipeline, tools: Mapping[str, Tool[Any]]
) -> CompletionHandler:
    """`on_completion` for the low-level server; `tools` are the exposed tools by name."""

    targets = pipeline.targets

    def namespaces(prefix: str, target: str | None) -> list[str]:
        chosen = targets.get(target) if targets.multi else None
        scope = chosen.settings if chosen is not None else settings
        candidates = scope.scope.namespaces or (scope.argo.default_namespace,)
        return sorted(ns for ns in candidates if ns.startswith(prefix))

    async def target_names(ctx: ServerRequestContext[Any, Any], prefix: str) -> list[str]:
        usable = await targets.usable(caller_of(ctx), pipeline.authorize)
        return [target.name for target in usable if target.name.startswith(prefix)]

    async def answer(
        ctx: ServerRequestContext[Any, Any], tool_name: str, arguments: dict[str, Any], target: str | None
    ) -> dict[str, Any] | None:
        """The tool's JSON answer through the pipeline, or None when it is hidden, refused or failed."""
        tool = tools.get(tool_name)
        if tool is None:
            return None
        call = Call(tool, arguments, road="completion/complete", caller=caller_of(ctx), peer=peer_of(ctx),
                    target=target)  # fmt: skip
        outcome = await pipeline.run(call)
        return outcome.data if isinstance(outcome, Answer) and isinstance(outcome.data, dict) else None

    async def names(
        ctx: ServerRequestContext[Any, Any],
        source: NameSource,
        namespace: str | None,
        prefix: str,
        target: str | None,
    ) -> list[str]:
        if _SELECTOR_UNSAFE & set(prefix):
            return []
        listed = await answer(ctx, source.tool, _arguments(source, namespace, prefix), target)
        items = (listed or {}).get("items") or []
        found = [str(item["name"]) for item in items if str(item.get("name", "")).startswith(prefix)]
        return found if source.narrow == "prefix" else sorted(found)

    async def parameters(
        ctx: ServerRequestContext[Any, Any],
        template: str,
        namespace: str | None,
        typed: str,
        target: str | None,
    ) -> list[str]:
        """`typed` ("a=1,b") completed with the template's parameters not yet given, each with its default."""
        if not template:
            return []
        arguments = {"name": template} | ({"namespace": namespace} if namespace else {})
        read = await answer(ctx, "get_workflow_template", arguments, target)
        declared = ((read or {}).get("arguments") or {}).get("parameters") or []
        done, _, current = typed.rpartition(",")
        given = {pair.partition("=")[0].strip() for pair in done.split(",") if pair}
        lead = f"{done}," if done else ""
        # A secret's default is shown redacted: offer its name with no value rather than "[redacted]".
        return [
            f"{lead}{param['name']}={'' if param.get('default') == REDACTED else param.get('default', '')}"
            for param in declared
            if param["name"] not in given and param["name"].startswith(current.partition("=")[0].strip())
        ]

    async def on_completion(
        ctx: ServerRequestContext[Any, Any], params: types.CompleteRequestParams
    ) -> types.CompleteResult:
        ref, argument = params.ref, params.argument
        context = (params.context.arguments if params.context else None) or {}
        # With several targets, `target` in the context picks the Argo server the names come from.
        target = context.get("target") if targets.multi else None
        if targets.multi and argument.name == "target":
            return _result(await target_names(ctx, argument.value))
        if isinstance(ref, types.PromptReference):
            if argument.name == "namespace":
                return _result(namespaces(argument.value, target))
            template_argument = PROMPT_PARAMETERS.get((ref.name, argument.name))
            if template_argument is not None:
                given = (params.context.arguments if params.context else None) or {}
                return _result(
                    await parameters(
                        ctx, given.get(template_argument, ""), given.get("namespace"), argument.value, target
                    )
                )
            source = PROMPT_NAMES.get((ref.name, argument.name))
        else:
            decl = _TEMPLATES.get(ref.uri.removesuffix(TARGET_TEMPLATE))
            if decl is None or decl.tool not in tools or argument.name not in decl.variables:
                return _result([])  # not a template this server serves, or not one of its arguments
            if argument.name == "namespace":
                return _result(namespaces(argument.value, target))
            source = RESOURCE_NAMES.get((decl.uri_template, argument.name))
        if source is None:
            return _result([])
        return _result(await names(ctx, source, context.get("namespace"), argument.value, target))

    return on_completion
