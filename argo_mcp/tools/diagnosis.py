"""Drilling into a workflow: one node in full (`get_workflow_node`), and why it failed (`diagnose_workflow`).

`get_workflow` answers with a summary whose failed nodes carry ids and pod names; `get_workflow_node` is the
next step down, one node with everything Argo records about it. `diagnose_workflow` does in one bounded call
what an agent otherwise does in five: find the failed and errored steps, read their exit codes, messages,
durations, retries and inputs, and tail each failing pod's main log; and, for a run that has not failed but
will not go on (a pod whose image cannot be pulled, that no node can take, whose Secret is missing), the stuck
pods with the fix (`stuckNodes`). The answer is held to 4,000 tokens (see
`budget.py`): logs are shortened first (their last lines are kept), then node details, never the verdict.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from pydantic import Field

from argo_mcp.argo.errors import ArgoError
from argo_mcp.argo.streams import LOG_CAP_BYTES, drain_log_stream, format_pod_log
from argo_mcp.policy import POD_LOGS, WORKFLOWS_GET, Scope, ToolError
from argo_mcp.settings import ToolGroup
from argo_mcp.tools.budget import json_tokens, tail_within
from argo_mcp.tools.inputs import NamedInput
from argo_mcp.tools.paths import api
from argo_mcp.tools.registry import Tool, ToolContext, ToolKind
from argo_mcp.tools.shaping import (
    POD_NAME_FORMAT,
    clean,
    parameter_values,
    pod_name,
    redact_text,
    workflow_summary,
)

NODE_FIELDS = "metadata.name,metadata.namespace,metadata.annotations,status.nodes"
DIAGNOSIS_FIELDS = (
    "metadata.name,metadata.namespace,metadata.uid,metadata.labels,metadata.annotations,"
    "spec.workflowTemplateRef,status.phase,status.message,status.startedAt,status.finishedAt,status.progress,"
    "status.nodes"
)
FAILED = ("Failed", "Error")
GROUPS = ("StepGroup", "TaskGroup", "Steps", "DAG", "Retry")
TOKEN_BUDGET = 4000  # what the tool promises
FIT_BUDGET = 3800  # what it aims for: a margin under the promise for text the estimate underrates
MAX_NODES = 5  # failing nodes described; the rest are counted
# Read up to the log tools' cap of each failing pod's tail (tailLines lines), then keep its end within the budget.
LOG_BYTES = LOG_CAP_BYTES
LOG_SECONDS = 10.0
MESSAGE_CHARS = 400
PENDING_SECONDS = 300  # a pod pending longer than this without a known reason is reported as stuck
# Why a pod does not run, as Argo's node message starts ("<reason>: <detail>", from the pod's waiting container
# or its PodScheduled condition: getPendingReason in workflow/controller/operator.go), and the fix.
_IMAGE_FIX = (
    "the image cannot be pulled: check the image name and tag in the template, that the cluster's nodes can "
    "reach its registry, and imagePullSecrets for a private registry"
)
STUCK_REASONS = {
    "ErrImagePull": _IMAGE_FIX,
    "ImagePullBackOff": _IMAGE_FIX,
    "InvalidImageName": "the image reference is malformed: fix the image in the template",
    "ErrImageNeverPull": "imagePullPolicy is Never and the image is not on the node: use IfNotPresent or Always",
    "Unschedulable": (
        "no node can take the pod: lower its resource requests or fix its nodeSelector, affinity or "
        "tolerations (the message says which), or add capacity"
    ),
    "CreateContainerConfigError": (
        "a Secret or ConfigMap (or a key of it) the pod uses does not exist: create it in the namespace or fix "
        "the reference in the template"
    ),
    "CreateContainerError": "the container could not be created: see the message (command, volume mounts)",
    "RunContainerError": "the container could not be started: see the message (command, volume mounts)",
}
_PENDING_FIX = (
    "the pod has been pending for long: look at its events (kubectl describe pod), the namespace's resource "
    "quota and the cluster's capacity"
)
VALUE_CHARS = 200
_LIST_LIMIT = 20


# ---- get_workflow_node --------------------------------------------------------------------------------------
class NodeInput(NamedInput):
    node: str = Field(
        min_length=1,
        max_length=512,
        description="Node id or display name, e.g. 'build'.",
    )


async def _workflow(ctx: ToolContext, name: str, fields: str) -> dict[str, Any]:
    answer: dict[str, Any] = await ctx.argo.request(
        "GET",
        api("workflows", ctx.namespace, name),
        query={"fields": fields},
        what=f"get workflow {ctx.namespace}/{name}",
    )
    return answer


def _nodes(wf: dict[str, Any]) -> dict[str, dict[str, Any]]:
    nodes = (wf.get("status") or {}).get("nodes") or {}
    return {key: node for key, node in nodes.items() if isinstance(node, dict)}


def _label(node: dict[str, Any]) -> str:
    return str(node.get("displayName") or node.get("name") or node.get("id"))


def find_node(nodes: dict[str, dict[str, Any]], wanted: str) -> dict[str, Any]:
    """By id, else by display name, else by full name; an ambiguous or unknown name is an error that lists
    what the agent can pass instead."""
    if wanted in nodes:
        return nodes[wanted]
    for field in ("id", "displayName", "name"):
        matches = [n for n in nodes.values() if n.get(field) == wanted]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            ids = ", ".join(str(n.get("id")) for n in matches[:_LIST_LIMIT])
            raise ToolError(
                f"{len(matches)} nodes are named {wanted!r} (a loop, retry or reused step); pass one id: {ids}"
            )
    names = sorted({_label(n) for n in nodes.values()})
    shown = ", ".join(names[:_LIST_LIMIT]) + (
        f" and {len(names) - _LIST_LIMIT} more" if len(names) > _LIST_LIMIT else ""
    )
    raise ToolError(
        f"the workflow has no node with id or name {wanted!r}"
        + (f"; its nodes: {shown}" if names else " (it has no nodes yet)")
    )


def _brief(node: dict[str, Any]) -> dict[str, Any]:
    return {"id": node.get("id"), "name": _label(node), "type": node.get("type"), "phase": node.get("phase")}


def _parent(nodes: dict[str, dict[str, Any]], node_id: str) -> dict[str, Any] | None:
    return next((n for n in nodes.values() if node_id in (n.get("children") or [])), None)


def _version(wf: dict[str, Any]) -> str:
    return str(((wf.get("metadata") or {}).get("annotations") or {}).get(POD_NAME_FORMAT) or "v2")


async def get_workflow_node(ctx: ToolContext, args: NodeInput) -> dict[str, Any]:
    wf = await _workflow(ctx, args.name, NODE_FIELDS)
    nodes = _nodes(wf)
    node = dict(find_node(nodes, args.node))
    node_id = str(node.get("id"))
    if node.get("type") == "Pod":
        node["podName"] = pod_name(args.name, node, _version(wf))
    node["children"] = [_brief(nodes[c]) if c in nodes else {"id": c} for c in node.get("children") or []]
    parent = _parent(nodes, node_id)
    if parent is not None:
        node["parent"] = _brief(parent)
    if (seconds := _seconds(node)) is not None:
        node["durationSeconds"] = seconds
    return {"workflow": args.name, "namespace": ctx.namespace, "node": clean(node)}


# ---- diagnose_workflow --------------------------------------------------------------------------------------
class DiagnoseInput(NamedInput):
    tail_lines: int = Field(default=30, ge=1, le=200, description="Last log lines per failing pod.")


def _seconds(node: dict[str, Any]) -> int | None:
    try:
        started = datetime.fromisoformat(str(node["startedAt"]).replace("Z", "+00:00"))
        finished = datetime.fromisoformat(str(node["finishedAt"]).replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return None
    return int((finished - started).total_seconds())


def _short(text: Any, limit: int) -> str:
    value = redact_text(str(text))
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _inputs(node: dict[str, Any]) -> dict[str, Any]:
    inputs = node.get("inputs") or {}
    shaped: dict[str, Any] = {}
    if params := parameter_values(inputs.get("parameters")):
        shaped["parameters"] = {
            k: _short(v, VALUE_CHARS) if isinstance(v, str) else v for k, v in params.items()
        }
    artifacts = [a.get("name") for a in inputs.get("artifacts") or [] if isinstance(a, dict)]
    if artifacts:
        shaped["artifacts"] = artifacts
    return shaped


def _failing(nodes: dict[str, dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """The failed or errored steps to describe, each with its retries: the last attempt of a retried step
    stands for it. Pods first; a failed node of another kind only when no pod failed (a bad reference, a
    rejected resource, a failed HTTP template)."""
    failed = [n for n in nodes.values() if n.get("phase") in FAILED]
    leaves = [n for n in failed if n.get("type") == "Pod"] or [
        n for n in failed if n.get("type") not in GROUPS
    ]
    if not leaves:
        leaves = [n for n in failed if n.get("type") not in ("StepGroup", "TaskGroup")]
    chosen: dict[str, dict[str, Any]] = {}
    retries: dict[str, dict[str, Any]] = {}
    for node in sorted(leaves, key=lambda n: str(n.get("startedAt") or "~")):
        parent = _parent(nodes, str(node.get("id")))
        if parent is not None and parent.get("type") == "Retry":
            attempts = [nodes[c] for c in parent.get("children") or [] if c in nodes]
            key = str(parent.get("id"))
            retries[key] = {
                "attempts": len(attempts),
                "failedAttempts": sum(1 for a in attempts if a.get("phase") in FAILED),
            }
            chosen[key] = node  # later attempts replace earlier ones
        else:
            chosen[str(node.get("id"))] = node
    ordered = sorted(chosen.items(), key=lambda item: str(item[1].get("startedAt") or "~"))
    return [node for _, node in ordered], {str(chosen[k].get("id")): v for k, v in retries.items()}


def _describe(node: dict[str, Any], retries: dict[str, Any] | None, pod: str | None) -> dict[str, Any]:
    ref = node.get("templateRef") or {}
    template = f"{ref.get('name')}/{ref.get('template')}" if ref else node.get("templateName")
    entry: dict[str, Any] = {
        "id": node.get("id"),
        "name": _label(node),
        "type": node.get("type"),
        "phase": node.get("phase"),
        "template": template,
        "message": _short(node["message"], MESSAGE_CHARS) if node.get("message") else None,
        "exitCode": (node.get("outputs") or {}).get("exitCode"),
        "durationSeconds": _seconds(node),
        "startedAt": node.get("startedAt"),
        "pod": pod,
        "retries": retries,
        "inputs": _inputs(node) or None,
    }
    return {k: v for k, v in entry.items() if v is not None}


async def _log_tail(ctx: ToolContext, workflow: str, pod: str, lines: int) -> dict[str, Any]:
    try:
        log = await drain_log_stream(
            ctx.argo,
            api("workflows", ctx.namespace, workflow, pod, "log"),
            query={"logOptions.container": "main", "logOptions.tailLines": lines},
            what=f"logs of pod {pod}",
            cap=LOG_BYTES,
            time_limit=LOG_SECONDS,
            formatter=format_pod_log,
            line_filter=redact_text,
        )
    except ArgoError as exc:  # a deleted pod or garbage-collected log must not sink the whole diagnosis
        return {"logError": _short(exc, 300)}
    return {"logTail": log.text or "(the main container logged nothing)"}


def _pending_seconds(node: dict[str, Any], now: datetime) -> int | None:
    try:
        started = datetime.fromisoformat(str(node["startedAt"]).replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return None
    return int((now - started).total_seconds()) if started.tzinfo else None


def stuck_nodes(
    workflow: str, nodes: dict[str, dict[str, Any]], version: str = "v2", now: datetime | None = None
) -> list[dict[str, Any]]:
    """Pods that do not run and will not by waiting, from what Argo records on their node (phase Pending, its
    message): an image that cannot be pulled, a pod no node can take, a missing Secret or ConfigMap; and a pod
    pending longer than PENDING_SECONDS for another reason. Each with its pod and the fix; oldest first."""
    now = now or datetime.now(UTC)
    stuck = []
    for node in sorted(nodes.values(), key=lambda n: str(n.get("startedAt") or "~")):
        if node.get("type") != "Pod" or node.get("phase") != "Pending":
            continue
        message = str(node.get("message") or "")
        reason = message.split(":", 1)[0].strip()
        fix = STUCK_REASONS.get(reason)
        waited = _pending_seconds(node, now)
        if fix is None:
            if waited is None or waited < PENDING_SECONDS:
                continue
            reason, fix = "PendingTooLong", _PENDING_FIX
        entry = {
            "id": node.get("id"),
            "name": _label(node),
            "pod": pod_name(workflow, node, version),
            "reason": reason,
            "message": _short(message, MESSAGE_CHARS) if message else None,
            "pendingSeconds": waited,
            "fix": fix,
        }
        stuck.append({k: v for k, v in entry.items() if v is not None})
    return stuck


def _verdict(
    summary: dict[str, Any], described: list[dict[str, Any]], stuck: list[dict[str, Any]] | None = None
) -> str:
    phase = summary.get("phase")
    if stuck and phase not in FAILED:
        first = stuck[0]
        why = first.get("message") or f"pending for {first.get('pendingSeconds')}s"
        return f"the workflow is {phase} but stuck: {first['name']} {why} (stuckNodes has the fix)"
    if phase not in FAILED:
        return f"the workflow is {phase}, not failed" + (
            f"; {len(described)} node(s) failed on the way" if described else ""
        )
    if not described:
        return f"the workflow {phase}: " + str(summary.get("message") or "no node failed (see message)")
    first = described[0]
    why = first.get("message") or (f"exit code {first['exitCode']}" if "exitCode" in first else "no message")
    return f"{first['name']} ({first.get('template')}) {str(first['phase']).lower()}: {why}"


def fit(answer: dict[str, Any], budget: int = FIT_BUDGET) -> dict[str, Any]:
    """Shorten `answer` in place until its JSON estimate is within `budget`: log tails share what is left
    after everything else, then inputs and messages go, then whole nodes (counted in `moreFailedNodes`)."""
    nodes: list[dict[str, Any]] = answer["failedNodes"]
    logs = [n for n in nodes if "logTail" in n]
    full = {id(n): n["logTail"] for n in logs}
    for node in logs:
        node["logTail"] = ""
    steps: list[Any] = [None, "inputs", "message", "drop"]
    for step in steps:
        if step == "inputs":
            for node in nodes:
                node.pop("inputs", None)
        elif step == "message":
            for node in nodes + answer.get("stuckNodes", []):
                if "message" in node:
                    node["message"] = _short(node["message"], 120)
        elif step == "drop":
            while len(nodes) > 1 and json_tokens(answer) > budget:
                nodes.pop()
                answer["moreFailedNodes"] = answer.get("moreFailedNodes", 0) + 1
            logs = [n for n in logs if n in nodes]
        spare = budget - json_tokens(answer)
        if spare >= 0:
            break
    share = max(0, spare) // max(1, len(logs))
    for node in logs:
        tail, cut = tail_within(full[id(node)], max(0, share - 20))  # 20: room for "logTruncated":true
        node["logTail"] = tail
        if cut:
            node["logTruncated"] = True
    while json_tokens(answer) > budget and any(n.get("logTail") for n in logs):
        for node in logs:
            tail = node["logTail"]
            node["logTail"] = tail[max(1, len(tail) // 4) :]
            node["logTruncated"] = True
    return answer


async def failure_summary(ctx: ToolContext, name: str) -> dict[str, Any]:
    """What a waiting agent needs first when a run failed: the verdict and the failed steps (name, template,
    message, exit code), without logs; diagnose_workflow has the rest. One GET of the nodes."""
    wf = await _workflow(ctx, name, DIAGNOSIS_FIELDS)
    failing, retries = _failing(_nodes(wf))
    described = [_describe(node, retries.get(str(node.get("id"))), None) for node in failing[:3]]
    keep = ("name", "template", "message", "exitCode")
    return {
        "verdict": _short(_verdict(workflow_summary(wf), described), MESSAGE_CHARS),
        "failedNodes": [{k: d[k] for k in keep if k in d} for d in described],
        "next": "diagnose_workflow adds each failed step's log tail",
    }


async def diagnose_workflow(ctx: ToolContext, args: DiagnoseInput) -> dict[str, Any]:
    wf = await _workflow(ctx, args.name, DIAGNOSIS_FIELDS)
    nodes = _nodes(wf)
    summary = workflow_summary(wf)
    summary.pop("uid", None)
    if "message" in summary:
        summary["message"] = _short(summary["message"], MESSAGE_CHARS)
    failing, retries = _failing(nodes)
    version = _version(wf)
    described = []
    for node in failing[:MAX_NODES]:
        pod = pod_name(args.name, node, version) if node.get("type") == "Pod" else None
        described.append(_describe(node, retries.get(str(node.get("id"))), pod))
    logs_note = None
    pods = [d for d in described if d.get("pod")]
    if pods:
        try:
            await ctx.authorize_permission(POD_LOGS)
        except ToolError as exc:
            logs_note = f"logs not included: {exc}"
            pods = []
        tails = await asyncio.gather(*(_log_tail(ctx, args.name, d["pod"], args.tail_lines) for d in pods))
        for entry, tail in zip(pods, tails, strict=True):
            entry.update(tail)
    stuck = stuck_nodes(args.name, nodes, version)
    answer: dict[str, Any] = {
        "workflow": summary,
        "verdict": _short(_verdict(summary, described, stuck), MESSAGE_CHARS),
        "failedNodes": described,
    }
    if stuck:
        answer["stuckNodes"] = stuck[:MAX_NODES]
        if len(stuck) > MAX_NODES:
            answer["moreStuckNodes"] = len(stuck) - MAX_NODES
    if len(failing) > MAX_NODES:
        answer["moreFailedNodes"] = len(failing) - MAX_NODES
    if logs_note:
        answer["note"] = logs_note
    answer["next"] = (
        "get_workflow_node (node=<id>) shows a node in full; get_pod_logs (podName=<pod>) reads more of a log"
    )
    return fit(answer)


TOOLS: list[Tool[Any]] = [
    Tool(
        name="get_workflow_node",
        title="Get a workflow node",
        description=(
            "One node of a workflow in full: inputs, outputs, artifacts, pod name, timings, message, children."
        ),
        group=ToolGroup.WORKFLOWS,
        kind=ToolKind.READ_ONLY,
        input_model=NodeInput,
        handler=get_workflow_node,
        permission=WORKFLOWS_GET,
        scope=Scope.argument(),
    ),
    Tool(
        name="diagnose_workflow",
        title="Diagnose a workflow",
        description=(
            "Why a workflow failed, in at most 4,000 tokens: failed nodes with template, message, exit code, "
            "duration, retries, inputs and their pod's log tail."
        ),
        group=ToolGroup.WORKFLOWS,
        kind=ToolKind.READ_ONLY,
        input_model=DiagnoseInput,
        handler=diagnose_workflow,
        permission=WORKFLOWS_GET,
        scope=Scope.argument(),
    ),
]
