"""Argo Events for real: the upstream controller makes real EventSource and Sensor pods on the real node, a real
HTTP POST to the webhook goes through the JetStream EventBus to the Sensor, whose k8s trigger creates a Workflow
that runs a real busybox step; argo-mcp's log tools return what those pods really logged.

The stack runs the controller-manager and nats-server (JetStream) as pods (tests/e2e/stack/events.py); the
EventBus `default` in the test namespace is of kind jetstreamExotic. Nothing here is a labelled stand-in pod.
"""

from __future__ import annotations

import asyncio
import json
import shlex
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from tests.e2e.mcp_support import WF, call, call_text, start_with_token, wait_phase
from tests.e2e.stack.fixture import E2EStack, KubeError
from tests.support.processes import ServerProcess

pytestmark = pytest.mark.local_only

WEBHOOK_PORT = 12000
# what only the real programs log (argo-events v1.9.11: pkg/eventsources/eventing.go, pkg/sensors/listener.go,
# pkg/eventbus/jetstream/sensor/trigger_conn.go)
PUBLISHED = "Succeeded to publish an event"
TRIGGERED = "Successfully processed trigger"
SUBSCRIBED = "Subscribing to subject"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def mcp(stack: E2EStack, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ServerProcess]:
    tmp = tmp_path_factory.mktemp("mcp-events")
    server = await start_with_token(stack, tmp, stack.mint_token(stack.full_sa, seconds=3600))
    yield server
    await server.stop()


def webhook_source(stack: E2EStack, name: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "spec": {
            "template": stack.events_pod_template(),
            "service": {"ports": [{"port": WEBHOOK_PORT, "targetPort": WEBHOOK_PORT}]},
            "webhook": {"hook": {"port": str(WEBHOOK_PORT), "endpoint": "/hook", "method": "POST"}},
        },
    }


def workflow_sensor(stack: E2EStack, name: str, source: str, label: str) -> dict[str, Any]:
    """A Sensor whose k8s trigger creates a Workflow; the event's body.message becomes its parameter."""
    step = {
        "image": stack.workload_image,
        "imagePullPolicy": "Never",
        "command": ["sh", "-c", 'echo "event message: $0"', "{{inputs.parameters.message}}"],
    }
    workflow = {
        "apiVersion": WF,
        "kind": "Workflow",
        "metadata": {"generateName": f"{name}-", "labels": {"e2e-events": label}},
        "spec": {
            "entrypoint": "main",
            "arguments": {"parameters": [{"name": "message", "value": "none"}]},
            "templates": [
                {
                    "name": "main",
                    "inputs": {
                        "parameters": [{"name": "message", "value": "{{workflow.parameters.message}}"}]
                    },
                    "container": step,
                }
            ],
        },
    }
    return {
        "kind": "Sensor",
        "metadata": {"name": name},
        "spec": {
            "template": stack.events_pod_template(stack.sensor_service_account),
            "dependencies": [{"name": "dep", "eventSourceName": source, "eventName": "hook"}],
            "triggers": [
                {
                    "template": {
                        "name": "run-workflow",
                        "k8s": {
                            "operation": "create",
                            "source": {"resource": workflow},
                            # applied to the resource: the event's JSON body.message -> the Workflow's parameter
                            "parameters": [
                                {
                                    "src": {"dependencyName": "dep", "dataKey": "body.message"},
                                    "dest": "spec.arguments.parameters.0.value",
                                }
                            ],
                        },
                    }
                }
            ],
        },
    }


def wait_logged(stack: E2EStack, pod: str, text: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with_logs = stack.pod_log(pod, "main")
        if text in with_logs:
            return
        time.sleep(0.5)
    raise AssertionError(f"pod {pod} did not log {text!r} in {timeout:.0f}s; its log:\n{with_logs[-3000:]}")


def post_from_a_pod(stack: E2EStack, name: str, url: str, body: dict[str, Any]) -> str:
    """busybox wget in a real pod POSTs `body` to `url` (a Service's DNS name), retrying until it is answered."""
    data = shlex.quote(json.dumps(body))
    script = (
        f"for i in $(seq 60); do"
        f" if wget -q -O- --header 'Content-Type: application/json' --post-data {data} {shlex.quote(url)};"
        f" then echo; echo POSTED; exit 0; fi; sleep 1; done; exit 1"
    )
    stack.kube.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": stack.namespace},
            "spec": {
                "nodeSelector": stack.events_pod_template()["nodeSelector"],
                "tolerations": stack.events_pod_template()["tolerations"],
                "restartPolicy": "Never",
                "terminationGracePeriodSeconds": 1,
                "containers": [
                    {
                        "name": "main",
                        "image": stack.workload_image,
                        "imagePullPolicy": "Never",
                        "command": ["sh", "-c", script],
                    }
                ],
            },
        }
    )

    def done() -> str | None:
        pod = stack.kube.get(f"/api/v1/namespaces/{stack.namespace}/pods/{name}")
        phase = pod.get("status", {}).get("phase")
        if phase == "Failed":
            raise AssertionError(f"the POST never got an answer: {stack.pod_log(name)}")
        return phase if phase == "Succeeded" else None

    stack.kube.wait_for(f"pod {name} Succeeded", done, 90)
    return stack.pod_log(name)


