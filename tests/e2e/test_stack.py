"""The e2e stack itself, proven through Argo's REST API directly (aiohttp; argo-mcp is not involved)."""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import Any

import aiohttp
import pytest

from tests.e2e.stack.fixture import E2EStack
from tests.e2e.workloads import container, echo

REPORT_TEXT = "argo-mcp e2e report: 42 widgets\n"
GREETING = "hello from e2e: a parameter with  two spaces"


OK_SCRIPT = "; ".join(
    [
        echo("hello from the main container"),
        "printf 'hello from e2e' > /tmp/greeting",
        echo(REPORT_TEXT.rstrip("\n")) + " > /tmp/report.txt",
        "head -c 100000 /dev/urandom > /tmp/blob.bin",
        "sha256sum /tmp/blob.bin | cut -c1-64 | tr -d '\\n' > /tmp/blob.sha256",
        "hostname | tr -d '\\n' > /tmp/hostname",
        "printf '%s' \"$GREETING\" | sha256sum | cut -c1-64 | tr -d '\\n' > /tmp/greeting.sha256",
    ]
)


def _template(name: str) -> dict[str, Any]:
    """`ok` writes files that only a real container can (random bytes and their sha256, its hostname, the
    sha256 of its input parameter as sha256sum computes it); `bad` exits with a real exit code."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "WorkflowTemplate",
        "metadata": {"name": name},
        "spec": {
            "entrypoint": "ok",
            "arguments": {"parameters": [{"name": "greeting", "value": GREETING}]},
            "templates": [
                {
                    "name": "ok",
                    "inputs": {"parameters": [{"name": "greeting"}]},
                    "container": {
                        **container(OK_SCRIPT),
                        "env": [{"name": "GREETING", "value": "{{inputs.parameters.greeting}}"}],
                    },
                    "outputs": {
                        "parameters": [
                            {"name": "greeting", "valueFrom": {"path": "/tmp/greeting"}},
                            {"name": "blob-sha256", "valueFrom": {"path": "/tmp/blob.sha256"}},
                            {"name": "hostname", "valueFrom": {"path": "/tmp/hostname"}},
                            {"name": "greeting-sha256", "valueFrom": {"path": "/tmp/greeting.sha256"}},
                        ],
                        "artifacts": [
                            {"name": "report", "path": "/tmp/report.txt", "archive": {"none": {}}},
                            {"name": "blob", "path": "/tmp/blob.bin", "archive": {"none": {}}},
                        ],
                    },
                },
                {"name": "bad", "container": container("echo failing with 3 >&2; exit 3")},
            ],
        },
    }


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _submit(
    http: aiohttp.ClientSession, stack: E2EStack, token: str, template: str, entrypoint: str | None = None
) -> str:
    body: dict[str, Any] = {
        "resourceKind": "WorkflowTemplate",
        "resourceName": template,
        "submitOptions": {"generateName": f"{template}-"},
    }
    if entrypoint:
        body["submitOptions"]["entryPoint"] = entrypoint
    async with http.post(
        f"{stack.argo_url}/api/v1/workflows/{stack.namespace}/submit", json=body, headers=_auth(token)
    ) as resp:
        text = await resp.text()
        assert resp.status == 200, text
        return str(json.loads(text)["metadata"]["name"])


def _pod_name(stack: E2EStack, workflow: str) -> str:
    pods = stack.kube.get(
        f"/api/v1/namespaces/{stack.namespace}/pods",
        params={"labelSelector": f"workflows.argoproj.io/workflow={workflow}"},
    )["items"]
    assert len(pods) == 1, [p["metadata"]["name"] for p in pods]
    return str(pods[0]["metadata"]["name"])


def _pod_node(wf: dict[str, Any]) -> dict[str, Any]:
    nodes = [n for n in wf["status"]["nodes"].values() if n["type"] == "Pod"]
    assert len(nodes) == 1, nodes
    return dict(nodes[0])


@pytest.fixture(scope="module")
def template(stack: E2EStack) -> str:
    name = stack.unique("stack-proof")
    stack.create_workflow_template(_template(name))
    return name


@pytest.mark.compat
async def test_version(stack: E2EStack) -> None:
    async with stack.http_session() as http, http.get(f"{stack.argo_url}/api/v1/version") as resp:
        assert resp.status == 200
        version = await resp.json()
    assert version["version"].startswith(stack.versions["argo-workflows"]), version


@pytest.mark.compat
async def test_workflow_succeeds_with_outputs_logs_artifacts_archive(stack: E2EStack, template: str) -> None:
    token = stack.mint_token(stack.full_sa)
    async with stack.http_session() as http:
        name = await _submit(http, stack, token, template)
        wf = await asyncio.to_thread(stack.wait_for_workflow, name, timeout=120)
        assert wf["status"]["phase"] == "Succeeded", wf["status"].get("message")
        node = _pod_node(wf)
        params = {p["name"]: p["value"] for p in node["outputs"]["parameters"]}
        assert params["greeting"] == "hello from e2e"
        # computed inside the container: its hostname is its pod's name, sha256sum saw the parameter exactly
        assert params["hostname"] == _pod_name(stack, name)
        assert params["greeting-sha256"] == hashlib.sha256(GREETING.encode()).hexdigest()
        arts = {a["name"] for a in node["outputs"]["artifacts"]}
        assert {"report", "blob"} <= arts

        # logs through Argo's API (Argo -> kube-apiserver -> the real kubelet -> containerd's log file)
        async with http.get(
            f"{stack.argo_url}/api/v1/workflows/{stack.namespace}/{name}/log",
            params={"logOptions.container": "main"},
            headers=_auth(token),
        ) as resp:
            assert resp.status == 200, await resp.text()
            lines = [json.loads(line)["result"]["content"] async for line in _lines(resp)]
        assert "hello from the main container" in lines, lines

        # artifacts as argoexec uploaded them: the report's bytes, the random blob's sha256 as the pod computed it
        bodies = {}
        for art in ("report", "blob"):
            url = (
                f"{stack.argo_url}/artifact-files/{stack.namespace}/workflows/{name}/{node['id']}"
                f"/outputs/{art}"
            )
            async with http.get(url, headers=_auth(token)) as resp:
                assert resp.status == 200, (art, await resp.text())
                bodies[art] = await resp.read()
        assert bodies["report"] == REPORT_TEXT.encode()
        assert len(bodies["blob"]) == 100_000
        assert hashlib.sha256(bodies["blob"]).hexdigest() == params["blob-sha256"]

        # the controller archives the finished workflow in PostgreSQL
        archived = None
        for _ in range(60):
            async with http.get(
                f"{stack.argo_url}/api/v1/archived-workflows",
                params={"namespace": stack.namespace},
                headers=_auth(token),
            ) as resp:
                assert resp.status == 200, await resp.text()
                items = (await resp.json()).get("items") or []
            archived = next((i for i in items if i["metadata"]["name"] == name), None)
            if archived:
                break
            await asyncio.sleep(0.5)
        assert archived is not None, f"{name} never appeared in the workflow archive"
        assert archived["status"]["phase"] == "Succeeded"


async def test_workflow_fails_when_asked(stack: E2EStack, template: str) -> None:
    token = stack.mint_token(stack.full_sa)
    async with stack.http_session() as http:
        name = await _submit(http, stack, token, template, entrypoint="bad")
    wf = await asyncio.to_thread(stack.wait_for_workflow, name, timeout=120)
    assert wf["status"]["phase"] == "Failed"
    node = _pod_node(wf)
    assert node["phase"] == "Failed"
    assert "exit code 3" in (node.get("message") or ""), node
    assert node["outputs"]["exitCode"] == "3", node


async def test_pod_logs_through_kube_api(stack: E2EStack, template: str) -> None:
    name = stack.submit_workflow(
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Workflow",
            "metadata": {"generateName": "stack-logs-"},
            "spec": {"workflowTemplateRef": {"name": template}},
        }
    )
    wf = await asyncio.to_thread(stack.wait_for_workflow, name, timeout=120)
    assert wf["status"]["phase"] == "Succeeded"
    pods = stack.kube.get(
        f"/api/v1/namespaces/{stack.namespace}/pods",
        params={"labelSelector": f"workflows.argoproj.io/workflow={name}"},
    )["items"]
    assert len(pods) == 1
    text = stack.kube.get(
        f"/api/v1/namespaces/{stack.namespace}/pods/{pods[0]['metadata']['name']}/log",
        params={"container": "main"},
        raw=True,
    ).decode()
    assert "hello from the main container" in text


async def test_readonly_token_can_list_but_not_submit(stack: E2EStack, template: str) -> None:
    token = stack.mint_token(stack.readonly_sa)
    async with stack.http_session() as http:
        async with http.get(
            f"{stack.argo_url}/api/v1/workflows/{stack.namespace}", headers=_auth(token)
        ) as resp:
            assert resp.status == 200, await resp.text()
        body = {"resourceKind": "WorkflowTemplate", "resourceName": template}
        async with http.post(
            f"{stack.argo_url}/api/v1/workflows/{stack.namespace}/submit", json=body, headers=_auth(token)
        ) as resp:
            assert resp.status == 403, await resp.text()
        # a garbage token is refused (client auth mode: the kube-apiserver decides)
        async with http.get(
            f"{stack.argo_url}/api/v1/workflows/{stack.namespace}", headers=_auth("not-a-token")
        ) as resp:
            assert resp.status == 401, await resp.text()


async def _lines(resp: aiohttp.ClientResponse) -> Any:
    async for raw in resp.content:
        line = raw.strip()
        if line:
            yield line


@pytest.mark.local_only(
    reason="the local node's kubelet is built from versions.toml [versions].kubernetes next to kwok's fake node;"
    " kind's node runs its node image's own kubelet and has no kwok"
)
def test_the_real_node_runs_the_pinned_kubelet(stack: E2EStack) -> None:
    """`kubectl get nodes` shows the real kubelet (its version, containerd), Ready, next to kwok's fake node."""
    nodes = json.loads(stack.kubectl("get", "nodes", "-o", "json").stdout)["items"]
    real = next(n for n in nodes if n["metadata"]["name"] == stack.node_name)
    info = real["status"]["nodeInfo"]
    assert info["kubeletVersion"] == stack.versions["kubernetes"], info
    assert info["containerRuntimeVersion"].startswith("containerd://"), info
    ready = {c["type"]: c["status"] for c in real["status"]["conditions"]}
    assert ready["Ready"] == "True", real["status"]["conditions"]
