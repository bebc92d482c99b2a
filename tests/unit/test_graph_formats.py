"""get_workflow_graph's `format`: Mermaid and DOT graphs any client can draw, next to the default text tree.

Table cases: a DAG (a diamond with a failed task), steps with a retried step (samples.failed_workflow), and a
workflow with an exit handler. Each format must name every node with its phase and, for pods, the pod name the
log tools take; edges are Argo's own `children` links, the exit handler hangs off the root."""

from __future__ import annotations

import re
from typing import Any

import pytest

from argo_mcp.tools.shaping import pod_name
from tests.support.fake_argo import FakeArgo
from tests.support.processes import ServerProcess, http_client, text_of
from tests.support.samples import dag_workflow, failed_workflow


def exit_handler_workflow() -> dict[str, Any]:
    wf = dag_workflow()
    wf["status"]["nodes"]["diamond-x"] = {
        "id": "diamond-x",
        "name": "diamond.onExit",
        "displayName": "diamond.onExit",
        "type": "Pod",
        "templateName": "notify",
        "phase": "Succeeded",
        "startedAt": "2026-11-25T10:00:41Z",
        "finishedAt": "2026-11-25T10:00:45Z",
    }
    return wf


def _pods(wf: dict[str, Any]) -> dict[str, str]:
    name = wf["metadata"]["name"]
    return {n["id"]: pod_name(name, n) for n in wf["status"]["nodes"].values() if n["type"] == "Pod"}


async def _graph(argo: FakeArgo, server: ServerProcess, wf: dict[str, Any], fmt: str | None) -> str:
    argo.on("WorkflowService_GetWorkflow", wf)
    arguments: dict[str, Any] = {"name": wf["metadata"]["name"]}
    if fmt is not None:
        arguments["format"] = fmt
    async with http_client(server.url) as client:
        result = await client.call_tool("get_workflow_graph", arguments)
    assert not result.is_error, text_of(result)
    expected = {
        "name": wf["metadata"]["name"],
        "phase": wf["status"]["phase"],
        "nodes": len(wf["status"]["nodes"]),
    }
    assert result.structured_content == (expected if fmt in (None, "tree") else {**expected, "format": fmt})
    return text_of(result)


async def test_mermaid_draws_a_dag_with_its_edges_pods_phases_and_the_failure(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    wf = dag_workflow()
    pods = _pods(wf)
    text = await _graph(argo, shared_server, wf, "mermaid")
    assert text.splitlines() == [
        "graph TD",
        '  n0["diamond [Failed] 40s (DAG)"]:::Failed',
        f'  n1["A [Succeeded] 10s<br/>pod {pods["diamond-a"]}"]:::Succeeded',
        f'  n2["B [Succeeded] 9s<br/>pod {pods["diamond-b"]}"]:::Succeeded',
        f'  n3["C [Failed] 18s<br/>pod {pods["diamond-c"]}<br/>Error (exit code 3): #quot;quoted#quot; password=[redacted]"]:::Failed',
        '  n4["D [Omitted] (Omitted)"]:::Omitted',
        "  n0 --> n1",
        "  n1 --> n2",
        "  n1 --> n3",
        "  n2 --> n4",
        "  n3 --> n4",
        "  classDef Failed fill:#ffcdd2",
        "  classDef Omitted fill:#f5f5f5",
        "  classDef Succeeded fill:#c8e6c9",
    ]


async def test_dot_draws_the_same_dag(argo: FakeArgo, shared_server: ServerProcess) -> None:
    wf = dag_workflow()
    pods = _pods(wf)
    text = await _graph(argo, shared_server, wf, "dot")
    lines = text.splitlines()
    assert lines[0] == 'digraph "diamond" {' and lines[-1] == "}"
    assert (
        f'  n3 [label="C [Failed] 18s\\npod {pods["diamond-c"]}\\nError (exit code 3): \\"quoted\\" password=[redacted]" fillcolor="#ffcdd2"]'
        in lines
    )
    assert '  n4 [label="D [Omitted] (Omitted)" fillcolor="#f5f5f5"]' in lines
    assert [line for line in lines if "->" in line] == [
        "  n0 -> n1",
        "  n1 -> n2",
        "  n1 -> n3",
        "  n2 -> n4",
        "  n3 -> n4",
    ]
    assert "hunter2" not in text


@pytest.mark.parametrize(
    ("case", "fmt"),
    [
        ("steps-with-retry", "mermaid"),
        ("steps-with-retry", "dot"),
        ("exit-handler", "mermaid"),
        ("exit-handler", "dot"),
    ],
)
async def test_every_node_is_drawn_with_its_phase_and_pod(
    argo: FakeArgo, shared_server: ServerProcess, case: str, fmt: str
) -> None:
    wf = failed_workflow() if case == "steps-with-retry" else exit_handler_workflow()
    text = await _graph(argo, shared_server, wf, fmt)
    nodes = wf["status"]["nodes"]
    for node in nodes.values():
        assert f"{node['displayName']} [{node['phase']}]" in text, node["id"]
    for pod in _pods(wf).values():
        assert f"pod {pod}" in text
    arrow = "-->" if fmt == "mermaid" else "->"
    drawn = len(re.findall(rf" n\d+ {re.escape(arrow)} n\d+", text))
    children = sum(len(n.get("children") or []) for n in nodes.values())
    if case == "exit-handler":
        # the exit handler (n4: started after the other pods; D never started) hangs off the root, dashed
        exit_edge = "n0 -. onExit .-> n4" if fmt == "mermaid" else 'n0 -> n4 [style=dashed label="onExit"]'
        assert exit_edge in text
        assert drawn == children + (fmt == "dot")  # DOT's exit edge is an arrow with a style
    else:
        assert drawn == children
        # the retried step: its node links to both attempts, each with the message it failed with
        assert "build(0) [Failed]" in text and "build(1) [Failed]" in text and "[redacted]" in text
        assert "hunter2" not in text and "s3cr3t" not in text


async def test_tree_stays_the_default(argo: FakeArgo, shared_server: ServerProcess) -> None:
    wf = dag_workflow()
    default = await _graph(argo, shared_server, wf, None)
    assert default == await _graph(argo, shared_server, wf, "tree")
    assert default.splitlines()[0] == "diamond [Failed] (DAG, 40s)"


async def test_an_unknown_format_names_the_choices(argo: FakeArgo, shared_server: ServerProcess) -> None:
    async with http_client(shared_server.url) as client:
        result = await client.call_tool("get_workflow_graph", {"name": "diamond", "format": "svg"})
    assert result.is_error
    assert "format" in text_of(result) and "mermaid" in text_of(result)
