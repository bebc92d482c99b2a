"""What a test gets from the `stack` fixture, whatever the provider (local processes or kind)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import boto3  # type: ignore[import-untyped]
import yaml

from . import versions as V
from .kube import JSON, Kube, KubeError

WF_API = "/apis/argoproj.io/v1alpha1"
DONE_PHASES = frozenset({"Succeeded", "Failed", "Error"})


@dataclass
class E2EStack:
    provider: str
    kubeconfig: str
    argo_url: str
    namespace: str
    versions: dict[str, str]
    run_dir: Path | None = None
    s3: dict[str, str] = field(default_factory=dict)
    readonly_sa: str = "e2e-readonly"
    full_sa: str = "e2e-full"

    def __post_init__(self) -> None:
        self.kube = Kube(self.kubeconfig)

    # -- identities ------------------------------------------------------------------------------------------
    def mint_token(
        self,
        service_account: str,
        namespace: str | None = None,
        audience: str | None = None,
        seconds: int = 600,
    ) -> str:
        """A real ServiceAccount token from the TokenRequest API (RBAC decides what it may do)."""
        return self.kube.mint_token(service_account, namespace or self.namespace, audience, seconds)

    # -- kubectl ---------------------------------------------------------------------------------------------
    def kubectl(
        self, *args: str, input: str | None = None, check: bool = True, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        built = V.bin_dir() / "kubectl"
        exe = str(built) if built.is_file() else shutil.which("kubectl")
        if exe is None:
            raise RuntimeError("kubectl is neither built nor on PATH")
        res = subprocess.run(
            [exe, "--kubeconfig", self.kubeconfig, *args],
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and res.returncode != 0:
            raise RuntimeError(f"kubectl {' '.join(args)} failed ({res.returncode}): {res.stderr}")
        return res

    # -- objects ---------------------------------------------------------------------------------------------
    def apply(self, manifest: JSON | str | Iterable[JSON]) -> list[JSON]:
        """Server-side apply one object, a YAML string (several documents) or a list; namespace defaulted."""
        if isinstance(manifest, str):
            docs = [d for d in yaml.safe_load_all(manifest) if d]
        elif isinstance(manifest, dict):
            docs = [manifest]
        else:
            docs = list(manifest)
        out = []
        for d in docs:
            if d.get("kind") not in {
                "ClusterWorkflowTemplate",
                "Namespace",
                "ClusterRole",
                "ClusterRoleBinding",
            }:
                d.setdefault("metadata", {}).setdefault("namespace", self.namespace)
            out.append(self.kube.apply(d))
        return out

    def delete(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> None:
        path = self.kube.collection_path(api_version, kind, namespace or self.namespace)
        self.kube.delete(f"{path}/{name}")

    def create_workflow_template(self, manifest: JSON | str) -> JSON:
        return self.apply(manifest)[0]

    def create_cluster_workflow_template(self, manifest: JSON | str) -> JSON:
        return self.apply(manifest)[0]

    def create_cron_workflow(self, manifest: JSON | str) -> JSON:
        return self.apply(manifest)[0]

    def submit_workflow(self, manifest: JSON | str, namespace: str | None = None) -> str:
        """Create a Workflow through the Kubernetes API (generateName honoured); return its name."""
        obj = yaml.safe_load(manifest) if isinstance(manifest, str) else dict(manifest)
        ns = namespace or obj.get("metadata", {}).get("namespace") or self.namespace
        created = self.kube.create(f"{WF_API}/namespaces/{ns}/workflows", obj)
        return str(created["metadata"]["name"])

    def get_workflow(self, name: str, namespace: str | None = None) -> JSON | None:
        ns = namespace or self.namespace
        wf: JSON | None = self.kube.get_or_none(f"{WF_API}/namespaces/{ns}/workflows/{name}")
        return wf

    def wait_for_workflow(
        self,
        name: str,
        phases: Iterable[str] = DONE_PHASES,
        namespace: str | None = None,
        timeout: float = 120,
        settled: bool = True,
    ) -> JSON:
        """Wait until the workflow's status.phase is one of `phases`; return the workflow.

        With `settled` (default), a finished workflow is also waited for until the controller's post-run
        updates are done (labels `completed` and `workflow-archiving-status: Archived`): acting on it earlier
        (retry, resubmit, set) can meet a 409 Conflict while the controller still writes it."""
        want = set(phases)
        deadline = time.monotonic() + timeout
        wf: JSON | None = None
        while time.monotonic() < deadline:
            wf = self.get_workflow(name, namespace)
            phase = (wf or {}).get("status", {}).get("phase")
            if wf and phase in want:
                if not (settled and phase in DONE_PHASES and self.provider == "local"):
                    return wf
                labels = wf["metadata"].get("labels") or {}
                if (
                    labels.get("workflows.argoproj.io/completed") == "true"
                    and labels.get("workflows.argoproj.io/workflow-archiving-status") == "Archived"
                ):
                    return wf
            time.sleep(0.5)
        phase = (wf or {}).get("status", {}).get("phase")
        msg = (wf or {}).get("status", {}).get("message")
        raise TimeoutError(
            f"workflow {name} not in {sorted(want)} after {timeout:.0f}s (phase {phase}: {msg})"
        )

    def wait_for_node_phase(
        self, name: str, node_display_name: str, phase: str, namespace: str | None = None, timeout: float = 60
    ) -> JSON:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            wf = self.get_workflow(name, namespace) or {}
            for node in (wf.get("status", {}).get("nodes") or {}).values():
                if node.get("displayName") == node_display_name and node.get("phase") == phase:
                    return dict(node)
            time.sleep(0.5)
        raise TimeoutError(f"node {node_display_name} of {name} not {phase} after {timeout:.0f}s")

    # -- S3 (local provider) --------------------------------------------------------------------------------
    def s3_client(self) -> Any:
        """A boto3 S3 client for the stack's bucket (`self.s3["bucket"]`): put inputs, read outputs."""
        if not self.s3:
            raise RuntimeError(f"the {self.provider} provider exposes no S3 endpoint")
        return boto3.client(
            "s3",
            endpoint_url=f"http://{self.s3['endpoint']}",
            aws_access_key_id=self.s3["access_key"],
            aws_secret_access_key=self.s3["secret_key"],
            region_name=self.s3["region"],
        )

    def s3_put(self, key: str, body: bytes) -> None:
        self.s3_client().put_object(Bucket=self.s3["bucket"], Key=key, Body=body)

    def s3_get(self, key: str) -> bytes:
        return bytes(self.s3_client().get_object(Bucket=self.s3["bucket"], Key=key)["Body"].read())

    # -- pods with logs (e.g. what Argo Events' controllers would run) --------------------------------------
    def create_pod_with_logs(
        self,
        name: str,
        lines: list[str],
        *,
        labels: dict[str, str] | None = None,
        container: str = "main",
        namespace: str | None = None,
        timeout: float = 60,
    ) -> JSON:
        """A pod on the kwok node, Running, whose `container` logs `lines` (served by a kwok Logs object).

        E.g. labels {"eventsource-name": "x"} or {"sensor-name": "y"} make Argo's event-source / sensor log
        APIs find it (the stack runs no Argo Events controllers)."""
        if not self.run_dir:
            raise RuntimeError("create_pod_with_logs needs the local provider")
        ns = namespace or self.namespace
        log_file = self.run_dir / "pod-logs" / f"{ns}_{name}_{container}.log"
        log_file.parent.mkdir(parents=True, exist_ok=True)
        now = datetime.now(UTC)
        ts = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond:06d}000Z"
        log_file.write_text("".join(f"{ts} stdout F {line}\n" for line in lines))
        self.kube.apply(
            {
                "apiVersion": "kwok.x-k8s.io/v1alpha1",
                "kind": "Logs",
                "metadata": {"name": name, "namespace": ns},
                "spec": {"logs": [{"containers": [container], "logsFile": str(log_file), "follow": False}]},
            }
        )
        self.kube.apply(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": name, "namespace": ns, "labels": labels or {}},
                "spec": {"containers": [{"name": container, "image": "busybox"}]},
            }
        )

        def running() -> JSON | None:
            pod: JSON = self.kube.get(f"/api/v1/namespaces/{ns}/pods/{name}")
            return pod if pod.get("status", {}).get("phase") == "Running" else None

        result: JSON = self.kube.wait_for(f"pod {ns}/{name} Running", running, timeout)
        return result

    def http_session(self, **kwargs: Any) -> aiohttp.ClientSession:
        """An aiohttp session for the Argo Server (certificate checks off when it serves self-signed TLS)."""
        if self.argo_url.startswith("https"):
            kwargs.setdefault("connector", aiohttp.TCPConnector(ssl=False))
        return aiohttp.ClientSession(**kwargs)

    def unique(self, prefix: str = "e2e") -> str:
        return f"{prefix}-{uuid.uuid4().hex[:6]}"

    def env(self) -> dict[str, str]:
        """Variables that point argo-mcp (or kubectl) at this stack."""
        return {
            **os.environ,
            "KUBECONFIG": self.kubeconfig,
            "ARGO_SERVER_URL": self.argo_url,
            "ARGO_DEFAULT_NAMESPACE": self.namespace,
        }

    def log_files(self) -> list[Path]:
        if not self.run_dir:
            return []
        return sorted((self.run_dir / "logs").glob("*.log"))


def pod_annotations(
    *,
    fail: bool | str = False,
    duration: float | None = None,
    parameters: dict[str, Any] | None = None,
    artifacts: dict[str, Any] | None = None,
    log_lines: int | None = None,
    log: str | None = None,
    exit_code: int | None = None,
) -> dict[str, str]:
    """Template `metadata.annotations` that tell the test executor how the pod behaves."""
    a: dict[str, str] = {}
    if fail:
        a["argo-mcp.test/fail"] = "once" if fail == "once" else "true"
    if exit_code is not None:
        a["argo-mcp.test/exit-code"] = str(exit_code)
    if duration:
        a["argo-mcp.test/duration"] = str(duration)
    if parameters:
        a["argo-mcp.test/parameters"] = json.dumps(parameters)
    if artifacts:
        a["argo-mcp.test/artifacts"] = json.dumps(artifacts)
    if log_lines:
        a["argo-mcp.test/log-lines"] = str(log_lines)
    if log is not None:
        a["argo-mcp.test/log"] = log
    return a


__all__ = ["DONE_PHASES", "E2EStack", "KubeError", "pod_annotations"]
