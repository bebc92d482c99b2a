"""The `kind` provider (hosts with Docker and internet): one kind node running the same stack as the local one.

What it sets up, so the same tests run on it as on the local provider (tests/e2e/README.md, "The kind provider"):
- kind and kubectl built from their Go modules (versions.toml [kind].kind, [versions].kubernetes) and cached in
  ~/.cache/argo-mcp/kind-<hash>/bin -- nothing assumed on PATH; the node image is that kind release's default
  (checked against the kind module's source);
- one node (`<cluster>-control-plane`) labelled like the local real node (node.NODE_SELECTOR), its NodePorts for
  the Argo Server and S3 published on 127.0.0.1 ports of the host (kind's extraPortMappings);
- the workload image (busybox) and the argo-mcp image (the repository's Dockerfile) built locally exactly as for
  the local provider (images.py, project_image.py) and loaded with `kind load image-archive` (never pulled);
- Argo Workflows from its pinned release `install.yaml`, Argo Events' CRDs from the pinned module, the server in
  client+server auth over HTTP, an S3 store (moto's server image) and the archive database (PostgreSQL) as pods
  with Services, the controller configured for both (artifacts, archive) and to run workflow pods on the node;
- the same test identities (local.e2e_rbac).
Pods reach Argo at its in-cluster Service (`pod_argo_url`); the tests reach it and S3 through the NodePorts.
On a host without a usable Docker engine, selecting it fails loudly (KindUnavailable).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
import yaml
from pytest_kind import KindCluster

from . import build as B
from . import images as I
from . import node as N
from . import procs
from . import versions as V
from .fixture import E2EStack
from .kube import JSON, Kube, load_yaml_docs
from .local import (
    BUCKET,
    FULL_SA,
    NAMESPACE,
    PG_DB,
    PG_PASSWORD,
    PG_USER,
    READONLY_SA,
    S3_ACCESS_KEY,
    S3_REGION,
    S3_SECRET_KEY,
    controller_defaults,
    e2e_rbac,
)

CLUSTER_PREFIX = "argo-mcp-e2e"
# NodePorts inside the node container (published on 127.0.0.1:<free port> of the host)
ARGO_NODE_PORT = 32746
S3_NODE_PORT = 32500
S3_PORT = 5000
PG_PORT = 5432
POD_ARGO_URL = f"http://argo-server.{NAMESPACE}.svc:{N.ARGO_SERVICE_PORT}"
S3_IN_CLUSTER = f"s3.{NAMESPACE}.svc:{S3_PORT}"
# Every Argo API service this project uses (the server's gateway answers /version before all of them are up).
ARGO_API_PATHS = (
    f"/api/v1/workflows/{NAMESPACE}",
    f"/api/v1/workflow-templates/{NAMESPACE}",
    "/api/v1/cluster-workflow-templates",
    f"/api/v1/cron-workflows/{NAMESPACE}",
    f"/api/v1/archived-workflows?namespace={NAMESPACE}",
    f"/api/v1/event-sources/{NAMESPACE}",
    f"/api/v1/sensors/{NAMESPACE}",
    "/api/v1/info",
    "/api/v1/userinfo",
)
OUTPUT_LIMIT = 4000  # characters of a failed command's output kept in an error


class KindUnavailable(RuntimeError):
    pass


def say(msg: str) -> None:
    print(f"[e2e kind {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def check_docker() -> None:
    """A Docker engine kind can use: `docker` on PATH and `docker info` answering."""
    if shutil.which("docker") is None:
        raise KindUnavailable("ARGO_MCP_E2E_PROVIDER=kind needs Docker, and `docker` is not on PATH")
    try:
        res = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=30, check=False)
    except subprocess.TimeoutExpired:
        raise KindUnavailable("ARGO_MCP_E2E_PROVIDER=kind: `docker info` did not answer in 30 s") from None
    if res.returncode != 0:
        raise KindUnavailable(
            "ARGO_MCP_E2E_PROVIDER=kind needs a running Docker engine; `docker info` failed: "
            f"{res.stderr.strip()[:300]} -- on this project's machines and CI use the `local` provider"
        )


def _run(args: list[str], what: str, timeout: float = 600, input: str | None = None) -> str:
    try:
        res = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False, input=input)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"{what} timed out after {timeout:.0f}s: {' '.join(args)}") from None
    if res.returncode != 0:
        out = (res.stderr.strip() or res.stdout.strip())[-OUTPUT_LIMIT:]
        raise RuntimeError(f"{what} failed ({res.returncode}): {' '.join(args)}\n{out}")
    return res.stdout


# -- tools -----------------------------------------------------------------------------------------------------
def kind_default_node_image(version: str) -> str:
    """The default node image compiled into kind `version` (its module's pkg/apis/config/defaults/image.go)."""
    src = V.module_dir("sigs.k8s.io/kind", version) / "pkg" / "apis" / "config" / "defaults" / "image.go"
    m = re.search(r'const Image = "([^"]+)"', src.read_text())
    if not m:
        raise KindUnavailable(f"no default node image found in {src}")
    return m.group(1)


def ensure_tools() -> tuple[Path, Path]:
    """(kind, kubectl): built from their Go modules once per version into ~/.cache/argo-mcp/kind-<hash>/bin."""
    v = V.load()
    bindir = V.kind_bin_dir()
    bindir.mkdir(parents=True, exist_ok=True)
    log = bindir.parent / "build.log"
    kind, kubectl = bindir / "kind", bindir / "kubectl"
    # B.download / B._run work in the control plane's build dir (only as a cwd here)
    V.build_dir().mkdir(parents=True, exist_ok=True)
    B.download("sigs.k8s.io/kind", v.kind, log)
    default = kind_default_node_image(v.kind)
    if default != v.kind_node_image:
        raise KindUnavailable(
            f"versions.toml [kind] node_image {v.kind_node_image} is not kind {v.kind}'s own node image"
            f" {default}: pin them together"
        )
    if not kind.is_file():
        say(f"building kind {v.kind} into {bindir}")
        B._run(
            [
                "env",
                f"GOBIN={bindir}",
                "go",
                "install",
                "-trimpath",
                f"-ldflags={B.LDFLAGS}",
                f"sigs.k8s.io/kind@{v.kind}",
            ],
            V.build_dir(),
            log,
            f"kind {v.kind}: go install",
        )
    if not kubectl.is_file():
        stack_kubectl = V.bin_dir() / "kubectl"  # the control plane's kubectl is the same version: reuse it
        if stack_kubectl.is_file():
            shutil.copy2(stack_kubectl, kubectl)
        else:
            say(f"building kubectl {v.kubernetes} into {bindir}")
            B.build_kubernetes_commands(
                ("kubectl",), bindir.parent / "src" / "kubectl", bindir, log, "kubectl"
            )
    return kind, kubectl


# -- manifests -------------------------------------------------------------------------------------------------
CAP_SYS_RESOURCE = 24
# Kubelets since 1.35 refuse to start on a cgroup v1 host unless told (kind's kubeadm config does not): harmless on
# cgroup v2. The node image's kubelet is newer than that.
KUBELET_CGROUP_V1_PATCH = "kind: KubeletConfiguration\nfailCgroupV1: false\n"
# Without CAP_SYS_RESOURCE (some sandboxed hosts), runc cannot lower oom_score_adj: containerd must not ask.
CONTAINERD_OOM_PATCH = '[plugins."io.containerd.grpc.v1.cri"]\n  restrict_oom_score_adj = true\n'


def has_capability(bit: int, status: Path = Path("/proc/self/status")) -> bool:
    for line in status.read_text().splitlines():
        if line.startswith("CapEff:"):
            return bool(int(line.split()[1], 16) >> bit & 1)
    return False


def cluster_config(argo_port: int, s3_port: int, restrict_oom: bool = False) -> JSON:
    return {
        "kind": "Cluster",
        "apiVersion": "kind.x-k8s.io/v1alpha4",
        "kubeadmConfigPatches": [KUBELET_CGROUP_V1_PATCH],
        "containerdConfigPatches": [CONTAINERD_OOM_PATCH] if restrict_oom else [],
        "nodes": [
            {
                "role": "control-plane",
                # like the local real node (nothing else runs there: kind's only node has no taint to tolerate)
                "labels": dict(N.NODE_SELECTOR),
                "extraPortMappings": [
                    {"containerPort": ARGO_NODE_PORT, "hostPort": argo_port, "listenAddress": "127.0.0.1"},
                    {"containerPort": S3_NODE_PORT, "hostPort": s3_port, "listenAddress": "127.0.0.1"},
                ],
            }
        ],
    }


def _deployment(name: str, image: str, port: int, env: dict[str, str], args: list[str] | None = None) -> JSON:
    container: JSON = {
        "name": name,
        "image": image,
        "env": [{"name": k, "value": val} for k, val in env.items()],
        "ports": [{"containerPort": port}],
        "readinessProbe": {"tcpSocket": {"port": port}, "periodSeconds": 2},
    }
    if args:
        container["args"] = args
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": NAMESPACE, "labels": {"app": name}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "nodeSelector": dict(N.NODE_SELECTOR),
                    "tolerations": list(N.TOLERATIONS),
                    "containers": [container],
                },
            },
        },
    }


