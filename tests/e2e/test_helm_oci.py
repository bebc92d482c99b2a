"""The chart installed the way the release publishes it: `helm package`, `helm push` to a real OCI registry
(distribution's registry on loopback, standing in for ghcr.io), then `helm install oci://127.0.0.1:<port>/...`
into the e2e stack. The release's pod runs the locally built image on the real node (imported, never pulled:
the node reaches no registry) and becomes Ready."""

from __future__ import annotations

import json
from pathlib import Path

from scripts import release as R
from tests.e2e.helm_support import helm, real_pod_values
from tests.e2e.stack.fixture import E2EStack


def test_helm_install_from_the_loopback_oci_registry(
    stack: E2EStack, mcp_namespace: str, tmp_path: Path
) -> None:
    release = stack.unique("oci")
    version = R.project_version()
    package = R.package_chart(tmp_path / "chart")
    with R.LoopbackRegistry(tmp_path / "registry") as registry:
        reference = R.push_chart(package, registry, tmp_path)
        assert reference.startswith(f"oci://127.0.0.1:{registry.port}/") and reference.endswith("/argo-mcp")
        installed = helm(
            stack, mcp_namespace, "install", release, reference, "--version", version, "--plain-http",
            "--registry-config", str(tmp_path / "helm-registry.json"),
            *real_pod_values(stack), "--set", f"namespaces={{{stack.namespace}}}",
            "--set", f"defaultNamespace={stack.namespace}", "--wait", "--timeout", "180s",
        )  # fmt: skip
        assert "STATUS: deployed" in installed.stdout, installed.stdout
    try:
        (listed,) = json.loads(
            helm(stack, mcp_namespace, "list", "--filter", f"^{release}$", "-o", "json").stdout
        )
        assert listed["status"] == "deployed", listed
        assert listed["chart"] == f"argo-mcp-{version}" and listed["app_version"] == version, listed
        selector = f"app.kubernetes.io/instance={release}"
        stack.kubectl(
            "-n", mcp_namespace, "wait", "--for=condition=Ready", "pod", "-l", selector, "--timeout=120s"
        )
        pods = json.loads(
            stack.kubectl("-n", mcp_namespace, "get", "pods", "-l", selector, "-o", "json").stdout
        )
        assert pods["items"], "the release has no pod"
        for pod in pods["items"]:
            assert pod["spec"]["nodeName"] == stack.node_name
            (container,) = pod["spec"]["containers"]
            assert container["image"] == stack.argo_mcp_image and container["imagePullPolicy"] == "Never"
            statuses = pod["status"]["containerStatuses"]
            assert all(c["ready"] and "running" in c["state"] for c in statuses), statuses
    finally:
        helm(stack, mcp_namespace, "uninstall", release, "--wait", check=False)
