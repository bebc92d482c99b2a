"""wait_for_workflow (bounded, with progress notifications), the node graph view, and the MCP prompts."""

from __future__ import annotations

from typing import Any

import pytest

from argo_mcp.tools.shaping import pod_name
from tests.support.fake_argo import FakeArgo, Workflow
from tests.support.processes import ServerProcess, http_client, payload, text_of


def _wf(phase: str, progress: str, message: str | None = None) -> dict[str, Any]:
    body = Workflow("etl-x1", phase=phase).json()
    body["status"]["progress"] = progress
    if message:
        body["status"]["message"] = message
    if phase != "Running":
        body["status"]["finishedAt"] = "2026-11-25T10:05:00Z"
    return body


async def test_wait_for_workflow_reports_progress_until_finished(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    argo.on_sequence(
        "WorkflowService_GetWorkflow",
        [_wf("Running", "0/3"), _wf("Running", "1/3"), _wf("Running", "1/3"), _wf("Succeeded", "3/3")],
    )
    updates: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        updates.append((progress, total, message))

    async with http_client(shared_server.url) as client:
        result = await client.call_tool(
            "wait_for_workflow", {"name": "etl-x1", "pollSeconds": 0.2}, progress_callback=on_progress
        )
    assert not result.is_error, text_of(result)
    done = payload(result)
    assert done["finished"] is True
    assert done["workflow"]["phase"] == "Succeeded"
    assert [(p, t) for p, t, _ in updates] == [(0.0, 3.0), (1.0, 3.0), (3.0, 3.0)]
    assert updates[-1][2] == "etl-x1: Succeeded (3/3)"
    request = argo.last("WorkflowService_GetWorkflow")
    assert "status.phase" in (request.q("fields") or "")


async def test_wait_for_workflow_is_bounded(argo: FakeArgo, shared_server: ServerProcess) -> None:
    argo.on("WorkflowService_GetWorkflow", _wf("Running", "1/3"))
    async with http_client(shared_server.url) as client:
        result = await client.call_tool(
            "wait_for_workflow", {"name": "etl-x1", "timeoutSeconds": 1, "pollSeconds": 0.2}
        )
    assert not result.is_error
    waited = payload(result)
    assert waited["timedOut"] is True
    assert "call wait_for_workflow again" in waited["hint"]


STEPS_NODES: dict[str, dict[str, Any]] = {
    "wf": {
        "id": "wf",
        "name": "wf",
        "displayName": "wf",
        "type": "Steps",
        "phase": "Failed",
        "startedAt": "2026-11-25T10:00:00Z",
        "finishedAt": "2026-11-25T10:01:30Z",
        "children": ["wf-sg0"],
    },
    "wf-sg0": {
        "id": "wf-sg0",
        "name": "wf[0]",
        "displayName": "[0]",
        "type": "StepGroup",
        "phase": "Succeeded",
        "boundaryID": "wf",
        "startedAt": "2026-11-25T10:00:00Z",
        "finishedAt": "2026-11-25T10:00:20Z",
        "children": ["wf-p1"],
    },
    "wf-p1": {
        "id": "wf-p1",
        "name": "wf[0].fetch",
        "displayName": "fetch",
        "type": "Pod",
        "phase": "Succeeded",
        "boundaryID": "wf",
        "templateName": "fetch",
        "startedAt": "2026-11-25T10:00:00Z",
        "finishedAt": "2026-11-25T10:00:20Z",
        "children": ["wf-sg1"],
    },
    "wf-sg1": {
        "id": "wf-sg1",
        "name": "wf[1]",
        "displayName": "[1]",
        "type": "StepGroup",
        "phase": "Failed",
        "boundaryID": "wf",
        "startedAt": "2026-11-25T10:00:21Z",
        "finishedAt": "2026-11-25T10:01:30Z",
        "children": ["wf-p2", "wf-p3"],
    },
    "wf-p2": {
        "id": "wf-p2",
        "name": "wf[1].load",
        "displayName": "load",
        "type": "Pod",
        "phase": "Failed",
        "boundaryID": "wf",
        "templateName": "load",
        "message": "Error (exit code 1): password=hunter2 rejected",
        "startedAt": "2026-11-25T10:00:21Z",
        "finishedAt": "2026-11-25T10:01:30Z",
    },
    "wf-p3": {
        "id": "wf-p3",
        "name": "wf[1].report",
        "displayName": "report",
        "type": "Pod",
        "phase": "Succeeded",
        "boundaryID": "wf",
        "startedAt": "2026-11-25T10:00:21Z",
        "finishedAt": "2026-11-25T10:00:25Z",
    },
}


async def test_graph_shows_steps_as_a_tree(argo: FakeArgo, shared_server: ServerProcess) -> None:
    body = Workflow("wf", phase="Failed").json()
    body["status"]["nodes"] = STEPS_NODES
    argo.on("WorkflowService_GetWorkflow", body)
    async with http_client(shared_server.url) as client:
        result = await client.call_tool("get_workflow_graph", {"name": "wf"})
    assert not result.is_error, text_of(result)

    def pod(node_id: str) -> str:
        return f"pod={pod_name('wf', STEPS_NODES[node_id])} node={node_id}"

    assert text_of(result).splitlines() == [
        "wf [Failed] (Steps, 1m30s)",
        "├─ [0] [Succeeded] (StepGroup, 20s)",
        f"│  └─ fetch [Succeeded] (Pod, 20s) {pod('wf-p1')}",
        "└─ [1] [Failed] (StepGroup, 1m09s)",
        f"   ├─ load [Failed] (Pod, 1m09s) {pod('wf-p2')}: Error (exit code 1): password=[redacted] rejected",
        f"   └─ report [Succeeded] (Pod, 4s) {pod('wf-p3')}",
    ]
    assert pod("wf-p2").startswith("pod=wf-load-")  # Argo's v2 pod names: <workflow>-<template>-<hash>
    # the graph is its text; the structured content is metadata only, not the tree a second time
    assert result.structured_content == {"name": "wf", "phase": "Failed", "nodes": len(STEPS_NODES)}


async def test_prompts(argo: FakeArgo, shared_server: ServerProcess) -> None:
    async with http_client(shared_server.url) as client:
        listing = await client.list_prompts()
        assert {p.name for p in listing.prompts} == {
            "debug_failed_workflow",
            "summarize_recent_failures",
            "submit_from_template",
        }
        prompt = await client.get_prompt("debug_failed_workflow", {"name": "etl-x1"})
        text = prompt.messages[0].content.text  # type: ignore[union-attr]
        assert "'etl-x1' in namespace 'argo'" in text and "diagnose_workflow (name=etl-x1" in text
        with pytest.raises(Exception, match="needs the argument"):
            await client.get_prompt("debug_failed_workflow", {})
