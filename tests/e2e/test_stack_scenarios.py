"""Workflow shapes the product's e2e tests rely on, proven against the stack through Argo's REST API."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

from tests.e2e.stack.fixture import E2EStack
from tests.e2e.workloads import container, fail_once, flags_volume, numbered_lines

WF = "argoproj.io/v1alpha1"


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _put(
    http: aiohttp.ClientSession,
    stack: E2EStack,
    token: str,
    name: str,
    action: str,
    *,
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    url = f"{stack.argo_url}/api/v1/workflows/{stack.namespace}/{name}/{action}"
    async with http.put(url, json=body or {}, headers=_auth(token)) as resp:
        text = await resp.text()
        assert resp.status == 200, (action, text)
        return dict(json.loads(text))


async def test_dag_passes_parameters(stack: E2EStack) -> None:
    name = stack.submit_workflow(
        {
            "apiVersion": WF,
            "kind": "Workflow",
            "metadata": {"generateName": "dag-"},
            "spec": {
                "entrypoint": "dag",
                "templates": [
                    {
                        "name": "dag",
                        "dag": {
                            "tasks": [
                                {"name": "produce", "template": "produce"},
                                {
                                    "name": "consume",
                                    "template": "consume",
                                    "dependencies": ["produce"],
                                    "arguments": {
                                        "parameters": [
                                            {"name": "x", "value": "{{tasks.produce.outputs.parameters.out}}"}
                                        ]
                                    },
                                },
                            ]
                        },
                    },
                    {
                        "name": "produce",
                        "container": container("printf 42 > /tmp/out"),
                        "outputs": {"parameters": [{"name": "out", "valueFrom": {"path": "/tmp/out"}}]},
                    },
                    {
                        "name": "consume",
                        "inputs": {"parameters": [{"name": "x"}]},
                        "container": container('test "{{inputs.parameters.x}}" = 42'),
                    },
                ],
            },
        }
    )
    wf = await asyncio.to_thread(stack.wait_for_workflow, name, timeout=120)
    assert wf["status"]["phase"] == "Succeeded", wf["status"].get("message")
    consume = next(n for n in wf["status"]["nodes"].values() if n["displayName"] == "consume")
    assert consume["inputs"]["parameters"][0]["value"] == "42"


async def test_suspend_and_resume(stack: E2EStack) -> None:
    token = stack.mint_token(stack.full_sa)
    name = stack.submit_workflow(
        {
            "apiVersion": WF,
            "kind": "Workflow",
            "metadata": {"generateName": "suspend-"},
            "spec": {
                "entrypoint": "steps",
                "templates": [
                    {
                        "name": "steps",
                        "steps": [
                            [{"name": "wait", "template": "approve"}],
                            [{"name": "after", "template": "work"}],
                        ],
                    },
                    {"name": "approve", "suspend": {}},
                    {"name": "work", "container": container()},
                ],
            },
        }
    )
    await asyncio.to_thread(stack.wait_for_node_phase, name, "wait", "Running", timeout=60)
    async with stack.http_session() as http:
        await _put(http, stack, token, name, "resume")
    wf = await asyncio.to_thread(stack.wait_for_workflow, name, timeout=120)
    assert wf["status"]["phase"] == "Succeeded"


async def test_stop_a_running_pod(stack: E2EStack) -> None:
    token = stack.mint_token(stack.full_sa)
    name = stack.submit_workflow(
        {
            "apiVersion": WF,
            "kind": "Workflow",
            "metadata": {"generateName": "stop-"},
            "spec": {
                "entrypoint": "long",
                "templates": [
                    {
                        "name": "long",
                        "container": container('echo "running in pod $(hostname)"; exec sleep 300'),
                    },
                ],
            },
        }
    )
    await asyncio.to_thread(stack.wait_for_node_phase, name, name, "Running", timeout=60)
    # a running pod already has logs
    ns = stack.namespace

    def first_log() -> bytes:
        pods = stack.kube.get(
            f"/api/v1/namespaces/{ns}/pods",
            params={"labelSelector": f"workflows.argoproj.io/workflow={name}"},
        )["items"]
        path = f"/api/v1/namespaces/{ns}/pods/{pods[0]['metadata']['name']}/log"
        return bytes(stack.kube.get(path, params={"container": "main"}, raw=True))

    text = await asyncio.to_thread(stack.kube.wait_for, "running pod's log", first_log, 20)
    assert b"running in pod" in text
    async with stack.http_session() as http:
        await _put(http, stack, token, name, "stop", body={"message": "stopped by e2e"})
    wf = await asyncio.to_thread(stack.wait_for_workflow, name, timeout=90)
    assert wf["status"]["phase"] in {"Failed", "Error"}, wf["status"]


async def test_retry_a_failed_workflow(stack: E2EStack) -> None:
    token = stack.mint_token(stack.full_sa)
    name = stack.submit_workflow(
        {
            "apiVersion": WF,
            "kind": "Workflow",
            "metadata": {"generateName": "retry-"},
            "spec": {
                "entrypoint": "flaky",
                "volumes": [flags_volume(stack)],
                "templates": [{"name": "flaky", "container": fail_once()}],
            },
        }
    )
    wf = await asyncio.to_thread(stack.wait_for_workflow, name, timeout=120)
    assert wf["status"]["phase"] == "Failed"
    async with stack.http_session() as http:
        await _put(http, stack, token, name, "retry")
    await asyncio.to_thread(stack.wait_for_workflow, name, {"Running", "Pending"}, timeout=60)
    wf = await asyncio.to_thread(stack.wait_for_workflow, name, timeout=120)
    assert wf["status"]["phase"] == "Succeeded", wf["status"].get("message")


async def test_long_log_through_argo(stack: E2EStack) -> None:
    token = stack.mint_token(stack.full_sa)
    name = stack.submit_workflow(
        {
            "apiVersion": WF,
            "kind": "Workflow",
            "metadata": {"generateName": "longlog-"},
            "spec": {
                "entrypoint": "talk",
                "templates": [
                    {"name": "talk", "container": container(numbered_lines(2000))},
                ],
            },
        }
    )
    wf = await asyncio.to_thread(stack.wait_for_workflow, name, timeout=120)
    assert wf["status"]["phase"] == "Succeeded"
    total = 0
    async with (
        stack.http_session() as http,
        http.get(
            f"{stack.argo_url}/api/v1/workflows/{stack.namespace}/{name}/log",
            params={"logOptions.container": "main"},
            headers=_auth(token),
        ) as resp,
    ):
        assert resp.status == 200
        async for raw in resp.content:
            if raw.strip():
                total += len(json.loads(raw)["result"]["content"]) + 1
    assert total > 64 * 1024, total


async def test_cron_and_cluster_templates(stack: E2EStack) -> None:
    token = stack.mint_token(stack.full_sa)
    cwft = stack.unique("cwft")
    stack.create_cluster_workflow_template(
        {
            "apiVersion": WF,
            "kind": "ClusterWorkflowTemplate",
            "metadata": {"name": cwft},
            "spec": {"entrypoint": "main", "templates": [{"name": "main", "container": container()}]},
        }
    )
    cron = stack.unique("cron")
    stack.create_cron_workflow(
        {
            "apiVersion": WF,
            "kind": "CronWorkflow",
            "metadata": {"name": cron},
            "spec": {
                "schedules": ["0 0 1 1 *"],
                "workflowSpec": {"workflowTemplateRef": {"name": cwft, "clusterScope": True}},
            },
        }
    )
    async with stack.http_session() as http:
        async with http.get(
            f"{stack.argo_url}/api/v1/cluster-workflow-templates/{cwft}", headers=_auth(token)
        ) as resp:
            assert resp.status == 200, await resp.text()
        async with http.get(
            f"{stack.argo_url}/api/v1/cron-workflows/{stack.namespace}/{cron}", headers=_auth(token)
        ) as resp:
            assert resp.status == 200, await resp.text()
        body = {"resourceKind": "CronWorkflow", "resourceName": cron}
        async with http.post(
            f"{stack.argo_url}/api/v1/workflows/{stack.namespace}/submit", json=body, headers=_auth(token)
        ) as resp:
            assert resp.status == 200, await resp.text()
            name = (await resp.json())["metadata"]["name"]
    wf = await asyncio.to_thread(stack.wait_for_workflow, name, timeout=120)
    assert wf["status"]["phase"] == "Succeeded"


async def test_event_source_and_sensor_crud(stack: E2EStack) -> None:
    token = stack.mint_token(stack.full_sa)
    es = stack.unique("es")
    body = {
        "eventSource": {
            "metadata": {"name": es, "namespace": stack.namespace},
            "spec": {
                "template": stack.events_pod_template(),
                "webhook": {"example": {"port": "12000", "endpoint": "/example", "method": "POST"}},
            },
        }
    }
    async with stack.http_session() as http:
        async with http.post(
            f"{stack.argo_url}/api/v1/event-sources/{stack.namespace}", json=body, headers=_auth(token)
        ) as resp:
            assert resp.status == 200, await resp.text()
        async with http.get(
            f"{stack.argo_url}/api/v1/event-sources/{stack.namespace}", headers=_auth(token)
        ) as resp:
            assert resp.status == 200, await resp.text()
            names = [i["metadata"]["name"] for i in (await resp.json()).get("items") or []]
        assert es in names
        async with http.delete(
            f"{stack.argo_url}/api/v1/event-sources/{stack.namespace}/{es}", headers=_auth(token)
        ) as resp:
            assert resp.status == 200, await resp.text()
        sensor = stack.unique("sensor")
        body = {
            "sensor": {
                "metadata": {"name": sensor, "namespace": stack.namespace},
                "spec": {
                    "template": stack.events_pod_template(),
                    "dependencies": [{"name": "dep", "eventSourceName": es, "eventName": "example"}],
                    "triggers": [{"template": {"name": "log", "log": {}}}],
                },
            }
        }
        async with http.post(
            f"{stack.argo_url}/api/v1/sensors/{stack.namespace}", json=body, headers=_auth(token)
        ) as resp:
            assert resp.status == 200, await resp.text()
        async with http.get(
            f"{stack.argo_url}/api/v1/sensors/{stack.namespace}/{sensor}", headers=_auth(token)
        ) as resp:
            assert resp.status == 200, await resp.text()


async def test_input_artifact_from_s3(stack: E2EStack) -> None:
    token = stack.mint_token(stack.full_sa)
    key = f"inputs/{stack.unique('in')}.txt"
    stack.s3_put(key, b"input artifact bytes\n")
    name = stack.submit_workflow(
        {
            "apiVersion": WF,
            "kind": "Workflow",
            "metadata": {"generateName": "inart-"},
            "spec": {
                "entrypoint": "use",
                "templates": [
                    {
                        "name": "use",
                        "container": container(),
                        "inputs": {
                            "artifacts": [{"name": "data", "path": "/tmp/data.txt", "s3": {"key": key}}]
                        },
                    },
                ],
            },
        }
    )
    wf = await asyncio.to_thread(stack.wait_for_workflow, name, timeout=120)
    assert wf["status"]["phase"] == "Succeeded", wf["status"].get("message")
    node = next(n for n in wf["status"]["nodes"].values() if n["type"] == "Pod")
    async with (
        stack.http_session() as http,
        http.get(
            f"{stack.argo_url}/artifact-files/{stack.namespace}/workflows/{name}/{node['id']}/inputs/data",
            headers=_auth(token),
        ) as resp,
    ):
        assert resp.status == 200, await resp.text()
        assert await resp.read() == b"input artifact bytes\n"