def _service(name: str, port: int, node_port: int | None = None) -> JSON:
    p: JSON = {"name": name, "port": port, "targetPort": port}
    if node_port:
        p["nodePort"] = node_port
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {"type": "NodePort" if node_port else "ClusterIP", "selector": {"app": name}, "ports": [p]},
    }


def support_services() -> list[JSON]:
    """S3 (moto's server) and PostgreSQL for Argo's archive, as Deployments with Services."""
    v = V.load()
    pg_env = {"POSTGRES_USER": PG_USER, "POSTGRES_PASSWORD": PG_PASSWORD, "POSTGRES_DB": PG_DB}
    return [
        _deployment("s3", v.kind_s3_image, S3_PORT, {"MOTO_PORT": str(S3_PORT)}),
        _service("s3", S3_PORT, S3_NODE_PORT),
        _deployment("postgres", v.kind_postgres_image, PG_PORT, pg_env),
        _service("postgres", PG_PORT),
    ]


def controller_config() -> JSON:
    """workflow-controller-configmap: S3 artifacts, the PostgreSQL archive, workflow pods on the node."""
    data = controller_defaults(S3_IN_CLUSTER, f"postgres.{NAMESPACE}.svc", PG_PORT)
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "workflow-controller-configmap", "namespace": NAMESPACE},
        "data": data,
    }


