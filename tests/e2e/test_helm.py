"""The deployment bundle installed into the e2e stack's real kube-apiserver (tests/e2e/README.md).

`helm install` of the chart and `kubectl apply -k` of the Kustomize base: every object is accepted by the
real API server (schema, RBAC escalation checks, PodSecurity admission enforcing `restricted` on the
namespace), the chart's ServiceAccount token is accepted by the real Argo server in client mode with exactly
the Role's rights, an upgrade keeps the self-signed certificate, and uninstalling leaves nothing behind.

The server runs for real: the argo-mcp image built from the repository's Dockerfile, on the stack's real node,
reaching Argo through its in-cluster Service. `Available` means the container started and `/readyz` answered;
`helm test` runs its real pod; an MCP client reaches the Service (port-forward) with a token minted for the
argo-mcp audience and each call is authorised by the real kube-apiserver (TokenReview + SubjectAccessReview).
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import datetime
import json
import os
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from mcp_types import CallToolResult

from tests.e2e.helm_support import (
    CHART,
    ROOT,
    helm,
    real_pod_values,
    restricted_namespace,
)
from tests.e2e.mcp_support import container, mcp_through_service, simple_template
from tests.e2e.stack import node as N
from tests.e2e.stack.fixture import E2EStack
from tests.support.processes import http_client, start_argo_mcp, text_of

KUSTOMIZE_BASE = ROOT / "deploy" / "kustomize" / "base"


def _get(stack: E2EStack, *args: str) -> Any:
    return json.loads(stack.kubectl("get", *args, "-o", "json").stdout)


def _argo(stack: E2EStack, token: str, method: str, path: str, body: Any = None) -> int:
    request = urllib.request.Request(
        f"{stack.argo_url}{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as exc:
        return exc.code


def _workflow(namespace: str) -> dict[str, Any]:
    return {
        "workflow": {
            "metadata": {"generateName": "helm-e2e-", "namespace": namespace},
            "spec": {
                "entrypoint": "main",
                "templates": [{"name": "main", "container": container("true")}],
            },
        }
    }


def _pods_admitted(stack: E2EStack, namespace: str, selector: str) -> list[Any]:
    """The Deployment's pods, once past admission (a PodSecurity refusal leaves none)."""
    stack.kubectl(
        "-n", namespace, "wait", "--for=condition=Available", "deployment", "-l", selector, "--timeout=90s"
    )
    pods: list[Any] = _get(stack, "pods", "-n", namespace, "-l", selector)["items"]
    return pods


def _leftovers(stack: E2EStack, namespaces: list[str], release: str, timeout: float = 90) -> list[str]:
    """What of the release is left; waits up to `timeout` for real pods to finish terminating."""
    deadline = time.monotonic() + timeout
    while True:
        found: list[str] = []
        selector = f"app.kubernetes.io/instance={release}"
        for ns in namespaces:
            kinds = "deployments,services,serviceaccounts,secrets,roles,rolebindings,networkpolicies,pods"
            items = _get(stack, kinds, "-n", ns, "-l", selector)["items"]
            found += [f"{i['kind']}/{ns}/{i['metadata']['name']}" for i in items]
        items = _get(stack, "clusterroles,clusterrolebindings", "-l", selector)["items"]
        found += [f"{i['kind']}/{i['metadata']['name']}" for i in items]
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(1)


def test_pod_security_admission_is_enforced(stack: E2EStack, mcp_namespace: str) -> None:
    """The control for the tests below: the namespace really refuses a pod outside the restricted profile."""
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "privileged", "namespace": mcp_namespace},
        "spec": {"containers": [{"name": "c", "image": "busybox", "securityContext": {"privileged": True}}]},
    }
    res = stack.kubectl("apply", "-f", "-", input=json.dumps(pod), check=False)
    assert res.returncode != 0 and "violates PodSecurity" in res.stderr, res.stderr


def _argo_mcp_with_token(stack: E2EStack, token: str, tmp: Path) -> tuple[CallToolResult, CallToolResult]:
    """argo-mcp as a process with this token (bearer-file): one read and one write through a real MCP client."""
    token_file = tmp / "chart-sa-token"
    token_file.write_text(token)

    template = simple_template(stack, stack.unique("chart-tmpl"))

    async def run() -> tuple[CallToolResult, CallToolResult]:
        server = await start_argo_mcp(
            tmp, "--argo-server-url", stack.argo_url, "--argo-auth-mode", "bearer-file",
            "--argo-token-file", str(token_file), "--argo-default-namespace", stack.namespace,
        )  # fmt: skip
        try:
            async with http_client(server.url) as client:
                listed = await client.call_tool("list_workflows", {"limit": 1})
                refused = await client.call_tool("submit_workflow", {"resourceName": template})
            return listed, refused
        finally:
            await server.stop()

    # A thread of its own, so this sync test never touches the session's event loop.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result()


