"""The operator reconciling an ArgoMCPServer against the real kube-apiserver (kwok plays the kubelet).

Apply a CR → children with owner references and a Ready status; delete a child → it comes back; change the
spec → the children follow; the generated ServiceAccount's token (TokenRequest API) lets argo-mcp use exactly
its mode's rights against the real Argo Server in client auth mode; delete the CR → everything is gone.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.mcp_support import simple_template, start_with_token
from tests.e2e.stack.fixture import E2EStack
from tests.support.processes import REPO, clean_env, http_client, text_of

pytestmark = pytest.mark.local_only
CRD = REPO / "deploy" / "crds" / "argo-mcp.io_argomcpservers.yaml"
GROUP = "/apis/argo-mcp.io/v1alpha1"


def wait_for(what: str, check: Callable[[], Any], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")


@pytest.fixture(scope="module")
def operator(stack: E2EStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The CRD installed and the operator running as a process, watching a fresh namespace."""
    namespace = stack.unique("op")
    stack.kubectl("apply", "--server-side", "-f", str(CRD))
    stack.kubectl("wait", "--for=condition=Established", "crd/argomcpservers.argo-mcp.io", "--timeout=60s")
    stack.kubectl("create", "namespace", namespace)
    log_path = tmp_path_factory.mktemp("operator") / "operator.log"
    env = {**clean_env(), "KUBECONFIG": stack.kubeconfig}
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "argo_mcp_operator",
                "-n",
                namespace,
                "--liveness",
                "none",
                "--resync-seconds",
                "2",
            ],
            cwd=REPO,
            env={**env, "PYTHONPATH": f"{REPO}:{REPO / 'operator'}"},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield namespace
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        print(log_path.read_text()[-4000:])
        # Leave the cluster as found: the CRD (and with it any ArgoMCPServer left) and the namespace.
        stack.kubectl("delete", "-f", str(CRD), "--ignore-not-found", "--wait=true", check=False)
        stack.kubectl("delete", "namespace", namespace, "--ignore-not-found", "--wait=false", check=False)


def cr(name: str, namespace: str, stack: E2EStack, mode: str) -> dict[str, Any]:
    return {
        "apiVersion": "argo-mcp.io/v1alpha1",
        "kind": "ArgoMCPServer",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "argoServer": {"url": stack.argo_url},
            "namespaces": [stack.namespace],
            "mode": mode,
            "inboundAuth": {"mode": "none"},
        },
    }


def get(stack: E2EStack, path: str) -> dict[str, Any] | None:
    result: dict[str, Any] | None = stack.kube.get_or_none(path)
    return result


def role_verbs(stack: E2EStack, name: str) -> set[str]:
    role = get(stack, f"/apis/rbac.authorization.k8s.io/v1/namespaces/{stack.namespace}/roles/{name}") or {}
    return {verb for rule in role.get("rules", []) for verb in rule.get("verbs", [])}


async def test_argomcpserver_lifecycle(stack: E2EStack, operator: str, tmp_path: Path) -> None:
    namespace = operator
    name = "agents"
    stack.apply(cr(name, namespace, stack, "read-only"))
    obj_path = f"{GROUP}/namespaces/{namespace}/argomcpservers/{name}"
    created = get(stack, obj_path)
    assert created is not None
    uid = created["metadata"]["uid"]

    children = {
        "serviceaccount": f"/api/v1/namespaces/{namespace}/serviceaccounts/{name}",
        "service": f"/api/v1/namespaces/{namespace}/services/{name}",
        "secret": f"/api/v1/namespaces/{namespace}/secrets/{name}-tls",
        "deployment": f"/apis/apps/v1/namespaces/{namespace}/deployments/{name}",
    }

    def getter(path: str) -> Callable[[], dict[str, Any] | None]:
        return lambda: get(stack, path)

    def gone(path: str) -> Callable[[], bool]:
        return lambda: get(stack, path) is None

    for kind, path in children.items():
        child = await asyncio.to_thread(wait_for, kind, getter(path))
        assert any(ref["uid"] == uid for ref in child["metadata"].get("ownerReferences", [])), kind
    assert {"get", "list", "watch"} <= role_verbs(stack, name) and "create" not in role_verbs(stack, name)

    def ready() -> dict[str, Any] | None:
        status = (get(stack, obj_path) or {}).get("status") or {}
        conditions = {c["type"]: c["status"] for c in status.get("conditions", [])}
        return status if conditions.get("Ready") == "True" else None

    status = await asyncio.to_thread(wait_for, "Ready", ready, 120)
    assert status["endpoint"] == f"https://{name}.{namespace}.svc:8081/mcp"
    assert status["tls"]["notAfter"]

    # Drift: a deleted child comes back.
    stack.kubectl("delete", "service", name, "-n", namespace)
    await asyncio.to_thread(wait_for, "service re-created", lambda: get(stack, children["service"]), 60)

    # The generated identity, through the real Argo Server: its mode's reads work, writes are refused by RBAC.
    template = simple_template(stack, stack.unique("op-tmpl"))
    server = await start_with_token(stack, tmp_path, stack.mint_token(name, namespace=namespace))
    try:
        async with http_client(server.url) as client:
            listed = await client.call_tool("list_workflows", {"limit": 1})
            assert not listed.is_error, text_of(listed)
            refused = await client.call_tool("submit_workflow", {"resourceName": template})
            assert refused.is_error and "403 Forbidden" in text_of(refused)
    finally:
        await server.stop()

    # Spec change: operate mode grants create/update/patch, and the Deployment's args follow.
    stack.kube.merge_patch(obj_path, {"spec": {"mode": "operate"}})
    await asyncio.to_thread(wait_for, "operate verbs", lambda: "create" in role_verbs(stack, name), 60)

    def args() -> list[str]:
        deployment = get(stack, children["deployment"]) or {}
        containers = deployment.get("spec", {}).get("template", {}).get("spec", {}).get("containers", [{}])
        return list(containers[0].get("args", []))

    await asyncio.to_thread(wait_for, "--disable-destructive", lambda: "--disable-destructive" in args(), 60)
    assert "--read-only" not in args()

    # Deleting the CR removes everything, including the Role in the target namespace.
    stack.kubectl("delete", "argomcpserver", name, "-n", namespace, "--wait=true", "--timeout=60s")
    role_path = f"/apis/rbac.authorization.k8s.io/v1/namespaces/{stack.namespace}/roles/{name}"
    await asyncio.to_thread(wait_for, "role removed", lambda: get(stack, role_path) is None, 60)
    for kind, path in children.items():
        # Owned children go with the garbage collector (kube-controller-manager).
        await asyncio.to_thread(wait_for, f"{kind} removed", gone(path), 90)
    print(json.dumps(status))
