"""What a test gets from the `stack` fixture, whatever the provider (local processes or kind)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import boto3  # type: ignore[import-untyped]
import yaml

from . import events as EV
from . import node as N
from . import versions as V
from .images import workload_ref
from .kube import JSON, Kube, KubeError, status_of

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
    # the real node: its name, kubelet version, and the workload image (busybox) pods run
    node_name: str = ""
    kubelet_version: str = ""
    workload_image: str = field(default_factory=workload_ref)
    # what pods use: the Argo server's in-cluster URL (a Service) and the argo-mcp image built from the Dockerfile
    pod_argo_url: str = ""
    argo_mcp_image: str = ""
    # the kubectl the provider provides (kind: built into ~/.cache/argo-mcp/kind-<hash>/bin); "" = the stack's
    kubectl_bin: str = ""
    # Argo Events (events.py): the controller's image (also every EventSource/Sensor pod's), and the
    # ServiceAccount whose Role lets a Sensor's k8s trigger create Workflows
    argo_events_image: str = ""
    sensor_service_account: str = EV.SENSOR_SA

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
    def kubectl_path(self) -> str:
        """The provider's kubectl, else the one built with the control plane (version-matched), else PATH's."""
        if self.kubectl_bin:
            return self.kubectl_bin
        built = V.bin_dir() / "kubectl"
        exe = str(built) if built.is_file() else shutil.which("kubectl")
        if exe is None:
            raise RuntimeError("kubectl is neither built nor on PATH")
        return exe

    def kubectl(
        self, *args: str, input: str | None = None, check: bool = True, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        exe = self.kubectl_path()
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
            phase = status_of(wf).get("phase")
            if wf and phase in want:
                if not (settled and phase in DONE_PHASES):  # every provider archives (PostgreSQL)
                    return wf
                labels = wf["metadata"].get("labels") or {}
                if (
                    labels.get("workflows.argoproj.io/completed") == "true"
                    and labels.get("workflows.argoproj.io/workflow-archiving-status") == "Archived"
                ):
                    return wf
            time.sleep(0.5)
        phase = status_of(wf).get("phase")
        msg = status_of(wf).get("message")
        raise TimeoutError(
            f"workflow {name} not in {sorted(want)} after {timeout:.0f}s (phase {phase}: {msg})"
        )

    def wait_for_node_phase(
        self, name: str, node_display_name: str, phase: str, namespace: str | None = None, timeout: float = 60
    ) -> JSON:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            wf = self.get_workflow(name, namespace) or {}
            for node in (status_of(wf).get("nodes") or {}).values():
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
        keep_running: bool = False,
    ) -> JSON:
        """A real pod on the real node whose `container` prints `lines`, then exits 0 (log streams of it end),
        or with `keep_running` stays Running (deleted with the namespace or by the test).

        E.g. labels {"eventsource-name": "x"} or {"sensor-name": "y"} make Argo's event-source / sensor log
        APIs find it."""
        ns = namespace or self.namespace
        script = "".join(f"printf '%s\\n' {shlex.quote(line)}\n" for line in lines)
        script += "exec sleep 3600\n" if keep_running else ""
        want = "Running" if keep_running else "Succeeded"
        self.kube.apply(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": name, "namespace": ns, "labels": labels or {}},
                "spec": {
                    "nodeSelector": dict(N.NODE_SELECTOR),
                    "tolerations": list(N.TOLERATIONS),
                    "terminationGracePeriodSeconds": 1,
                    "restartPolicy": "Always" if keep_running else "Never",
                    "containers": [
                        {"name": container, "image": self.workload_image, "command": ["sh", "-c", script]}
                    ],
                },
            }
        )

        def reached() -> JSON | None:
            pod: JSON = self.kube.get(f"/api/v1/namespaces/{ns}/pods/{name}")
            return pod if status_of(pod).get("phase") == want else None

        result: JSON = self.kube.wait_for(f"pod {ns}/{name} {want}", reached, timeout)
        return result

    def events_pod_template(self, service_account: str | None = None) -> JSON:
        """`spec.template` of an EventSource or Sensor: its pod runs on the real node (as `service_account`)."""
        template = EV.pod_template()
        if service_account:
            template["serviceAccountName"] = service_account
        return template

    def pods(self, selector: str, namespace: str | None = None) -> list[JSON]:
        """The pods matching a label selector (e.g. "eventsource-name=x")."""
        ns = namespace or self.namespace
        answer = self.kube.get(f"/api/v1/namespaces/{ns}/pods", params={"labelSelector": selector})
        return list(answer.get("items") or [])

    def wait_pod_running(self, selector: str, namespace: str | None = None, timeout: float = 90) -> JSON:
        """The first pod matching `selector` that is Running with every container ready."""

        def running() -> JSON | None:
            for pod in self.pods(selector, namespace):
                status = status_of(pod)
                ready = [c.get("ready") for c in status.get("containerStatuses") or []]
                if status.get("phase") == "Running" and ready and all(ready):
                    return pod
            return None

        result: JSON = self.kube.wait_for(f"a Running pod {selector}", running, timeout)
        return result

    def pod_log(self, name: str, container: str | None = None, namespace: str | None = None) -> str:
        """A pod's log as the kubelet serves it (through the apiserver)."""
        ns = namespace or self.namespace
        params = {"container": container} if container else None
        raw = self.kube.get(f"/api/v1/namespaces/{ns}/pods/{name}/log", raw=True, params=params)
        return raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)

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


__all__ = ["DONE_PHASES", "E2EStack", "KubeError"]