def test_helm_install_upgrade_uninstall(stack: E2EStack, mcp_namespace: str, tmp_path: Path) -> None:
    release = stack.unique("amcp")
    fullname = f"{release}-argo-mcp"
    values = [
        *real_pod_values(stack),
        "--set", f"namespaces={{{stack.namespace},{mcp_namespace}}}",
        "--set", f"defaultNamespace={stack.namespace}",
    ]  # fmt: skip
    helm(stack, mcp_namespace, "install", release, str(CHART), *values, "--wait", "--timeout", "180s")

    selector = f"app.kubernetes.io/instance={release}"
    pods = _pods_admitted(stack, mcp_namespace, selector)
    assert pods, "no server pod was admitted"
    # Available for real: the container of the locally built image runs on the real node and /readyz answered
    # (Argo reached through its in-cluster Service)
    assert {p["spec"]["nodeName"] for p in pods} == {stack.node_name}, [
        p["spec"].get("nodeName") for p in pods
    ]
    for p in pods:
        statuses = p["status"]["containerStatuses"]
        assert all(c["ready"] and "running" in c["state"] for c in statuses), statuses
        assert all(c["imageID"] for c in statuses), statuses
    tested = helm(stack, mcp_namespace, "test", release, "--timeout", "120s", check=False)
    assert tested.returncode == 0 and "Phase:          Succeeded" in tested.stdout, (
        tested.stdout + tested.stderr
    )
    for ns in (stack.namespace, mcp_namespace):
        role = _get(stack, "role", fullname, "-n", ns)
        assert {tuple(r["verbs"]) for r in role["rules"]} == {("get", "list", "watch")}

    # An agent through the in-cluster Service: a token for the argo-mcp audience is authorised per call by the
    # kube-apiserver; a token for the apiserver's own audience is refused by the endpoint.
    through = mcp_through_service(
        stack,
        mcp_namespace,
        fullname,
        {
            "caller": stack.mint_token(stack.full_sa, audience="argo-mcp"),
            "wrong-audience": stack.mint_token(stack.full_sa),
        },
    )
    assert isinstance(through["caller"], dict) and "items" in through["caller"], through["caller"]
    assert through["wrong-audience"] == ("refused", 401), through

    # The chart's ServiceAccount, through the real Argo server in client mode: reads allowed, writes refused.
    token = stack.mint_token(fullname, namespace=mcp_namespace)
    assert _argo(stack, token, "GET", f"/api/v1/workflows/{stack.namespace}") == 200
    assert _argo(stack, token, "GET", f"/api/v1/workflows/{mcp_namespace}") == 200
    assert (
        _argo(stack, token, "POST", f"/api/v1/workflows/{stack.namespace}", _workflow(stack.namespace)) == 403
    )
    assert _argo(stack, token, "GET", "/api/v1/workflows/kube-system") == 403
    assert _argo(stack, token, "GET", "/api/v1/cluster-workflow-templates") == 200
    listed, refused = _argo_mcp_with_token(stack, token, tmp_path)
    assert not listed.is_error, text_of(listed)
    assert refused.is_error and "403 Forbidden" in text_of(refused)

    subject = f"system:serviceaccount:{mcp_namespace}:{fullname}"
    checks: list[tuple[str, str, str | None, str]] = [
        ("create", "tokenreviews.authentication.k8s.io", None, "yes"),
        ("create", "subjectaccessreviews.authorization.k8s.io", None, "yes"),
        ("list", "workflows.argoproj.io", stack.namespace, "yes"),
        ("delete", "workflows.argoproj.io", stack.namespace, "no"),
        ("get", "secrets", mcp_namespace, "no"),
    ]
    for verb, resource, where, expected in checks:
        args = ["auth", "can-i", verb, resource, "--as", subject] + (["-n", where] if where else [])
        assert stack.kubectl(*args, check=False).stdout.strip() == expected, (verb, resource, where)

    # Upgrade: new settings roll out, the self-signed certificate stays (looked up from the live Secret).
    secret_before = _get(stack, "secret", f"{fullname}-tls", "-n", mcp_namespace)["data"]
    task_key_before = _get(stack, "secret", f"{fullname}-task-key", "-n", mcp_namespace)["data"]
    cert = x509.load_pem_x509_certificate(base64.b64decode(secret_before["tls.crt"]))
    dns = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName
    )
    assert f"{fullname}.{mcp_namespace}.svc" in dns
    helm(
        stack,
        mcp_namespace,
        "upgrade",
        release,
        str(CHART),
        "--reuse-values",
        "--set",
        "mode=operate",
        "--wait",
    )
    secret_after = _get(stack, "secret", f"{fullname}-tls", "-n", mcp_namespace)["data"]
    assert secret_after == secret_before, "helm upgrade rotated the self-signed certificate"
    task_key_after = _get(stack, "secret", f"{fullname}-task-key", "-n", mcp_namespace)["data"]
    assert task_key_after == task_key_before, "helm upgrade rotated the task key"
    args = _get(stack, "deployment", fullname, "-n", mcp_namespace)["spec"]["template"]["spec"]["containers"][
        0
    ]["args"]
    assert "--disable-destructive" in args
    # the upgrade rolled the pod: a new one, from the same image, Ready on the real node
    rolled = [
        p
        for p in _pods_admitted(stack, mcp_namespace, selector)
        if not p["metadata"].get("deletionTimestamp")
    ]
    assert {p["metadata"]["name"] for p in rolled}.isdisjoint({p["metadata"]["name"] for p in pods}), rolled
    # operate mode: the same token may now submit.
    assert _argo(stack, token, "POST", f"/api/v1/workflows/{mcp_namespace}", _workflow(mcp_namespace)) == 200

    helm(stack, mcp_namespace, "uninstall", release, "--wait")
    assert _leftovers(stack, [stack.namespace, mcp_namespace], release) == []  # pods included: nothing runs