def secrets() -> list[JSON]:
    def secret(name: str, data: dict[str, str]) -> JSON:
        meta = {"name": name, "namespace": NAMESPACE}
        return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": meta, "stringData": data}

    return [
        secret("argo-artifacts-s3", {"accesskey": S3_ACCESS_KEY, "secretkey": S3_SECRET_KEY}),
        secret("argo-postgres-config", {"username": PG_USER, "password": PG_PASSWORD}),
    ]


SERVER_PATCH = (
    '[{"op":"replace","path":"/spec/template/spec/containers/0/args","value":'
    '["server","--auth-mode=client","--auth-mode=server","--secure=false","--api-rate-limit=100000"]},'
    '{"op":"replace","path":"/spec/template/spec/containers/0/readinessProbe/httpGet/scheme","value":"HTTP"}]'
)
SERVER_SERVICE_PATCH = (
    '[{"op":"replace","path":"/spec/type","value":"NodePort"},'
    f'{{"op":"add","path":"/spec/ports/0/nodePort","value":{ARGO_NODE_PORT}}}]'
)
# DEFAULT_REQUEUE_TIME: how soon the controller re-checks a workflow (10s upstream), as in the local provider
CONTROLLER_ENV_PATCH = (
    '[{"op":"add","path":"/spec/template/spec/containers/0/env/-",'
    '"value":{"name":"DEFAULT_REQUEUE_TIME","value":"1s"}}]'
)


