"""What agents keep asking for beyond the reference: wait for a workflow, and see its steps as a tree.

`wait_for_workflow` polls a trimmed view of the workflow (Argo's `fields` filter) until it finishes or the time
limit passes, sending MCP progress notifications as nodes complete. `get_workflow_graph` turns `status.nodes`
(a flat map linked by children/boundaryID) into the tree a human reads: steps in order within step groups,
DAG tasks within their DAG, retries with their attempts, each with phase and duration. With `format` mermaid or
dot it answers the same nodes as a graph a client can draw (edges are Argo's own `children` links, as Argo's UI
draws them, and the exit handler hangs off the workflow's root), each node with its pod name and phase.
"""

from __future__ import annotations

import asyncio
import re
import time
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import Field

from argo_mcp.policy import WORKFLOWS_GET, Scope
from argo_mcp.settings import ToolGroup
from argo_mcp.tools.diagnosis import failure_summary
from argo_mcp.tools.inputs import NamedInput
from argo_mcp.tools.paths import api
from argo_mcp.tools.registry import TextOutput, Tool, ToolContext, ToolKind
from argo_mcp.tools.shaping import POD_NAME_FORMAT, parameter_values, pod_name, redact_text, workflow_summary

FINISHED = frozenset({"Succeeded", "Failed", "Error"})
SUMMARY_FIELDS = (
    "metadata.name,metadata.namespace,metadata.uid,metadata.labels,spec.workflowTemplateRef,"
    "status.phase,status.progress,status.message,status.startedAt,status.finishedAt,status.outputs.parameters"
)
GRAPH_CAP_BYTES = 64 * 1024


GraphFormat = Literal["tree", "mermaid", "dot"]


class GraphInput(NamedInput):
    format: GraphFormat = Field(default="tree", description="tree, mermaid or dot.")


class WaitInput(NamedInput):
    timeout_seconds: float = Field(default=300, gt=0, le=3600, description="Give up after N seconds.")
    poll_seconds: float = Field(default=3, ge=0.2, le=60, description="Seconds between checks.")


def _progress_fraction(progress: str | None) -> tuple[float, float | None]:
    try:
        done, total = (progress or "").split("/")
        return float(done), float(total)
    except ValueError:
        return 0.0, None


async def wait_for_workflow(ctx: ToolContext, args: WaitInput) -> dict[str, Any]:
    deadline = time.monotonic() + args.timeout_seconds
    last_reported: tuple[str, str] | None = None
    while True:
        workflow = await ctx.argo.request(
            "GET",
            api("workflows", ctx.namespace, args.name),
            query={"fields": SUMMARY_FIELDS},
            what=f"get workflow {ctx.namespace}/{args.name}",
        )
        summary = workflow_summary(workflow)
        phase = summary.get("phase", "Pending")
        state = (phase, str(summary.get("progress")))
        if state != last_reported:
            done, total = _progress_fraction(summary.get("progress"))
            await ctx.progress(done, total, f"{args.name}: {phase} ({summary.get('progress', '?')})")
            last_reported = state
        if phase in FINISHED:
            return await _finished(ctx, args.name, workflow, summary)
        remaining = deadline - time.monotonic()
        if remaining <= 0 or ctx.one_look:
            return {
                "finished": False,
                "timedOut": True,
                "workflow": summary,
                "hint": "still running: call wait_for_workflow again, or get_workflow_graph to see where it is",
            }
        await asyncio.sleep(min(args.poll_seconds, remaining))


async def _finished(
    ctx: ToolContext, name: str, workflow: dict[str, Any], summary: dict[str, Any]
) -> dict[str, Any]:
    """The answer for a run that ended: what it produced (secret-looking values redacted) and, when it failed,
    why (the failed steps, as diagnose_workflow finds them, without logs)."""
    answer: dict[str, Any] = {"finished": True, "timedOut": False, "workflow": summary}
    outputs = parameter_values(((workflow.get("status") or {}).get("outputs") or {}).get("parameters"))
    if outputs:
        answer["outputs"] = outputs
    if summary.get("phase") in ("Failed", "Error"):
        answer["diagnosis"] = await failure_summary(ctx, name)
    return answer


# ---- graph --------------------------------------------------------------------------------------------------
def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _duration(node: dict[str, Any]) -> str:
    started = _parse_time(node.get("startedAt"))
    if started is None:
        return ""
    finished = _parse_time(node.get("finishedAt")) or datetime.now(UTC)
    seconds = int((finished - started).total_seconds())
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return (
        f"{hours}h{minutes:02d}m{secs:02d}s"
        if hours
        else (f"{minutes}m{secs:02d}s" if minutes else f"{secs}s")
    )