def _argo_helm_service(stack: E2EStack, name: str) -> None:
    """A Service shaped like argo-helm's (`<release>-server`, port 2746, plain HTTP) in the workflows' namespace,
    backed by the same endpoints as the stack's own Argo Service."""
    relay = stack.kube.get(
        f"/apis/discovery.k8s.io/v1/namespaces/{stack.namespace}/endpointslices/argo-server-relay"
    )
    stack.apply(
        [
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": name, "namespace": stack.namespace},
                "spec": {
                    "ports": [
                        {"name": "web", "port": N.ARGO_SERVICE_PORT, "targetPort": relay["ports"][0]["port"]}
                    ]
                },
            },
            {
                "apiVersion": "discovery.k8s.io/v1",
                "kind": "EndpointSlice",
                "metadata": {
                    "name": f"{name}-relay",
                    "namespace": stack.namespace,
                    "labels": {"kubernetes.io/service-name": name},
                },
                "addressType": "IPv4",
                "ports": relay["ports"],
                "endpoints": relay["endpoints"],
            },
        ]
    )


def test_chart_defaults_work_next_to_argohelm(stack: E2EStack) -> None:
    """Installed in the namespace where argo-helm's `argo-workflows` chart runs Argo and its workflows, with no
    Argo URL and no namespaces set: the chart finds `argo-workflows-server` over plain HTTP, acts in the release
    namespace, and an agent lists that namespace's workflows through the Service."""
    if stack.pod_argo_url.startswith("https:"):
        pytest.fail("argo-helm serves plain HTTP by default; run this stack without ARGO_MCP_E2E_ARGO_SECURE")
    _argo_helm_service(stack, "argo-workflows-server")
    release = stack.unique("amcp")
    fullname = f"{release}-argo-mcp"
    values = real_pod_values(stack, argo_url=False)
    try:
        helm(stack, stack.namespace, "install", release, str(CHART), *values, "--wait", "--timeout", "180s")
        args = _get(stack, "deployment", fullname, "-n", stack.namespace)["spec"]["template"]["spec"][
            "containers"
        ][0]["args"]
        assert f"http://argo-workflows-server.{stack.namespace}.svc:2746" in " ".join(args), args
        marker = stack.submit_workflow(
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Workflow",
                "metadata": {"generateName": "next-to-argo-helm-"},
                "spec": {
                    "entrypoint": "main",
                    "templates": [{"name": "main", "container": container("true")}],
                },
            }
        )
        through = mcp_through_service(
            stack, stack.namespace, fullname, {"caller": stack.mint_token(stack.full_sa, audience="argo-mcp")}
        )
        answer = through["caller"]
        assert isinstance(answer, dict) and answer["items"], answer
        assert all(item.get("namespace", stack.namespace) == stack.namespace for item in answer["items"]), (
            answer
        )
        assert stack.get_workflow(marker) is not None
    finally:
        helm(stack, stack.namespace, "uninstall", release, "--wait", check=False)
        stack.kubectl("-n", stack.namespace, "delete", "service", "argo-workflows-server", check=False)
        stack.kubectl(
            "-n", stack.namespace, "delete", "endpointslice", "argo-workflows-server-relay", check=False
        )
    assert _leftovers(stack, [stack.namespace], release) == []


