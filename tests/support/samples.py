"""Canned Argo answers shared by several unit test modules (each as Argo's swagger.json shapes it).

They live here rather than in one test module so that no test module imports another.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson

from tests.support.fake_argo import Workflow

# InfoService_GetVersion
VERSION = {
    "version": "v3.7.6",
    "buildDate": "2026-10-01T00:00:00Z",
    "gitCommit": "abc",
    "gitTag": "v3.7.6",
    "gitTreeState": "clean",
    "goVersion": "go1.24",
    "compiler": "gc",
    "platform": "linux/amd64",
}

# An EventSource with one webhook event.
EVENT_SOURCE = {
    "metadata": {"name": "webhook", "namespace": "argo", "resourceVersion": "12"},
    "spec": {"webhook": {"example": {"port": "12000", "endpoint": "/example", "method": "POST"}}},
}

# A WorkflowTemplate, a ClusterWorkflowTemplate and a CronWorkflow sharing one spec.
WF_API = "argoproj.io/v1alpha1"
SPEC = {
    "entrypoint": "main",
    "arguments": {
        "parameters": [
            {"name": "message", "value": "hello", "description": "What to print"},
            {"name": "size", "value": "small", "enum": ["small", "large"]},
            {"name": "db-password", "value": "hunter2"},
        ],
        "artifacts": [{"name": "input-data"}],
    },
    "templates": [
        {"name": "main", "steps": [[{"name": "say", "template": "say"}]]},
        {
            "name": "say",
            "container": {"image": "busybox", "command": ["echo", "{{inputs.parameters.message}}"]},
        },
        {"name": "script-step", "script": {"image": "python", "source": "print(1)\n"}},
        {"name": "wait", "suspend": {}},
    ],
}
TEMPLATE = {
    "metadata": {
        "name": "hello",
        "namespace": "argo",
        "uid": "0b3c7f4e-5a1d-4c2e-9f00-000000000041",
        "resourceVersion": "41",
        "creationTimestamp": "2026-11-25T10:00:00Z",
        "annotations": {"workflows.argoproj.io/description": "Says hello"},
        "managedFields": [{"manager": "argo", "operation": "Update"}],
    },
    "spec": SPEC,
}
CLUSTER_TEMPLATE = {
    "metadata": {
        "name": "shared",
        "uid": "0b3c7f4e-5a1d-4c2e-9f00-000000000007",
        "resourceVersion": "7",
        "creationTimestamp": "2026-11-25T10:00:00Z",
    },
    "spec": SPEC,
}
CRON: dict[str, Any] = {
    "metadata": {"name": "nightly", "namespace": "argo", "resourceVersion": "55"},
    "spec": {
        "schedules": ["0 2 * * *"],
        "timezone": "Europe/Paris",
        "concurrencyPolicy": "Forbid",
        "workflowSpec": SPEC,
    },
    "status": {
        "active": [{"name": "nightly-1764640800", "namespace": "argo"}],
        "lastScheduledTime": "2026-12-02T01:00:00Z",
        "succeeded": 12,
        "failed": 1,
        "phase": "Active",
        "conditions": [{"type": "SubmissionError", "status": "True", "message": "token=abc123 rejected"}],
    },
}

# A workflow that failed on a retried step: get_workflow_node and diagnose_workflow read it.
NAME = "etl-x1"


def node(node_id: str, display: str, kind: str, phase: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": node_id,
        "name": f"{NAME}.{display}",
        "displayName": display,
        "type": kind,
        "phase": phase,
        "startedAt": extra.pop("startedAt", "2026-11-25T10:00:00Z"),
        "finishedAt": extra.pop("finishedAt", "2026-11-25T10:01:05Z"),
        **extra,
    }


def build_attempt(attempt: int, message: str, **times: str) -> dict[str, Any]:
    """Try `attempt` of failed_workflow's retried `build` step: a failed pod exiting with attempt + 1, whose
    inputs carry a secret that answers must redact."""
    return node(
        f"{NAME}-{attempt + 3}",
        f"build({attempt})",
        "Pod",
        "Failed",
        templateName="build",
        **times,
        message=message,
        outputs={"exitCode": str(attempt + 1)},
        inputs={
            "parameters": [{"name": "repo", "value": "git@x:etl"}, {"name": "api-token", "value": "s3cr3t"}]
        },
    )


def failed_workflow() -> dict[str, Any]:
    wf = Workflow(NAME, phase="Failed").json()
    nodes = [
        node(NAME, NAME, "Steps", "Failed", children=[f"{NAME}-1"], message="child 'etl-x1-2' failed"),
        node(f"{NAME}-1", "[0]", "StepGroup", "Failed", children=[f"{NAME}-2", f"{NAME}-5", f"{NAME}-6"]),
        node(
            f"{NAME}-2", "build", "Retry", "Failed", children=[f"{NAME}-3", f"{NAME}-4"], templateName="build"
        ),
        build_attempt(0, "Error (exit code 1)"),
        build_attempt(
            1,
            "Error (exit code 2): password=hunter2 rejected",
            startedAt="2026-11-25T10:02:00Z",
            finishedAt="2026-11-25T10:02:42Z",
        ),
        node(f"{NAME}-5", "test", "Pod", "Succeeded", templateName="test"),
        node(
            f"{NAME}-6",
            "lint",
            "Pod",
            "Error",
            templateRef={"name": "shared", "template": "lint"},
            startedAt="2026-11-25T10:00:30Z",
            message="pod deleted",
        ),
    ]
    wf["status"] = {
        "phase": "Failed",
        "message": "child 'etl-x1-2' failed",
        "startedAt": "2026-11-25T10:00:00Z",
        "finishedAt": "2026-11-25T10:03:00Z",
        "nodes": {n["id"]: n for n in nodes},
    }
    return wf


KIB = 1024


def chunks(data: bytes, size: int = 64 * KIB) -> Callable[[], AsyncIterator[bytes]]:
    """A streamed answer for `FakeArgo.on(..., stream=...)`: `data` in chunks of `size` bytes, handing the event
    loop back after each so that argo-mcp reads while the stand-in writes."""

    async def stream() -> AsyncIterator[bytes]:
        for start in range(0, len(data), size):
            yield data[start : start + size]
            await asyncio.sleep(0)

    return stream


def wide_workflow_list(count: int) -> bytes:
    """A ListWorkflows answer of `count` workflows with a 2,000-character label each (~2.3 KiB a workflow): a
    `full: true` list that exceeds --max-answer-mib without any one item being large."""
    wf = Workflow("wf", labels={"team": "x" * 2000}).json()
    return orjson.dumps(
        {
            "metadata": {},
            "items": [{**wf, "metadata": {**wf["metadata"], "name": f"wf-{i}"}} for i in range(count)],
        }
    )


# A DAG with a failed task (get_workflow_graph's formats, the workflow view in a browser).
def _pod(node_id: str, display: str, phase: str, start: str, end: str | None, **extra: Any) -> dict[str, Any]:
    node = {
        "id": node_id,
        "name": f"diamond.{display}",
        "displayName": display,
        "type": "Pod",
        "templateName": display,
        "phase": phase,
        "boundaryID": "diamond",
        "startedAt": start,
        **extra,
    }
    if end:
        node["finishedAt"] = end
    return node


def dag_workflow() -> dict[str, Any]:
    """A → (B, C) → D, with C failed and D never run (Omitted)."""
    wf = Workflow("diamond", phase="Failed").json()
    nodes = [
        {
            "id": "diamond",
            "name": "diamond",
            "displayName": "diamond",
            "type": "DAG",
            "phase": "Failed",
            "startedAt": "2026-11-25T10:00:00Z",
            "finishedAt": "2026-11-25T10:00:40Z",
            "children": ["diamond-a"],
        },
        _pod(
            "diamond-a",
            "A",
            "Succeeded",
            "2026-11-25T10:00:00Z",
            "2026-11-25T10:00:10Z",
            children=["diamond-b", "diamond-c"],
        ),
        _pod(
            "diamond-b",
            "B",
            "Succeeded",
            "2026-11-25T10:00:11Z",
            "2026-11-25T10:00:20Z",
            children=["diamond-d"],
        ),
        _pod(
            "diamond-c",
            "C",
            "Failed",
            "2026-11-25T10:00:12Z",
            "2026-11-25T10:00:30Z",
            children=["diamond-d"],
            message='Error (exit code 3): "quoted" password=hunter2',
        ),
        {
            "id": "diamond-d",
            "name": "diamond.D",
            "displayName": "D",
            "type": "Omitted",
            "phase": "Omitted",
            "boundaryID": "diamond",
        },
    ]
    wf["status"] = {"phase": "Failed", "nodes": {n["id"]: n for n in nodes}}
    return wf
