"""Workflow read tools: list, get, workflow logs, pod logs."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from argo_mcp.argo.errors import ArgoError
from argo_mcp.argo.streams import format_pod_log, format_workflow_log
from argo_mcp.policy import POD_LOGS, WORKFLOWS_GET, WORKFLOWS_LIST, Scope, ToolError
from argo_mcp.settings import ToolGroup
from argo_mcp.tools.inputs import LabelSelector, ListOptionsInput, NamedInput, PathSegment
from argo_mcp.tools.logs import LOG_ANSWER, LogOptions, drain
from argo_mcp.tools.paths import api
from argo_mcp.tools.registry import TextOutput, Tool, ToolContext, ToolKind
from argo_mcp.tools.shaping import (
    LIVE_ONLY_SELECTOR,
    POD_NAME_FORMAT,
    WORKFLOW_DETAIL_FIELDS,
    WORKFLOW_LIST_FIELDS,
    ListShape,
    clean,
    is_archived,
    pod_name,
    workflow_detail,
    workflow_item,
)
from argo_mcp.tools.suggest import unknown_name


class ListWorkflowsInput(ListOptionsInput):
    name_filter: Literal["Exact", "Contains", "Prefix"] | None = Field(
        default=None,
        description="How fieldSelector 'metadata.name=x' matches (default Exact).",
    )
    created_after: datetime | None = Field(default=None, description="Only those created after this.")
    finished_before: datetime | None = Field(default=None, description="Only those finished before this.")
    fields: str | None = Field(
        default=None,
        description="With full: field filter, e.g. 'items.metadata.name'.",
    )
    full: bool = Field(
        default=False,
        description="Whole objects.",
    )


async def list_workflows(ctx: ToolContext, args: ListWorkflowsInput) -> dict[str, Any]:
    shape = ListShape(
        workflow_item, full=args.full, cap=ctx.settings.max_answer_bytes, namespace=ctx.namespace or None
    )
    answer = await ctx.argo.request(
        "GET",
        api("workflows", ctx.namespace),
        query={
            **args.list_options(),
            "nameFilter": args.name_filter,
            "createdAfter": args.created_after.isoformat() if args.created_after else None,
            "finishedBefore": args.finished_before.isoformat() if args.finished_before else None,
            # The compact answer asks Argo only for the fields it shows (no status.nodes per item).
            "fields": args.fields if args.full else WORKFLOW_LIST_FIELDS,
        },
        what=f"list workflows in namespace {ctx.namespace}",
        check_body=shape.check_body,
    )
    items = answer.get("items") if isinstance(answer, dict) else None
    archived = isinstance(items, list) and any(is_archived(item) for item in items)
    shaped = shape.shape(answer)
    if archived:
        # Said once, and only when the page has one: a run delete_workflow removed is still listed.
        shaped["archivedHint"] = (
            "archived: true = read from Argo's workflow archive, perhaps deleted from the cluster (the archive "
            f"tools take its uid); labelSelector '{LIVE_ONLY_SELECTOR}' leaves archived runs out"
        )
    return shaped


class GetWorkflowInput(NamedInput):
    full: bool = Field(
        default=False,
        description="The whole object.",
    )
    fields: str | None = Field(
        default=None,
        description="Argo's field filter, e.g. 'metadata,status.nodes' or '-spec'.",
    )


async def get_workflow(ctx: ToolContext, args: GetWorkflowInput) -> dict[str, Any]:
    raw = args.full or args.fields is not None
    answer: dict[str, Any] = await ctx.argo.request(
        "GET",
        api("workflows", ctx.namespace, args.name),
        query={"fields": args.fields if raw else WORKFLOW_DETAIL_FIELDS},
        what=f"get workflow {ctx.namespace}/{args.name}",
    )
    return clean(answer) if raw else workflow_detail(answer)


# Argo's workflow containers are init, wait and main; the step's own output is main's (as `argo logs` shows).
DEFAULT_CONTAINER = "main"
CONTAINER_HELP = "Default: main."


class WorkflowLogsInput(NamedInput, LogOptions):
    container: str | None = Field(default=None, description=CONTAINER_HELP)
    pod_name: str | None = Field(default=None, description="Only this pod (default: all).")
    selector: LabelSelector | None = Field(default=None, description="Only pods with these labels.")


async def get_workflow_logs(ctx: ToolContext, args: WorkflowLogsInput) -> TextOutput:
    args = args.model_copy(update={"container": args.container or DEFAULT_CONTAINER})
    query = {
        **args.pod_log_options("logOptions"),
        "podName": args.pod_name,
        "grep": args.grep,
        "selector": args.selector,
    }
    answer = await drain(
        ctx,
        api("workflows", ctx.namespace, args.name, "log"),
        query,
        what=f"logs of workflow {ctx.namespace}/{args.name}",
        options=args,
        formatter=format_workflow_log,
        empty_hint="the workflow's pods have not logged anything yet, or the filters matched nothing",
    )
    if args.pod_name and not answer.data.get("linesRead"):
        await _check_pod(ctx, args.name, args.pod_name)
    return answer


async def workflow_pods(ctx: ToolContext, name: str) -> list[str]:
    """The pods of a workflow's Pod nodes, as the log tools take them (one GET of the nodes only)."""
    wf = await ctx.argo.request(
        "GET",
        api("workflows", ctx.namespace, name),
        query={"fields": "metadata.annotations,status.nodes"},
        what=f"get workflow {ctx.namespace}/{name}",
    )
    version = str(((wf.get("metadata") or {}).get("annotations") or {}).get(POD_NAME_FORMAT) or "v2")
    nodes = (wf.get("status") or {}).get("nodes") or {}
    return [
        pod_name(name, node, version)
        for node in nodes.values()
        if isinstance(node, dict) and node.get("type") == "Pod"
    ]