def workflows_labelled(stack: E2EStack, label: str) -> list[dict[str, Any]]:
    answer = stack.kube.get(
        f"/apis/argoproj.io/v1alpha1/namespaces/{stack.namespace}/workflows",
        params={"labelSelector": f"e2e-events={label}"},
    )
    return list(answer.get("items") or [])


async def test_a_webhook_event_triggers_a_real_workflow_and_the_log_tools_read_the_real_pods(
    stack: E2EStack, mcp: ServerProcess
) -> None:
    source, sensor = stack.unique("es-hook"), stack.unique("sn-wf")
    await call(mcp, "create_event_source", {"manifest": webhook_source(stack, source)})
    await call(mcp, "create_sensor", {"manifest": workflow_sensor(stack, sensor, source, source)})
    try:
        # the controller made Deployments of the local argo-events image; their pods run on the real node
        es_pod = await asyncio.to_thread(stack.wait_pod_running, f"eventsource-name={source}")
        sn_pod = await asyncio.to_thread(stack.wait_pod_running, f"sensor-name={sensor}")
        for pod in (es_pod, sn_pod):
            assert pod["spec"]["nodeName"] == stack.node_name
            (main,) = pod["spec"]["containers"]
            assert main["image"] == stack.argo_events_image and main["imagePullPolicy"] == "Never"
        # the sensor subscribes with DeliverNew: an event sent before that would be ignored
        await asyncio.to_thread(wait_logged, stack, sn_pod["metadata"]["name"], SUBSCRIBED)

        message = stack.unique("hello-from-webhook")
        url = f"http://{source}-eventsource-svc.{stack.namespace}.svc:{WEBHOOK_PORT}/hook"
        answer = await asyncio.to_thread(
            post_from_a_pod, stack, stack.unique("poster"), url, {"message": message}
        )
        assert "POSTED" in answer

        def triggered() -> dict[str, Any] | None:
            items = workflows_labelled(stack, source)
            return items[0] if items else None

        wf = await asyncio.to_thread(stack.kube.wait_for, "the Sensor's Workflow", triggered, 60)
        name = wf["metadata"]["name"]
        assert wf["spec"]["arguments"]["parameters"][0]["value"] == message  # the event's body went through
        done = await wait_phase(stack, name)
        assert done["status"]["phase"] == "Succeeded", done["status"].get("message")
        step_logs = await call_text(mcp, "get_workflow_logs", {"name": name, "timeLimitSeconds": 10})
        assert f"event message: {message}" in step_logs

        # argo-mcp's log tools, through Argo's event-source / sensor log APIs, read the real pods
        es_logs = await call_text(mcp, "get_event_source_logs", {"name": source, "timeLimitSeconds": 3})
        assert PUBLISHED in es_logs, es_logs
        sn_logs = await call_text(mcp, "get_sensor_logs", {"name": sensor, "timeLimitSeconds": 3})
        assert TRIGGERED in sn_logs and "run-workflow" in sn_logs, sn_logs
        # Argo's own API (what the tool drains): one JSON entry per line, the pod's fields in `result`
        async with (
            stack.http_session(timeout=aiohttp.ClientTimeout(total=30)) as http,
            http.get(
                f"{stack.argo_url}/api/v1/stream/event-sources/{stack.namespace}/logs",
                params={"name": source, "podLogOptions.container": "main"},
                headers={"Authorization": f"Bearer {stack.mint_token(stack.full_sa)}"},
            ) as resp,
        ):
            assert resp.status == 200, await resp.text()
            first = json.loads(await resp.content.readline())["result"]
        assert first["eventSourceName"] == source and first["level"]
        filtered = await call_text(
            mcp, "get_sensor_logs", {"name": sensor, "triggerName": "run-workflow", "timeLimitSeconds": 3}
        )
        assert TRIGGERED in filtered, filtered
    finally:
        await call(mcp, "delete_sensor", {"name": sensor})
        await call(mcp, "delete_event_source", {"name": source})


async def test_deleting_an_event_source_removes_its_real_pod(stack: E2EStack, mcp: ServerProcess) -> None:
    source = stack.unique("es-gone")
    await call(mcp, "create_event_source", {"manifest": webhook_source(stack, source)})
    pod = await asyncio.to_thread(stack.wait_pod_running, f"eventsource-name={source}")
    await call(mcp, "delete_event_source", {"name": source})

    def gone() -> bool:
        try:
            stack.kube.get(f"/api/v1/namespaces/{stack.namespace}/pods/{pod['metadata']['name']}")
        except KubeError as exc:
            return exc.status == 404
        return False

    await asyncio.to_thread(stack.kube.wait_for, f"pod of {source} deleted", gone, 90)
