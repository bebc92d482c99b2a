"""The operator, running as a pod from its Kustomize bundle, reconciling an ArgoMCPServer on the real node.

The operator pod and the server pod it makes run the argo-mcp image built from the repository's Dockerfile.
Apply a CR → children with owner references, and `Ready` only once a real replica of the server is ready (its
/readyz reached Argo through the in-cluster Service); MCP answers through the Service; delete the pod, the
Service or the Secret → repaired; change the spec → the pod rolls; the generated ServiceAccount's token lets
argo-mcp use exactly its mode's rights against the real Argo Server; delete the CR → everything is gone.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import json
import os
import ssl
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.mcp_support import mcp_through_service, port_forward, simple_template, start_with_token
from tests.e2e.stack import node as N
from tests.e2e.stack.fixture import E2EStack
from tests.support.processes import REPO, http_client, payload, text_of

CRD = REPO / "deploy" / "crds" / "argo-mcp.io_argomcpservers.yaml"
BUNDLE = REPO / "deploy" / "kustomize" / "operator"
OPERATOR_NS = "argo-mcp-system"  # the bundle's namespace
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


def _overlay(stack: E2EStack, directory: Path) -> Path:
    """The operator bundle as a user would apply it, with the locally built image on the real node."""
    repository, tag = stack.argo_mcp_image.rsplit(":", 1)
    patch = [
        {"op": "add", "path": "/spec/template/spec/nodeSelector", "value": dict(N.NODE_SELECTOR)},
        {"op": "add", "path": "/spec/template/spec/tolerations", "value": list(N.TOLERATIONS)},
        {"op": "replace", "path": "/spec/template/spec/containers/0/imagePullPolicy", "value": "Never"},
        {"op": "add", "path": "/spec/template/spec/containers/0/args/-", "value": "--resync-seconds=2"},
    ]
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": [os.path.relpath(BUNDLE, directory)],
        "images": [{"name": "ghcr.io/argo-mcp/argo-mcp", "newName": repository, "newTag": tag}],
        "patches": [
            {
                "target": {"kind": "Deployment", "name": "argo-mcp-operator"},
                "patch": json.dumps(patch),
            }
        ],
    }
    (directory / "kustomization.yaml").write_text(json.dumps(kustomization, indent=2))
    return directory


@pytest.fixture(scope="module")
def operator(stack: E2EStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The operator bundle applied (CRD, namespace, RBAC, Deployment), its pod Ready on the real node; yields a
    fresh namespace for ArgoMCPServers."""
    if not stack.argo_mcp_image:
        pytest.fail(
            "the stack built no argo-mcp image (images.PROVIDERS has no `argo-mcp` role)", pytrace=False
        )
    if stack.kubectl("get", "namespace", OPERATOR_NS, check=False).returncode == 0:
        pytest.fail(f"namespace {OPERATOR_NS} already exists (left by another test?)", pytrace=False)
    overlay = _overlay(stack, tmp_path_factory.mktemp("operator-overlay"))
    namespace = stack.unique("op")
    stack.kubectl("create", "namespace", namespace)
    stack.kubectl("apply", "--server-side", "-k", str(overlay))
    try:
        stack.kubectl(
            "wait", "--for=condition=Established", "crd/argomcpservers.argo-mcp.io", "--timeout=60s"
        )
        stack.kubectl(
            "-n", OPERATOR_NS, "wait", "--for=condition=Available", "deployment/argo-mcp-operator",
            "--timeout=120s", timeout=150,
        )  # fmt: skip
        yield namespace
    finally:
        logs = stack.kubectl(
            "-n", OPERATOR_NS, "logs", "deployment/argo-mcp-operator", "--tail=60", check=False
        )
        print(logs.stdout[-6000:], logs.stderr[-2000:])
        # Leave the cluster as found: ArgoMCPServers first (the operator removes their finalizer), then the bundle.
        stack.kubectl("delete", "argomcpservers", "--all", "-A", "--wait=true", "--timeout=60s", check=False)
        stack.kubectl(
            "delete", "-k", str(overlay), "--ignore-not-found", "--wait=true", timeout=180, check=False
        )
        stack.kubectl("delete", "namespace", namespace, "--ignore-not-found", "--wait=false", check=False)