# -- the provider ----------------------------------------------------------------------------------------------
class KindStack:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.name = f"{CLUSTER_PREFIX}-{os.getpid()}"
        self.cluster: Any = None
        self.kubectl_bin: Path | None = None

    def kubectl(self, *args: str, input: str | None = None, timeout: float = 600) -> str:
        assert self.kubectl_bin is not None and self.cluster is not None
        kubeconfig = str(self.cluster.kubeconfig_path)
        return _run(
            [str(self.kubectl_bin), "--kubeconfig", kubeconfig, *args], f"kubectl {args[0]}", timeout, input
        )

    def up(self) -> E2EStack:
        """Create and fill the cluster; on any failure its logs are exported and it is deleted, then re-raised."""
        try:
            return self._up()
        except BaseException:
            say(f"start FAILED; kind's logs go to {self.workdir / 'logs'}")
            self.down(failed=True)
            raise

    def _up(self) -> E2EStack:
        check_docker()
        v = V.load()
        kind, self.kubectl_bin = ensure_tools()
        say("building/finding the workload and argo-mcp images")
        images = I.ensure_images(providers={"workload": I.workload_image, "argo-mcp": I.argo_mcp_image})
        self.workdir.mkdir(parents=True, exist_ok=True)
        ports: set[int] = set()
        argo_port, s3_port = procs.free_port(ports), procs.free_port(ports)
        config = self.workdir / "kind-config.yaml"
        restrict_oom = not has_capability(CAP_SYS_RESOURCE)
        config.write_text(yaml.safe_dump(cluster_config(argo_port, s3_port, restrict_oom)))
        self.cluster = KindCluster(
            self.name,
            kubeconfig=self.workdir / "kubeconfig.yaml",
            image=v.kind_node_image,
            kind_path=kind,
            kubectl_path=self.kubectl_bin,
        )
        say(f"creating kind cluster {self.name} (node image {v.kind_node_image})")
        self.cluster.create(config_file=config)
        kubeconfig = str(self.cluster.kubeconfig_path)
        for role, img in images.items():
            say(f"loading the {role} image {img.ref}")
            _run(
                [str(kind), "load", "image-archive", str(img.archive), "--name", self.name],
                f"kind load {role}",
            )
        kube = Kube(kubeconfig)
        self.kubectl("create", "namespace", NAMESPACE)
        say(f"installing Argo Workflows {v.argo_workflows} from {v.argo_install_url}")
        self.kubectl("apply", "--server-side", "--force-conflicts", "-n", NAMESPACE, "-f", v.argo_install_url)
        log = self.workdir / "build.log"
        events = B.download("github.com/argoproj/argo-events", v.argo_events, log)
        for crd in sorted((events / "manifests" / "base" / "crds").glob("argoproj.io_*.yaml")):
            for doc in load_yaml_docs(crd):
                kube.apply(doc)
        kube.apply_all(secrets())
        kube.apply_all(support_services())
        kube.apply(controller_config())
        kube.apply_all(e2e_rbac(NAMESPACE))
        for dep in ("s3", "postgres"):
            self.kubectl("-n", NAMESPACE, "rollout", "status", f"deployment/{dep}", "--timeout=300s")
        self.kubectl("-n", NAMESPACE, "patch", "deployment", "argo-server", "--type=json", "-p", SERVER_PATCH)
        self.kubectl(
            "-n", NAMESPACE, "patch", "service", "argo-server", "--type=json", "-p", SERVER_SERVICE_PATCH
        )
        self.kubectl(
            "-n",
            NAMESPACE,
            "patch",
            "deployment",
            "workflow-controller",
            "--type=json",
            "-p",
            CONTROLLER_ENV_PATCH,
        )
        for dep in ("workflow-controller", "argo-server"):
            self.kubectl("-n", NAMESPACE, "rollout", "status", f"deployment/{dep}", "--timeout=300s")
        s3 = {
            "endpoint": f"127.0.0.1:{s3_port}",
            "bucket": BUCKET,
            "access_key": S3_ACCESS_KEY,
            "secret_key": S3_SECRET_KEY,
            "region": S3_REGION,
        }
        client = boto3.client(
            "s3",
            endpoint_url=f"http://{s3['endpoint']}",
            aws_access_key_id=S3_ACCESS_KEY,
            aws_secret_access_key=S3_SECRET_KEY,
            region_name=S3_REGION,
        )
        kube.wait_for("S3 bucket created", lambda: _create_bucket(client), 60, interval=1)
        argo_url = f"http://127.0.0.1:{argo_port}"
        kube.wait_for(
            "argo server: every API service",
            lambda: all(procs.http_status(argo_url + p) == 200 for p in ARGO_API_PATHS),
            180,
            interval=1,
        )
        node_name = f"{self.name}-control-plane"
        node = kube.get(f"/api/v1/nodes/{node_name}")
        say(f"kind stack up: {argo_url}")
        return E2EStack(
            provider="kind",
            kubeconfig=kubeconfig,
            argo_url=argo_url,
            namespace=NAMESPACE,
            versions={**v.as_dict(), "kind": v.kind, "kind-node": v.kind_node_image},
            run_dir=self.workdir,
            s3=s3,
            readonly_sa=READONLY_SA,
            full_sa=FULL_SA,
            node_name=node_name,
            kubelet_version=str(node["status"]["nodeInfo"]["kubeletVersion"]),
            workload_image=images["workload"].ref,
            pod_argo_url=POD_ARGO_URL,
            argo_mcp_image=images["argo-mcp"].ref,
            kubectl_bin=str(self.kubectl_bin),
        )

    def down(self, failed: bool = False) -> None:
        if self.cluster is None:
            return
        kind = str(self.cluster.kind_path)
        if failed:
            logs = self.workdir / "logs"
            with contextlib.suppress(RuntimeError):
                _run([kind, "export", "logs", str(logs), "--name", self.name], "kind export logs", 300)
                say(f"cluster logs exported to {logs}")
        try:
            self.cluster.delete()
        finally:
            self.cluster = None
            # pytest-kind keeps a directory per cluster under ./.pytest-kind: nothing of this run stays
            own = Path(".pytest-kind") / self.name
            shutil.rmtree(own, ignore_errors=True)
            with contextlib.suppress(OSError):
                own.parent.rmdir()


def _create_bucket(client: Any) -> bool:
    try:
        client.create_bucket(Bucket=BUCKET)
    except client.exceptions.BucketAlreadyOwnedByYou:
        return True
    except Exception:  # the S3 NodePort may not answer yet: retried until the deadline
        return False
    return True


def kind_run_dir() -> Path:
    """Where one kind run keeps its config, kubeconfig and (on a failed start) kind's exported logs."""
    return V.cache_root() / "e2e" / "kind-run" / f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"


@contextlib.contextmanager
def kind_stack(workdir: Path | None = None) -> Iterator[E2EStack]:
    """A kind stack for the duration of the block; the cluster is deleted however the block ends."""
    ks = KindStack(workdir or kind_run_dir())
    try:
        yield ks.up()
    finally:
        ks.down()
