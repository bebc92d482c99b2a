"""The benchmark's Argo stand-in: realistic Workflow objects served the way Argo serves them.

500 finished workflows of 10-50 nodes each (DAG + pod nodes with outputs, stored templates, managedFields, as a
real controller writes them) and one 50-node workflow for the single-object figures. Argo's `fields` query
parameter is applied as Argo applies it (`util/fields`: dotted paths, `items.` per list element, a leading
`-` excludes), so the bytes a tool makes Argo send are measured, not assumed. Every body sent is counted;
`GET /bench/stats` (not an Argo route) reports the count and `POST /bench/reset` zeroes it.

Run: `python -m bench.standin PORT` (the benchmark starts it as its own process).
"""

from __future__ import annotations

import random
import sys
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from aiohttp import web

NAMESPACE = "argo"
BIG_NAME = "etl-big-50nodes"
RUNNING_NAME = "etl-running"
LIST_SIZE = 500


def _time(base: datetime, seconds: float) -> str:
    return (base + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_workflow(name: str, nodes: int, rng: random.Random, *, phase: str = "Succeeded") -> dict[str, Any]:
    """A finished DAG workflow with `nodes` nodes (one DAG node, the rest pods), shaped like Argo 3.7 writes it."""
    start = datetime(2026, 11, 20, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 50_000))
    uid = str(uuid.UUID(int=rng.getrandbits(128)))
    tasks = [f"step-{i:02d}" for i in range(nodes - 1)]
    params = [
        {"name": "date", "value": "2026-11-20"},
        {"name": "batch-size", "value": str(rng.randint(1, 999))},
    ]
    templates = [
        {
            "name": "main",
            "inputs": {},
            "outputs": {},
            "metadata": {},
            "dag": {
                "tasks": [
                    {
                        "name": task,
                        "template": "work",
                        "arguments": {"parameters": [{"name": "part", "value": task}]},
                        **({"depends": tasks[i - 1]} if i else {}),
                    }
                    for i, task in enumerate(tasks)
                ]
            },
        },
        {
            "name": "work",
            "inputs": {"parameters": [{"name": "part"}]},
            "outputs": {"parameters": [{"name": "rows", "valueFrom": {"path": "/tmp/rows"}}]},
            "metadata": {},
            "container": {
                "name": "",
                "image": "ghcr.io/example/etl:1.4.2",
                "command": ["python", "-m", "etl.run"],
                "args": ["--part", "{{inputs.parameters.part}}"],
                "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
            },
        },
    ]
    node_map: dict[str, Any] = {}
    children = []
    failed_at = nodes - 2 if phase == "Failed" else -1
    for i, task in enumerate(tasks):
        node_id = f"{name}-{rng.getrandbits(32)}"
        children.append(node_id)
        node_phase = "Failed" if i == failed_at else "Succeeded"
        node_map[node_id] = {
            "id": node_id,
            "name": f"{name}.{task}",
            "displayName": task,
            "type": "Pod",
            "templateName": "work",
            "templateScope": f"local/{name}",
            "phase": node_phase,
            "boundaryID": name,
            "startedAt": _time(start, 5 + i * 12),
            "finishedAt": _time(start, 15 + i * 12),
            "progress": "1/1",
            "resourcesDuration": {"cpu": 3, "memory": 21},
            "inputs": {"parameters": [{"name": "part", "value": task}]},
            "outputs": {
                "parameters": [
                    {"name": "rows", "value": str(rng.randint(0, 10**6)), "valueFrom": {"path": "/tmp/rows"}}
                ],
                "artifacts": [
                    {
                        "name": "main-logs",
                        "s3": {"key": f"{name}/{name}-work-{rng.getrandbits(32)}/main.log"},
                    }
                ],
                "exitCode": "1" if node_phase == "Failed" else "0",
            },
            **({"message": "Error (exit code 1)"} if node_phase == "Failed" else {}),
            "children": [],
            "hostNodeName": "worker-3",
        }
    node_map[name] = {
        "id": name,
        "name": name,
        "displayName": name,
        "type": "DAG",
        "templateName": "main",
        "templateScope": f"local/{name}",
        "phase": phase,
        "startedAt": _time(start, 0),
        "finishedAt": _time(start, 20 + nodes * 12),
        "progress": f"{nodes - 1}/{nodes - 1}",
        "resourcesDuration": {"cpu": 3 * nodes, "memory": 21 * nodes},
        "children": children[:1],
        "outboundNodes": children[-1:],
    }
    return {
        "metadata": {
            "name": name,
            "namespace": NAMESPACE,
            "uid": uid,
            "resourceVersion": str(rng.randint(10**5, 10**6)),
            "generation": 7,
            "creationTimestamp": _time(start, 0),
            "labels": {
                "workflows.argoproj.io/completed": "true",
                "workflows.argoproj.io/phase": phase,
                "workflows.argoproj.io/workflow-template": "etl",
                "workflows.argoproj.io/creator": "system-serviceaccount-argo-argo-server",
            },
            "annotations": {"workflows.argoproj.io/pod-name-format": "v2"},
            "managedFields": [
                {
                    "manager": "workflow-controller",
                    "operation": "Update",
                    "apiVersion": "argoproj.io/v1alpha1",
                    "time": _time(start, 30 + nodes * 12),
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:workflows.argoproj.io/phase": {}}}},
                }
            ],
        },
        "spec": {
            "entrypoint": "main",
            "arguments": {"parameters": params},
            "workflowTemplateRef": {"name": "etl"},
            "serviceAccountName": "etl-runner",
            "podGC": {"strategy": "OnPodSuccess"},
        },
        "status": {
            "phase": phase,
            "startedAt": _time(start, 0),
            "finishedAt": _time(start, 20 + nodes * 12),
            "estimatedDuration": 20 + nodes * 12,
            "progress": f"{nodes - 1}/{nodes - 1}",
            **({"message": "child 'step' failed"} if phase == "Failed" else {}),
            "nodes": node_map,
            "storedTemplates": {f"namespaced/etl/{t['name']}": t for t in templates},
            "storedWorkflowTemplateSpec": {
                "entrypoint": "main",
                "arguments": {"parameters": params},
                "templates": templates,
            },
            "conditions": [
                {"type": "PodRunning", "status": "False"},
                {"type": "Completed", "status": "True"},
            ],
            "resourcesDuration": {"cpu": 3 * nodes, "memory": 21 * nodes},
            "artifactRepositoryRef": {
                "default": True,
                "artifactRepository": {"s3": {"bucket": "argo", "endpoint": "minio:9000"}},
            },
            "artifactGCStatus": {"notSpecified": True},
            "taskResultsCompletionStatus": {node_id: True for node_id in children},
        },
    }