async def _check_pod(ctx: ToolContext, workflow: str, pod: str) -> None:
    """Argo filters a workflow's logs by podName without checking that the pod is the workflow's, so a wrong
    name reads as "no log lines": when nothing came back, a name that is none of its pods is refused, naming
    them. (When the workflow cannot be read, the empty answer stands.)"""
    try:
        pods = await workflow_pods(ctx, workflow)
    except ArgoError:
        return
    if pod not in pods:
        raise ToolError(
            unknown_name("pod", pod, pods, where=f"workflow {ctx.namespace}/{workflow}")
            + " (podName takes a pod as get_workflow names it)"
        )


class PodLogsInput(NamedInput, LogOptions):
    container: str | None = Field(default=None, description=CONTAINER_HELP)
    pod_name: PathSegment = Field(description="A node's pod, as get_workflow names it.")


async def get_pod_logs(ctx: ToolContext, args: PodLogsInput) -> TextOutput:
    args = args.model_copy(update={"container": args.container or DEFAULT_CONTAINER})
    return await drain(
        ctx,
        api("workflows", ctx.namespace, args.name, args.pod_name, "log"),
        {**args.pod_log_options("logOptions"), "grep": args.grep},
        what=f"logs of pod {args.pod_name} of workflow {ctx.namespace}/{args.name}",
        options=args,
        formatter=format_pod_log,
        empty_hint="the pod has not logged anything yet, or the filters matched nothing",
    )


TOOLS: list[Tool[Any]] = [
    Tool(
        name="list_workflows",
        title="List workflows",
        description="List workflows in a namespace with optional label/field selectors and pagination.",
        group=ToolGroup.WORKFLOWS,
        kind=ToolKind.READ_ONLY,
        input_model=ListWorkflowsInput,
        handler=list_workflows,
        scope=Scope.argument(),
        permission=WORKFLOWS_LIST,
    ),
    Tool(
        name="get_workflow",
        title="Get a workflow",
        description=(
            "Fetch a single workflow by name: a summary with its failed and running nodes and their pods; full "
            "or fields for the resource."
        ),
        group=ToolGroup.WORKFLOWS,
        kind=ToolKind.READ_ONLY,
        input_model=GetWorkflowInput,
        handler=get_workflow,
        scope=Scope.argument(),
        permission=WORKFLOWS_GET,
    ),
    Tool(
        name="get_workflow_logs",
        title="Workflow logs",
        description=f"Workflow logs (one or all pods) as one text: {LOG_ANSWER}.",
        group=ToolGroup.WORKFLOWS,
        kind=ToolKind.READ_ONLY,
        input_model=WorkflowLogsInput,
        handler=get_workflow_logs,
        scope=Scope.argument(),
        permission=POD_LOGS,
        task=True,
    ),
    Tool(
        name="get_pod_logs",
        title="Pod logs",
        description=f"Logs of one pod of a workflow as one text: {LOG_ANSWER}.",
        group=ToolGroup.WORKFLOWS,
        kind=ToolKind.READ_ONLY,
        input_model=PodLogsInput,
        handler=get_pod_logs,
        scope=Scope.argument(),
        permission=POD_LOGS,
    ),
]