def cr(name: str, namespace: str, stack: E2EStack, mode: str) -> dict[str, Any]:
    return {
        "apiVersion": "argo-mcp.io/v1alpha1",
        "kind": "ArgoMCPServer",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "argoServer": {"url": stack.pod_argo_url},
            "namespaces": [stack.namespace],
            "mode": mode,
            "inboundAuth": {"mode": "none"},
            "image": stack.argo_mcp_image,
            "nodeSelector": dict(N.NODE_SELECTOR),
            "tolerations": list(N.TOLERATIONS),
        },
    }


def get(stack: E2EStack, path: str) -> dict[str, Any] | None:
    result: dict[str, Any] | None = stack.kube.get_or_none(path)
    return result


def server_pods(stack: E2EStack, namespace: str, name: str) -> list[dict[str, Any]]:
    """The server's live pods (not the ones being deleted)."""
    pods = stack.kube.get(
        f"/api/v1/namespaces/{namespace}/pods", params={"labelSelector": f"app.kubernetes.io/instance={name}"}
    )["items"]
    return [p for p in pods if not p["metadata"].get("deletionTimestamp")]


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

    status = await asyncio.to_thread(wait_for, "Ready", ready, 180)
    assert status["endpoint"] == f"https://{name}.{namespace}.svc:8081/mcp"
    assert status["tls"]["notAfter"]
    assert status["readyReplicas"] >= 1
    first = server_pods(stack, namespace, name)
    assert [p["spec"]["nodeName"] for p in first] == [stack.node_name], first
    assert all(c["ready"] for p in first for c in p["status"]["containerStatuses"])

    # The pod really serves MCP through the Service (inbound auth none here; TLS from the operator's Secret).
    through = await asyncio.to_thread(mcp_through_service, stack, namespace, name, {"anyone": ""})
    assert isinstance(through["anyone"], dict) and "items" in through["anyone"], through

    # Drift: a deleted pod, Service or Secret comes back.
    stack.kubectl("delete", "pod", first[0]["metadata"]["name"], "-n", namespace, "--wait=false")
    for kind in ("service", "secret"):
        uid_before = (get(stack, children[kind]) or {})["metadata"]["uid"]
        stack.kubectl("delete", kind, children[kind].rsplit("/", 1)[1], "-n", namespace)

        def recreated(kind: str = kind, uid_before: str = uid_before) -> bool:
            again = get(stack, children[kind])
            return bool(again and again["metadata"]["uid"] != uid_before)

        await asyncio.to_thread(wait_for, f"{kind} re-created", recreated, 60)
    await asyncio.to_thread(wait_for, "Ready again", ready, 180)
    replaced = server_pods(stack, namespace, name)
    assert {p["metadata"]["name"] for p in replaced}.isdisjoint({p["metadata"]["name"] for p in first})

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

    # ... and the pod rolls: a new ready replica runs the new arguments.
    def rolled() -> bool:
        pods = server_pods(stack, namespace, name)
        return bool(pods) and all(
            "--disable-destructive" in p["spec"]["containers"][0].get("args", [])
            and all(c["ready"] for c in p["status"].get("containerStatuses", []))
            for p in pods
        )

    await asyncio.to_thread(wait_for, "the pod rolled to operate mode", rolled, 180)

    # Deleting the CR removes everything, including the Role in the target namespace.
    stack.kubectl("delete", "argomcpserver", name, "-n", namespace, "--wait=true", "--timeout=60s")
    role_path = f"/apis/rbac.authorization.k8s.io/v1/namespaces/{stack.namespace}/roles/{name}"
    await asyncio.to_thread(wait_for, "role removed", lambda: get(stack, role_path) is None, 60)
    for kind, path in children.items():
        # Owned children go with the garbage collector (kube-controller-manager).
        await asyncio.to_thread(wait_for, f"{kind} removed", gone(path), 90)
    print(json.dumps(status))


