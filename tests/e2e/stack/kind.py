"""The `kind` provider (hosts with Docker and internet): a kind cluster with Argo from its release manifests.

It gives the tests the same E2EStack as the local provider. It CANNOT run on the project's own machines and CI
(no Docker engine there): selecting it there fails loudly. Workflow pods really run there (argoexec), so
the annotation-driven test executor is not used; tests that depend on it are marked `local_only`.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pytest_kind import KindCluster

from . import versions as V
from .fixture import E2EStack
from .local import FULL_SA, NAMESPACE, READONLY_SA, e2e_rbac


class KindUnavailable(RuntimeError):
    pass


def check_docker() -> None:
    if shutil.which("docker") is None:
        raise KindUnavailable("ARGO_MCP_E2E_PROVIDER=kind needs Docker, and `docker` is not on PATH")
    res = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=30, check=False)
    if res.returncode != 0:
        raise KindUnavailable(
            "ARGO_MCP_E2E_PROVIDER=kind needs a running Docker engine; `docker info` failed: "
            f"{res.stderr.strip()[:300]} -- on this project's machines and CI use the `local` provider"
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def kind_stack(workdir: Path) -> Iterator[E2EStack]:
    check_docker()
    v = V.load()
    cluster: Any = KindCluster("argo-mcp-e2e", image=v.kind_node_image)
    cluster.create()
    pf: subprocess.Popen[bytes] | None = None
    try:
        kubeconfig = str(cluster.kubeconfig_path)

        def kubectl(*args: str) -> None:
            cluster.kubectl(*args)

        kubectl("create", "namespace", NAMESPACE)
        kubectl("apply", "--server-side", "-n", NAMESPACE, "-f", v.argo_install_url)
        # Argo Server: client + server auth, plain HTTP (tests talk to it through a port-forward).
        kubectl(
            "-n",
            NAMESPACE,
            "patch",
            "deployment",
            "argo-server",
            "--type=json",
            "-p",
            '[{"op":"replace","path":"/spec/template/spec/containers/0/args","value":'
            '["server","--auth-mode=client","--auth-mode=server","--secure=false"]},'
            '{"op":"replace","path":"/spec/template/spec/containers/0/readinessProbe/httpGet/scheme",'
            '"value":"HTTP"}]',
        )
        kubectl("-n", NAMESPACE, "rollout", "status", "deployment/argo-server", "--timeout=300s")
        kubectl("-n", NAMESPACE, "rollout", "status", "deployment/workflow-controller", "--timeout=300s")
        stack = E2EStack(
            provider="kind",
            kubeconfig=kubeconfig,
            argo_url="",
            namespace=NAMESPACE,
            versions={"argo-workflows": v.argo_workflows, "kind-node": v.kind_node_image},
            run_dir=workdir,
            readonly_sa=READONLY_SA,
            full_sa=FULL_SA,
        )
        stack.kube.apply_all(e2e_rbac(NAMESPACE))
        port = _free_port()
        kubectl_path = shutil.which("kubectl") or "kubectl"
        pf = subprocess.Popen(
            [
                kubectl_path,
                "--kubeconfig",
                kubeconfig,
                "-n",
                NAMESPACE,
                "port-forward",
                "svc/argo-server",
                f"{port}:2746",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        stack.argo_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{stack.argo_url}/api/v1/version", timeout=3):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)
        yield stack
    finally:
        if pf is not None:
            pf.terminate()
        cluster.delete()
