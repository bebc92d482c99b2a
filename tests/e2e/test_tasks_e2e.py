"""Tasks on the real stack (issue 25): the chart installed with two replicas and its task-key Secret, a real
workflow submitted as a task through one replica, that replica's pod deleted, and the task polled through the
Service (so by the other replica, or its replacement) to `completed` with the workflow's real outputs; then a
running workflow stopped by `tasks/cancel`, which its exit handler's log line proves.

The client is raw 2026-07-28 JSON-RPC over the Service's verified TLS with a token for the argo-mcp audience, so
every poll is authorised per call by the real kube-apiserver, and the workflows run real pods under argoexec.
"""

from __future__ import annotations

import base64
import contextlib
import ssl
import time
from collections.abc import Iterator
from typing import Any

import httpx2

from tests.e2e.helm_support import CHART, helm, real_pod_values
from tests.e2e.mcp_support import WF, container, port_forward
from tests.e2e.stack.fixture import E2EStack
from tests.e2e.workloads import echo
from tests.support.raw_mcp import rpc_answer

TASKS: dict[str, Any] = {"io.modelcontextprotocol/tasks": {}}
EXIT_LINE = "exit-handler-ran"


def _template(stack: E2EStack, name: str) -> str:
    """A run that sleeps `seconds`, writes a global output and, however it ends, runs an exit handler."""
    stack.create_workflow_template(
        {
            "apiVersion": WF,
            "kind": "WorkflowTemplate",
            "metadata": {"name": name, "namespace": stack.namespace},
            "spec": {
                "entrypoint": "main",
                "onExit": "goodbye",
                "arguments": {"parameters": [{"name": "seconds", "value": "3"}]},
                "templates": [
                    {
                        "name": "main",
                        "container": container(
                            "sleep {{workflow.parameters.seconds}}; echo 1204 > /tmp/rows"
                        ),
                        "outputs": {
                            "parameters": [
                                {"name": "rows", "globalName": "rows", "valueFrom": {"path": "/tmp/rows"}}
                            ]
                        },
                    },
                    {"name": "goodbye", "container": container(echo(EXIT_LINE))},
                ],
            },
        }
    )
    return name


class Client:
    """2026-07-28 JSON-RPC with the Tasks extension, to one port-forwarded endpoint."""

    def __init__(self, port: int, token: str, context: ssl.SSLContext) -> None:
        self.url = f"https://localhost:{port}/mcp"
        self.token, self.context = token, context

    def request(self, method: str, params: dict[str, Any], name: str) -> dict[str, Any]:
        meta = {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {"extensions": TASKS},
        }
        headers = {
            "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": "2026-07-28",
            "Mcp-Method": method,
            "Mcp-Name": name,
            "Authorization": f"Bearer {self.token}",
        }
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": {**params, "_meta": meta}}
        with httpx2.Client(verify=self.context, timeout=60) as http:
            answer = http.post(self.url, json=body, headers=headers)
        assert answer.status_code == 200, answer.text
        message = rpc_answer(answer.text)
        assert "result" in message, message
        return dict(message["result"])

    def submit(self, template: str, seconds: int) -> dict[str, Any]:
        arguments = {"resourceName": template, "parameters": {"seconds": str(seconds)}, "wait": True}
        return self.request(
            "tools/call", {"name": "submit_workflow", "arguments": arguments}, "submit_workflow"
        )

    def get(self, task_id: str) -> dict[str, Any]:
        return self.request("tasks/get", {"taskId": task_id}, task_id)


@contextlib.contextmanager
def _client(stack: E2EStack, namespace: str, target: str, fullname: str) -> Iterator[Client]:
    secret = stack.kube.get(f"/api/v1/namespaces/{namespace}/secrets/{fullname}-tls")["data"]
    context = ssl.create_default_context(
        cadata=base64.b64decode(secret.get("ca.crt") or secret["tls.crt"]).decode()
    )
    token = stack.mint_token(stack.full_sa, audience="argo-mcp")
    with port_forward(stack, namespace, target, 8081) as port:
        yield Client(port, token, context)