def test_operator_toggle_installs_and_keeps_the_crd(stack: E2EStack, mcp_namespace: str) -> None:
    """The chart installs the CRD with the operator; uninstall keeps it (helm.sh/resource-policy: keep), so no
    ArgoMCPServer is deleted with the release; removing it is an explicit `kubectl delete crd`."""
    crd = "argomcpservers.argo-mcp.io"
    if stack.kubectl("get", "crd", crd, check=False).returncode == 0:
        pytest.fail(f"CRD {crd} already exists in the cluster (left by another test?)")
    release = stack.unique("amcp")
    values = ["--set", f"argoServer.url={stack.argo_url}", "--set", "operator.enabled=true"]
    helm(stack, mcp_namespace, "install", release, str(CHART), *values, "--wait", "--timeout", "120s")
    stack.kubectl("wait", "--for=condition=Established", f"crd/{crd}", "--timeout=60s")
    assert _pods_admitted(stack, mcp_namespace, "app.kubernetes.io/name=argo-mcp-operator")
    helm(stack, mcp_namespace, "uninstall", release, "--wait")
    try:
        kept = stack.kubectl("get", "crd", crd, "-o", "jsonpath={.metadata.annotations}", check=False)
        assert kept.returncode == 0, f"helm uninstall deleted CRD {crd}: {kept.stderr}"
        assert "helm.sh/resource-policy" in kept.stdout
        assert _leftovers(stack, [mcp_namespace], release) == []
    finally:
        stack.kubectl("delete", "crd", crd, "--wait=true", check=False)
    assert stack.kubectl("get", "crd", crd, check=False).returncode != 0


def _tls_secret(name: str, namespace: str) -> dict[str, Any]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "argo-mcp")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(f"argo-mcp.{namespace}.svc")]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    data = {"tls.crt": cert.public_bytes(serialization.Encoding.PEM), "tls.key": pem_key}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "kubernetes.io/tls",
        "metadata": {"name": name, "namespace": namespace},
        "data": {k: base64.b64encode(v).decode() for k, v in data.items()},
    }


def _task_key_secret(name: str, namespace: str) -> dict[str, Any]:
    """What the Kustomize README's `kubectl create secret generic` makes: 48 random bytes in base64."""
    key = base64.b64encode(os.urandom(48))
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace},
        "data": {"task.key": base64.b64encode(key).decode()},
    }


def test_kustomize_base_apply_and_delete(stack: E2EStack) -> None:
    namespace = "argo-mcp"  # the base's namespace
    if stack.kubectl("get", "namespace", namespace, check=False).returncode == 0:
        pytest.fail(f"namespace {namespace} already exists (left by another test?)")
    restricted_namespace(stack, namespace)
    try:
        stack.apply(_tls_secret("argo-mcp-tls", namespace))
        stack.apply(_task_key_secret("argo-mcp-task-key", namespace))  # the base's other prerequisite
        stack.kubectl("apply", "-k", str(KUSTOMIZE_BASE))
        assert _pods_admitted(stack, namespace, "app.kubernetes.io/instance=argo-mcp")
        token = stack.mint_token("argo-mcp", namespace=namespace)
        assert _argo(stack, token, "GET", f"/api/v1/workflows/{namespace}") == 200
        assert _argo(stack, token, "GET", f"/api/v1/workflows/{stack.namespace}") == 403
        stack.kubectl("delete", "-k", str(KUSTOMIZE_BASE), "--wait=true")
        assert _leftovers(stack, [namespace], "argo-mcp") == []
    finally:
        stack.kubectl("delete", "namespace", namespace, "--wait=false", check=False)


def test_rendered_objects_pass_server_side_dry_run(stack: E2EStack, mcp_namespace: str) -> None:
    """Every object of every CI scenario, checked by the real API server (strict field validation)."""
    for scenario in sorted((CHART / "ci").glob("*-values.yaml")):
        text = helm(stack, mcp_namespace, "template", "dry", str(CHART), "-f", str(scenario)).stdout
        # Not the CRD-backed kinds (no CRDs here), nor the `helm test` Pod (a dry run makes no ServiceAccount
        # for it; its pod spec is checked by the upstream PodSecurity evaluator in the unit tests).
        skip = ("Certificate", "ServiceMonitor", "Pod")
        docs = [d for d in yaml.safe_load_all(text) if d and d["kind"] not in skip]
        for doc in docs:  # target namespaces of the scenarios that this cluster does not have
            if doc["metadata"].get("namespace") not in (None, stack.namespace, mcp_namespace):
                doc["metadata"]["namespace"] = mcp_namespace
        res = stack.kubectl(
            "apply",
            "--dry-run=server",
            "--validate=strict",
            "-f",
            "-",
            input=yaml.safe_dump_all(docs),
            check=False,
        )
        assert res.returncode == 0, f"{scenario.name}: {res.stderr}"