def _target_calls(stack: E2EStack, namespace: str, name: str) -> dict[str, Any]:
    """Through the Service over the operator's TLS: list_targets, then list_workflows on each target and on one
    that does not exist."""
    secret = stack.kube.get(f"/api/v1/namespaces/{namespace}/secrets/{name}-tls")["data"]
    context = ssl.create_default_context(
        cadata=base64.b64decode(secret.get("ca.crt") or secret["tls.crt"]).decode()
    )
    results: dict[str, Any] = {}
    with port_forward(stack, namespace, f"svc/{name}", 8081) as port:

        async def run() -> None:
            async with http_client(f"https://localhost:{port}/mcp", verify=context) as client:
                listed = await client.call_tool("list_targets", {})
                results["list_targets"] = ("error", text_of(listed)) if listed.is_error else payload(listed)
                for target in ("main", "second", "nowhere"):
                    answer = await client.call_tool("list_workflows", {"limit": 1, "target": target})
                    results[target] = ("error", text_of(answer)) if answer.is_error else payload(answer)

        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, run()).result()
    return results


async def test_argomcpserver_with_two_targets_serves_both(stack: E2EStack, operator: str) -> None:
    """spec.targets on a real API server (the CRD's rules compile and admit it), rendered by the operator into a
    pod that starts with each target's token, serving both targets behind one Service: `main` with the pod's
    own projected token, `second` with a bearer-file token from a Secret, as a remote Argo server's would be."""
    namespace = operator
    name = "fleet"
    body = cr(name, namespace, stack, "operate")
    body["spec"]["defaultTarget"] = "main"
    body["spec"]["targets"] = [
        {"name": "main", "argoServer": {"url": stack.pod_argo_url}, "namespaces": [stack.namespace],
         "mode": "read-only"},
        {"name": "second", "argoServer": {"url": stack.pod_argo_url}, "namespaces": [stack.namespace],
         "auth": {"mode": "bearer-file", "tokenSecretRef": {"name": "fleet-second-token"}}},
    ]  # fmt: skip
    stack.apply(body)
    sa_path = f"/api/v1/namespaces/{namespace}/serviceaccounts/{name}"
    await asyncio.to_thread(wait_for, "the server's ServiceAccount", lambda: get(stack, sa_path))
    # The Secret a user would fill with a remote cluster's token; here a token of the server's own identity.
    token = stack.mint_token(name, namespace=namespace, seconds=3600)
    stack.apply({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "fleet-second-token",
                 "namespace": namespace}, "stringData": {"token": token}})  # fmt: skip
    obj_path = f"{GROUP}/namespaces/{namespace}/argomcpservers/{name}"

    def ready() -> dict[str, Any] | None:
        status = (get(stack, obj_path) or {}).get("status") or {}
        conditions = {c["type"]: c["status"] for c in status.get("conditions", [])}
        return status if conditions.get("Ready") == "True" else None

    await asyncio.to_thread(wait_for, "Ready with two targets", ready, 240)
    config = get(stack, f"/api/v1/namespaces/{namespace}/configmaps/{name}-targets")
    assert config is not None and "second" in config["data"]["targets.yaml"]
    roles = f"/apis/rbac.authorization.k8s.io/v1/clusterroles/{namespace}-{name}-target-"
    for target in ("main", "second"):
        role = get(stack, roles + target)
        assert role is not None and role["rules"][0]["resourceNames"] == [target], role

    results = await asyncio.to_thread(_target_calls, stack, namespace, name)
    listed = json.dumps(results["list_targets"])
    assert "main" in listed and "second" in listed, results
    for target in ("main", "second"):
        assert isinstance(results[target], dict) and "items" in results[target], results
    assert results["nowhere"][0] == "error" and "No target 'nowhere'" in results["nowhere"][1], results

    stack.kubectl("delete", "argomcpserver", name, "-n", namespace, "--wait=true", "--timeout=60s")
    await asyncio.to_thread(
        wait_for, "target ClusterRoles removed", lambda: get(stack, roles + "main") is None, 60
    )