def _server_pods(stack: E2EStack, namespace: str, release: str) -> list[str]:
    pods = stack.kube.get(
        f"/api/v1/namespaces/{namespace}/pods?labelSelector=app.kubernetes.io/instance%3D{release}"
    )["items"]
    return sorted(p["metadata"]["name"] for p in pods if not p["metadata"].get("deletionTimestamp"))


def _until(what: str, check: Any, timeout: float = 180) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(2)
    raise AssertionError(f"timed out waiting for {what}")


def _logs_of(stack: E2EStack, workflow: str) -> str:
    pods = stack.kube.get(
        f"/api/v1/namespaces/{stack.namespace}/pods?labelSelector=workflows.argoproj.io/workflow%3D{workflow}"
    )["items"]
    return "\n".join(
        stack.kubectl("logs", "-n", stack.namespace, p["metadata"]["name"], "-c", "main", check=False).stdout
        for p in pods
    )


def test_a_task_outlives_its_replica_and_its_cancel_stops_the_run(
    stack: E2EStack, mcp_namespace: str
) -> None:
    release = stack.unique("tasks")
    fullname = f"{release}-argo-mcp"
    values = [
        *real_pod_values(stack),
        "--set", "replicas=2",
        "--set", "mode=full",
        "--set", f"namespaces={{{stack.namespace}}}",
        "--set", f"defaultNamespace={stack.namespace}",
    ]  # fmt: skip
    helm(stack, mcp_namespace, "install", release, str(CHART), *values, "--wait", "--timeout", "240s")
    try:
        template = _template(stack, stack.unique("task-run"))
        first, second = _server_pods(stack, mcp_namespace, release)
        with _client(stack, mcp_namespace, f"pod/{first}", fullname) as client:
            created = client.submit(template, seconds=20)
        assert created["resultType"] == "task" and created["status"] == "working", created
        stack.kubectl("delete", "pod", "-n", mcp_namespace, first, "--wait=true", timeout=120)

        with _client(stack, mcp_namespace, f"svc/{fullname}", fullname) as client:

            def completed() -> dict[str, Any] | None:
                task = client.get(created["taskId"])
                return task if task["status"] == "completed" else None

            done = _until("the task to complete", completed)
        text = done["result"]["content"][0]["text"]
        assert '"phase":"Succeeded"' in text and '"outputs":{"rows":"1204"}' in text, text
        assert second in _server_pods(stack, mcp_namespace, release), "the other replica served the polls"

        with _client(stack, mcp_namespace, f"svc/{fullname}", fullname) as client:
            running = client.submit(template, seconds=600)
            assert running["status"] == "working", running
            workflow = _until(
                "the run to start",
                lambda: next(
                    (
                        w["metadata"]["name"]
                        for w in stack.kube.get(
                            f"/apis/argoproj.io/v1alpha1/namespaces/{stack.namespace}/workflows"
                        )["items"]
                        if w["metadata"]["name"].startswith(template)
                        and w.get("status", {}).get("phase") == "Running"
                    ),
                    None,
                ),
            )
            acknowledged = client.request("tasks/cancel", {"taskId": running["taskId"]}, running["taskId"])
            assert "status" not in acknowledged, acknowledged
        ended = stack.wait_for_workflow(workflow, timeout=180)
        assert ended["status"]["phase"] in ("Failed", "Error"), ended["status"]
        assert ended["spec"].get("shutdown") == "Stop", "the first cancel stops the run: exit handlers run"

        def exit_handler_ran() -> str | None:
            logs = _logs_of(stack, workflow)
            return logs if EXIT_LINE in logs else None

        assert EXIT_LINE in _until("the exit handler's log line", exit_handler_ran)
    finally:
        helm(stack, mcp_namespace, "uninstall", release, "--wait", check=False)