class _Graph:
    def __init__(self, name: str, nodes: dict[str, dict[str, Any]], pod_name_format: str = "v2") -> None:
        self.name = name
        self.pod_name_format = pod_name_format
        self.nodes = nodes
        self.root = nodes.get(name) or next(
            (
                n
                for n in nodes.values()
                if not n.get("boundaryID") and n.get("type") in ("Steps", "DAG", "Pod")
            ),
            None,
        )
        self.members: dict[str, list[dict[str, Any]]] = {}
        for node in nodes.values():
            if node.get("boundaryID"):
                self.members.setdefault(node["boundaryID"], []).append(node)
        self.seen: set[str] = set()

    def _ordered(self, nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return sorted(
            nodes, key=lambda n: (n.get("startedAt") or "~", n.get("displayName") or n.get("name", ""))
        )

    def children(self, node: dict[str, Any]) -> list[dict[str, Any]]:
        kind = node.get("type")
        node_id = node["id"]
        if kind == "Steps":
            return self._ordered([n for n in self.members.get(node_id, []) if n.get("type") == "StepGroup"])
        if kind == "DAG":
            return self._ordered(self.members.get(node_id, []))
        if kind == "StepGroup":
            found = [self.nodes[c] for c in node.get("children", []) if c in self.nodes]
            return [n for n in found if n.get("type") != "StepGroup"]
        if kind in ("Retry", "TaskGroup"):
            return self._ordered([self.nodes[c] for c in node.get("children", []) if c in self.nodes])
        return []

    def tree(self, node: dict[str, Any], depth: int = 0) -> dict[str, Any]:
        self.seen.add(node["id"])
        entry: dict[str, Any] = {
            "id": node["id"],
            "name": node.get("displayName") or node.get("name"),
            "type": node.get("type"),
            "phase": node.get("phase", "Pending"),
        }
        if node.get("type") == "Pod":
            entry["pod"] = pod_name(self.name, node, self.pod_name_format)
        for key in ("templateName", "startedAt", "finishedAt"):
            if node.get(key):
                entry[key] = node[key]
        if node.get("message"):
            entry["message"] = redact_text(str(node["message"]))
        if duration := _duration(node):
            entry["duration"] = duration
        if depth < 50:
            kids = [self.tree(c, depth + 1) for c in self.children(node) if c["id"] not in self.seen]
            if kids:
                entry["children"] = kids
        return entry


def _render(entry: dict[str, Any], prefix: str = "", last: bool = True, top: bool = True) -> list[str]:
    details = ", ".join(x for x in (entry.get("type"), entry.get("duration")) if x)
    label = f"{entry['name']} [{entry['phase']}] ({details})"
    if entry.get("pod"):
        # what the log and artifact tools take: get_pod_logs' podName, the artifact tools' nodeId
        label += f" pod={entry['pod']} node={entry['id']}"
    if entry.get("message"):
        label += f": {entry['message']}"
    lines = [label if top else f"{prefix}{'└─ ' if last else '├─ '}{label}"]
    kids = entry.get("children", [])
    child_prefix = "" if top else prefix + ("   " if last else "│  ")
    for index, kid in enumerate(kids):
        lines += _render(kid, child_prefix, index == len(kids) - 1, top=False)
    return lines


def _ordered_nodes(graph: _Graph) -> list[dict[str, Any]]:
    """Every node once, in a stable order (the root, then by start time and name), so the same workflow draws
    the same text."""
    root = graph.root["id"] if graph.root else None
    return sorted(
        (n for n in graph.nodes.values() if isinstance(n, dict) and n.get("id")),
        key=lambda n: (
            n["id"] != root,
            n.get("startedAt") or "~",
            n.get("displayName") or n.get("name") or "",
            n["id"],
        ),
    )


def _edges(graph: _Graph, ordered: list[dict[str, Any]]) -> list[tuple[str, str, bool]]:
    """(parent id, child id, is-exit-handler) for every drawn link: Argo's `children`, and the root to each
    exit handler (`<workflow>.onExit`, which no node lists as a child)."""
    known = {n["id"] for n in ordered}
    edges = [(n["id"], c, False) for n in ordered for c in n.get("children") or [] if c in known]
    root = graph.root["id"] if graph.root else None
    for n in ordered:
        if root and n["id"] != root and str(n.get("name", "")).endswith(".onExit"):
            edges.append((root, n["id"], True))
    return edges


def _node_lines(graph: _Graph, node: dict[str, Any]) -> list[str]:
    """A node's label lines: name, phase and duration; its pod; a failure's message (redacted, shortened)."""
    head = f"{node.get('displayName') or node.get('name')} [{node.get('phase', 'Pending')}]"
    if duration := _duration(node):
        head += f" {duration}"
    lines = [head]
    if node.get("type") == "Pod":
        lines.append(f"pod {pod_name(graph.name, node, graph.pod_name_format)}")
    elif node.get("type") not in (None, "Pod"):
        lines[0] += f" ({node['type']})"
    if node.get("message") and node.get("phase") in ("Failed", "Error"):
        message = redact_text(str(node["message"]))
        lines.append(message if len(message) <= 80 else message[:79] + "…")
    return lines


def _mermaid(graph: _Graph) -> str:
    ordered = _ordered_nodes(graph)
    ids = {n["id"]: f"n{i}" for i, n in enumerate(ordered)}
    out = ["graph TD"]
    for n in ordered:
        label = "<br/>".join(
            line.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
            for line in _node_lines(graph, n)
        )
        out.append(f'  {ids[n["id"]]}["{label}"]:::{_phase_class(n)}')
    for parent, child, exit_handler in _edges(graph, ordered):
        out.append(f"  {ids[parent]} {'-. onExit .->' if exit_handler else '-->'} {ids[child]}")
    used = sorted({_phase_class(n) for n in ordered})
    out += [f"  classDef {phase} {_PHASE_STYLE.get(phase, _PHASE_STYLE['Pending'])}" for phase in used]
    return "\n".join(out) + "\n"


def _phase_class(node: dict[str, Any]) -> str:
    """The node's phase as a Mermaid class name (letters only: a phase Argo never sends cannot break the text)."""
    return re.sub(r"[^A-Za-z]", "", str(node.get("phase") or "")) or "Pending"


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _dot(graph: _Graph) -> str:
    ordered = _ordered_nodes(graph)
    ids = {n["id"]: f"n{i}" for i, n in enumerate(ordered)}
    out = [f'digraph "{_dot_text(graph.name)}" {{', '  node [shape=box style="rounded,filled"]']
    for n in ordered:
        label = "\\n".join(_dot_text(line) for line in _node_lines(graph, n))
        fill = _PHASE_FILL.get(n.get("phase", "Pending"), _PHASE_FILL["Pending"])
        out.append(f'  {ids[n["id"]]} [label="{label}" fillcolor="{fill}"]')
    for parent, child, exit_handler in _edges(graph, ordered):
        out.append(
            f"  {ids[parent]} -> {ids[child]}" + (' [style=dashed label="onExit"]' if exit_handler else "")
        )
    return "\n".join(out) + "\n}\n"


# Argo's UI colours by phase; the phase is also in every label, so colour is never the only sign.
_PHASE_FILL = {
    "Succeeded": "#c8e6c9",
    "Failed": "#ffcdd2",
    "Error": "#ffcdd2",
    "Running": "#bbdefb",
    "Pending": "#eeeeee",
    "Skipped": "#f5f5f5",
    "Omitted": "#f5f5f5",
}
_PHASE_STYLE = {phase: f"fill:{fill}" for phase, fill in _PHASE_FILL.items()}


async def get_workflow_graph(ctx: ToolContext, args: GraphInput) -> TextOutput:
    workflow = await ctx.argo.request(
        "GET",
        api("workflows", ctx.namespace, args.name),
        query={
            "fields": "metadata.name,metadata.namespace,metadata.annotations,status.phase,status.nodes,"
            "status.message"
        },
        what=f"get workflow {ctx.namespace}/{args.name}",
    )
    nodes = (workflow.get("status") or {}).get("nodes") or {}
    phase = (workflow.get("status") or {}).get("phase") or "Pending"
    annotations = (workflow.get("metadata") or {}).get("annotations") or {}
    graph = _Graph(args.name, nodes, annotations.get(POD_NAME_FORMAT) or "v2")
    if graph.root is None:
        text = f"{args.name} [{phase}]: no nodes yet (the controller has not started it)\n"
        return TextOutput(text=text, data={"name": args.name, "phase": phase, "nodes": 0})
    if args.format == "mermaid":
        text = _mermaid(graph)
    elif args.format == "dot":
        text = _dot(graph)
    else:
        text = "\n".join(_render(graph.tree(graph.root))) + "\n"
    if len(text.encode()) > GRAPH_CAP_BYTES:
        text = (
            text.encode()[:GRAPH_CAP_BYTES].decode(errors="ignore")
            + "\n[argo-mcp: graph truncated at 64 KiB]\n"
        )
    # The tree is the text; the structured content is only metadata, so the graph is not sent twice.
    data: dict[str, Any] = {"name": args.name, "phase": phase, "nodes": len(nodes)}
    if args.format != "tree":
        data["format"] = args.format
    return TextOutput(text=text, data=data)


TOOLS: list[Tool[Any]] = [
    Tool(
        name="wait_for_workflow",
        title="Wait for a workflow",
        description=(
            "Wait until a workflow finishes (at most timeoutSeconds), with progress notifications; returns its "
            "final phase, progress and message."
        ),
        group=ToolGroup.WORKFLOWS,
        kind=ToolKind.READ_ONLY,
        input_model=WaitInput,
        handler=wait_for_workflow,
        scope=Scope.argument(),
        permission=WORKFLOWS_GET,
        long=True,
        task=True,
    ),
    Tool(
        name="get_workflow_graph",
        title="Workflow node graph",
        description=("A workflow's steps or DAG as a text tree: each node's phase, duration and message."),
        group=ToolGroup.WORKFLOWS,
        kind=ToolKind.READ_ONLY,
        input_model=GraphInput,
        handler=get_workflow_graph,
        scope=Scope.argument(),
        permission=WORKFLOWS_GET,
    ),
]