class _Paths:
    """A parsed `fields` value: a tree of dotted paths, include or exclude (Argo's util/fields semantics)."""

    def __init__(self, fields: str) -> None:
        parts = [p.strip() for p in fields.split(",") if p.strip()]
        self.exclude = bool(parts) and parts[0].startswith("-")
        self.tree: dict[str, Any] = {}
        for part in parts:
            node = self.tree
            keys = part.lstrip("-").split(".")
            for key in keys[:-1]:
                node = node.setdefault(key, {})
                if node is True:
                    break
            else:
                node[keys[-1]] = True

    def apply(self, value: Any) -> Any:
        return self._exclude(value, self.tree) if self.exclude else self._include(value, self.tree)

    def _include(self, value: Any, tree: Any) -> Any:
        if tree is True:
            return value
        if isinstance(value, list):
            return [self._include(item, tree) for item in value]
        if not isinstance(value, dict):
            return value
        return {k: self._include(v, tree[k]) for k, v in value.items() if k in tree}

    def _exclude(self, value: Any, tree: Any) -> Any:
        if isinstance(value, list):
            return [self._exclude(item, tree) for item in value]
        if not isinstance(value, dict):
            return value
        return (
            {k: self._exclude(v, tree[k]) for k, v in value.items() if tree.get(k) is not True}
            if tree
            else value
        )


def filter_fields(value: Any, fields: str | None) -> Any:
    return _Paths(fields).apply(value) if fields else value


class StandIn:
    def __init__(self, seed: int = 12) -> None:
        rng = random.Random(seed)
        self.big = make_workflow(BIG_NAME, 50, rng, phase="Failed")
        # What a task waits on: a workflow that never finishes (its nodes are done, its phase is Running).
        self.running = make_workflow(RUNNING_NAME, 20, rng, phase="Running")
        self.items = [
            make_workflow(
                f"etl-{i:04d}", rng.randint(10, 50), rng, phase="Failed" if i % 7 == 0 else "Succeeded"
            )
            for i in range(LIST_SIZE)
        ]
        self.bytes_sent = 0
        self.requests = 0  # GETs of one workflow: what a task poll costs Argo
        self.app = web.Application()
        self.app.router.add_get("/api/v1/version", self.version)
        self.app.router.add_get("/api/v1/workflows/{namespace}", self.list_workflows)
        self.app.router.add_get("/api/v1/workflows/{namespace}/{name}", self.get_workflow)
        self.app.router.add_post("/api/v1/workflows/{namespace}/submit", self.submit)
        self.app.router.add_get("/bench/stats", self.stats)
        self.app.router.add_post("/bench/reset", self.reset)

    def _send(self, body: Any) -> web.Response:
        raw = orjson.dumps(body)
        self.bytes_sent += len(raw)
        return web.Response(body=raw, content_type="application/json")

    async def version(self, _request: web.Request) -> web.Response:
        return self._send(
            {"version": "v3.7.12", "gitCommit": "abc", "goVersion": "go1.24", "platform": "linux/amd64"}
        )

    async def list_workflows(self, request: web.Request) -> web.Response:
        limit = int(request.query.get("listOptions.limit") or 0)
        offset = int(request.query.get("listOptions.continue") or 0)
        end = offset + limit if limit else len(self.items)
        page = self.items[offset:end]
        metadata: dict[str, Any] = {"resourceVersion": "987654"}
        if end < len(self.items):
            metadata.update({"continue": str(end), "remainingItemCount": len(self.items) - end})
        return self._send(filter_fields({"metadata": metadata, "items": page}, request.query.get("fields")))

    async def get_workflow(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        self.requests += 1
        wf = (
            self.big
            if name == BIG_NAME
            else self.running
            if name == RUNNING_NAME
            else next((w for w in self.items if w["metadata"]["name"] == name), None)
        )
        if wf is None:
            return web.json_response(
                {"code": 5, "message": f'workflows.argoproj.io "{name}" not found'}, status=404
            )
        return self._send(filter_fields(wf, request.query.get("fields")))

    async def submit(self, request: web.Request) -> web.Response:
        body = await request.json()
        wf = make_workflow("etl-submitted", 2, random.Random(1), phase="Pending")
        wf["metadata"]["name"] = f"{body.get('resourceName', 'etl')}-x7k2p"
        wf["status"] = {}
        return self._send(wf)

    async def stats(self, _request: web.Request) -> web.Response:
        return web.json_response({"bytes_sent": self.bytes_sent, "workflow_gets": self.requests})

    async def reset(self, _request: web.Request) -> web.Response:
        self.bytes_sent = self.requests = 0
        return web.json_response({"bytes_sent": 0, "workflow_gets": 0})


def main() -> None:
    web.run_app(StandIn().app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)


if __name__ == "__main__":
    main()
