"""The kind provider's configuration (tests/e2e/stack/kind.py), checked without Docker or a cluster (or Go: that
the pinned node image is the pinned kind's own reads kind's module, so tests/deploy/test_upstream_pins.py checks it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.stack import build as B
from tests.e2e.stack import images as I
from tests.e2e.stack import kind as K
from tests.e2e.stack import node as N
from tests.e2e.stack import procs
from tests.e2e.stack import versions as V
from tests.e2e.stack.fixture import E2EStack
from tests.e2e.stack.local import BUCKET, NAMESPACE


def test_kind_tools_are_cached_apart_from_the_control_plane(monkeypatch: pytest.MonkeyPatch) -> None:
    # The cache keys include the Go version (`go env GOVERSION`); any fixed one shows the layout without Go.
    monkeypatch.setattr(V, "go_version", lambda: "go1.26.0")
    assert V.kind_bin_dir().parent.name.startswith("kind-")
    assert V.kind_bin_dir().parent != V.build_dir()
    assert V.load().kind and V.load().kind_s3_image and V.load().kind_postgres_image


def test_cluster_config_publishes_the_node_ports_on_loopback_and_labels_the_node() -> None:
    cfg = K.cluster_config(40001, 40002, restrict_oom=True)
    (node,) = cfg["nodes"]
    assert node["labels"] == N.NODE_SELECTOR
    maps = {m["containerPort"]: m for m in node["extraPortMappings"]}
    assert maps[K.ARGO_NODE_PORT]["hostPort"] == 40001 and maps[K.S3_NODE_PORT]["hostPort"] == 40002
    assert {m["listenAddress"] for m in maps.values()} == {"127.0.0.1"}
    assert yaml.safe_load(cfg["kubeadmConfigPatches"][0]) == {
        "kind": "KubeletConfiguration",
        "failCgroupV1": False,
    }
    assert "restrict_oom_score_adj = true" in cfg["containerdConfigPatches"][0]
    assert K.cluster_config(1, 2)["containerdConfigPatches"] == []


def test_capability_bits_are_read_from_proc_status(tmp_path: Path) -> None:
    status = tmp_path / "status"
    status.write_text("Name:\tx\nCapEff:\t000001fffeffffff\n")
    assert not K.has_capability(K.CAP_SYS_RESOURCE, status)
    assert K.has_capability(0, status) and K.has_capability(23, status)
    status.write_text("Name:\tx\n")
    assert not K.has_capability(0, status)


def test_controller_config_points_at_the_in_cluster_s3_and_archive() -> None:
    data = K.controller_config()["data"]
    repo = yaml.safe_load(data["artifactRepository"])["s3"]
    assert repo["endpoint"] == f"s3.{NAMESPACE}.svc:{K.S3_PORT}" and repo["insecure"] is True
    pg = yaml.safe_load(data["persistence"])
    assert pg["archive"] is True and pg["postgresql"]["host"] == f"postgres.{NAMESPACE}.svc"
    defaults = yaml.safe_load(data["workflowDefaults"])["spec"]
    assert defaults["nodeSelector"] == N.NODE_SELECTOR


def test_support_services_use_the_pinned_images() -> None:
    objs = {(o["kind"], o["metadata"]["name"]): o for o in K.support_services()}
    v = V.load()
    s3 = objs[("Deployment", "s3")]["spec"]["template"]["spec"]["containers"][0]
    pg = objs[("Deployment", "postgres")]["spec"]["template"]["spec"]["containers"][0]
    assert s3["image"] == v.kind_s3_image and pg["image"] == v.kind_postgres_image
    assert objs[("Service", "s3")]["spec"]["ports"][0]["nodePort"] == K.S3_NODE_PORT
    assert objs[("Service", "postgres")]["spec"]["type"] == "ClusterIP"


def test_the_stack_uses_the_providers_kubectl(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1"}}],
                "users": [{"name": "u", "user": {"token": "t"}}],
                "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "x",
            }
        )
    )
    st = E2EStack(
        provider="kind",
        kubeconfig=str(kubeconfig),
        argo_url="",
        namespace="argo",
        versions={},
        workload_image="w",
        kubectl_bin="/opt/kind/kubectl",
    )
    assert st.kubectl_path() == "/opt/kind/kubectl"


# -- what the e2e-kind job runs: KindStack.up() / down() and ensure_tools(), with every outside effect recorded ---
_KUBECONFIG = {
    "apiVersion": "v1",
    "kind": "Config",
    "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1"}}],
    "users": [{"name": "u", "user": {"token": "t"}}],
    "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
    "current-context": "x",
}


class _FakeCluster:
    """pytest_kind.KindCluster's surface that KindStack uses; records what it was asked."""

    made: list[_FakeCluster] = []

    def __init__(self, name: str, kubeconfig: Path, image: str, kind_path: Path, kubectl_path: Path) -> None:
        self.name, self.kubeconfig_path, self.image = name, kubeconfig, image
        self.kind_path, self.kubectl_path = kind_path, kubectl_path
        self.config: dict[str, object] | None = None
        self.deleted = False
        _FakeCluster.made.append(self)

    def create(self, config_file: Path) -> None:
        self.config = yaml.safe_load(config_file.read_text())
        self.kubeconfig_path.write_text(yaml.safe_dump(_KUBECONFIG))

    def delete(self) -> None:
        self.deleted = True


class _FakeKube:
    def __init__(self, kubeconfig: str) -> None:
        self.applied: list[dict[str, object]] = []
        self.waited: list[str] = []

    def apply(self, obj: dict[str, object]) -> None:
        self.applied.append(obj)

    def apply_all(self, objs: list[dict[str, object]]) -> None:
        self.applied += objs

    def wait_for(self, what: str, check: object, timeout: float, interval: float = 0.5) -> object:
        assert callable(check)
        self.waited.append(what)
        result = check()
        assert result, f"{what}: the check did not pass once"
        return result

    def get(self, path: str) -> dict[str, object]:
        assert path.startswith("/api/v1/nodes/")
        return {"status": {"nodeInfo": {"kubeletVersion": "v1.36.3"}}}


class _FakeS3:
    class exceptions:
        class BucketAlreadyOwnedByYou(Exception):
            pass

    def __init__(self) -> None:
        self.buckets: list[str] = []

    def create_bucket(self, Bucket: str) -> None:
        self.buckets.append(Bucket)


@pytest.fixture
def kind_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """KindStack with Docker, kind, kubectl, the images, the Kubernetes API, S3 and HTTP replaced by recorders."""
    commands: list[list[str]] = []
    kube_made: list[_FakeKube] = []
    s3 = _FakeS3()
    ports = iter([41001, 41002])
    crds = tmp_path / "events" / "manifests" / "base" / "crds"
    crds.mkdir(parents=True)
    (crds / "argoproj.io_sensors.yaml").write_text("apiVersion: apiextensions.k8s.io/v1\nkind: CRD\n")
    (crds / "other.yaml").write_text("kind: NotACRD\n")
    _FakeCluster.made = []

    def run(args: list[str], what: str, timeout: float = 600, input: str | None = None) -> str:
        commands.append(list(args))
        return ""

    def kube(kubeconfig: str) -> _FakeKube:
        kube_made.append(_FakeKube(kubeconfig))
        return kube_made[-1]

    images = {
        "workload": I.ImageRef("localhost/argo-mcp-e2e/busybox:1.37", tmp_path / "workload.tar"),
        "argo-mcp": I.ImageRef("localhost/argo-mcp:0.1.0-abc", tmp_path / "argo-mcp.tar"),
    }
    monkeypatch.setattr(K, "check_docker", lambda: None)
    monkeypatch.setattr(K, "ensure_tools", lambda: (tmp_path / "bin" / "kind", tmp_path / "bin" / "kubectl"))
    monkeypatch.setattr(I, "ensure_images", lambda providers: {r: images[r] for r in providers})
    monkeypatch.setattr(procs, "free_port", lambda exclude: next(ports))
    monkeypatch.setattr(procs, "http_status", lambda url: 200)
    monkeypatch.setattr(K, "has_capability", lambda bit: False)
    monkeypatch.setattr(K, "KindCluster", _FakeCluster)
    monkeypatch.setattr(K, "_run", run)
    monkeypatch.setattr(K, "Kube", kube)
    monkeypatch.setattr(B, "download", lambda module, version, log: tmp_path / "events")
    monkeypatch.setattr("tests.e2e.stack.kind.boto3.client", lambda *a, **kw: s3)
    monkeypatch.chdir(tmp_path)
    return {"commands": commands, "kube": kube_made, "s3": s3, "images": images, "tmp": tmp_path}


def test_kind_stack_up_builds_the_same_stack_as_the_local_provider(kind_world: dict[str, Any]) -> None:
    tmp: Path = kind_world["tmp"]
    ks = K.KindStack(tmp / "run")
    st = ks.up()
    v = V.load()
    (cluster,) = _FakeCluster.made
    assert cluster.name == ks.name and cluster.name.startswith(K.CLUSTER_PREFIX)
    assert cluster.image == v.kind_node_image
    assert cluster.config == K.cluster_config(41001, 41002, restrict_oom=True)
    commands: list[list[str]] = kind_world["commands"]
    kind, kubectl = str(tmp / "bin" / "kind"), str(tmp / "bin" / "kubectl")

    # both images loaded into the node from their archives (never pulled), before anything runs
    loads = [c for c in commands if c[:3] == [kind, "load", "image-archive"]]
    assert loads == [
        [kind, "load", "image-archive", str(img.archive), "--name", ks.name]
        for img in kind_world["images"].values()
    ]
    kubectl_calls = [c[3:] for c in commands if c[0] == kubectl]
    assert all(c[1:3] == ["--kubeconfig", str(cluster.kubeconfig_path)] for c in commands if c[0] == kubectl)
    assert commands.index(loads[-1]) < commands.index([kubectl, "--kubeconfig", str(cluster.kubeconfig_path),
                                                       "create", "namespace", NAMESPACE])  # fmt: skip
    assert ["apply", "--server-side", "--force-conflicts", "-n", NAMESPACE, "-f", v.argo_install_url] in (
        kubectl_calls
    )
    patched = {(c[3], c[4]): c[-1] for c in kubectl_calls if c[2] == "patch"}
    assert patched == {
        ("deployment", "argo-server"): K.SERVER_PATCH,
        ("service", "argo-server"): K.SERVER_SERVICE_PATCH,
        ("deployment", "workflow-controller"): K.CONTROLLER_ENV_PATCH,
    }
    rollouts = [c[4] for c in kubectl_calls if c[2:4] == ["rollout", "status"]]
    assert rollouts == [f"deployment/{d}" for d in ("s3", "postgres", "workflow-controller", "argo-server")]

    # what went through the API: Argo Events' CRDs (only argoproj.io_*), secrets, S3 and PostgreSQL, the
    # controller's config, the test identities
    (kube,) = kind_world["kube"]
    kinds = [o.get("kind") for o in kube.applied]
    assert kinds.count("CRD") == 1 and "NotACRD" not in kinds
    names = {(o.get("kind"), o.get("metadata", {}).get("name")) for o in kube.applied}
    assert {("Secret", "argo-artifacts-s3"), ("Deployment", "s3"), ("Service", "postgres")} <= names
    assert ("ConfigMap", "workflow-controller-configmap") in names
    assert kube.waited == ["S3 bucket created", "argo server: every API service"]
    assert kind_world["s3"].buckets == [BUCKET]

    # the fixture the tests get
    assert st.provider == "kind" and st.namespace == NAMESPACE
    assert st.argo_url == "http://127.0.0.1:41001" and st.s3["endpoint"] == "127.0.0.1:41002"
    assert st.pod_argo_url == K.POD_ARGO_URL
    assert st.node_name == f"{ks.name}-control-plane" and st.kubelet_version == "v1.36.3"
    assert st.argo_mcp_image == "localhost/argo-mcp:0.1.0-abc"
    assert st.workload_image == "localhost/argo-mcp-e2e/busybox:1.37"
    assert st.kubectl_bin == kubectl and st.versions["kind-node"] == v.kind_node_image

    ks.down()
    assert cluster.deleted and ks.cluster is None
    assert not [c for c in commands if "export" in c], "a clean stop exports no logs"
    assert not (tmp / ".pytest-kind").exists()


def test_a_failed_start_exports_the_logs_deletes_the_cluster_and_says_why(
    kind_world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    tmp: Path = kind_world["tmp"]
    calls: list[list[str]] = kind_world["commands"]

    def run(args: list[str], what: str, timeout: float = 600, input: str | None = None) -> str:
        calls.append(list(args))
        if "rollout" in args:
            raise RuntimeError(f"{what} failed (1): deployment s3 never became available")
        return ""

    monkeypatch.setattr(K, "_run", run)
    ks = K.KindStack(tmp / "run")
    with pytest.raises(RuntimeError, match="never became available"):
        ks.up()
    (cluster,) = _FakeCluster.made
    assert cluster.deleted and ks.cluster is None
    assert [
        str(tmp / "bin" / "kind"),
        "export",
        "logs",
        str(tmp / "run" / "logs"),
        "--name",
        ks.name,
    ] in calls


def test_check_docker_says_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess

    monkeypatch.setattr("tests.e2e.stack.kind.shutil.which", lambda name: None)
    with pytest.raises(K.KindUnavailable, match="`docker` is not on PATH"):
        K.check_docker()
    monkeypatch.setattr("tests.e2e.stack.kind.shutil.which", lambda name: "/usr/bin/docker")
    failed = subprocess.CompletedProcess(["docker", "info"], 1, "", "Cannot connect to the Docker daemon")
    monkeypatch.setattr("tests.e2e.stack.kind.subprocess.run", lambda *a, **kw: failed)
    with pytest.raises(K.KindUnavailable, match=r"Cannot connect to the Docker daemon.*`local` provider"):
        K.check_docker()
    ok = subprocess.CompletedProcess(["docker", "info"], 0, "Server Version: 27", "")
    monkeypatch.setattr("tests.e2e.stack.kind.subprocess.run", lambda *a, **kw: ok)
    K.check_docker()


def test_ensure_tools_builds_kind_from_its_module_and_refuses_a_mismatched_node_image(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    v = V.load()
    built: list[list[str]] = []
    monkeypatch.setenv("ARGO_MCP_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(V, "go_version", lambda: "go1.26.0")
    monkeypatch.setattr(B, "download", lambda module, version, log: tmp_path)
    monkeypatch.setattr(K, "kind_default_node_image", lambda version: v.kind_node_image)

    def go_install(args: list[str], cwd: Path, log: Path, what: str) -> None:
        built.append(list(args))
        gobin = Path(next(a for a in args if a.startswith("GOBIN=")).split("=", 1)[1])
        (gobin / "kind").write_text("#!/bin/sh\n")

    monkeypatch.setattr(B, "_run", go_install)
    stack_kubectl = V.bin_dir() / "kubectl"
    stack_kubectl.parent.mkdir(parents=True)
    stack_kubectl.write_text("kubectl of the control plane")
    kind, kubectl = K.ensure_tools()
    assert kind == V.kind_bin_dir() / "kind" and kind.is_file()
    assert kubectl.read_text() == "kubectl of the control plane", (
        "the stack's kubectl (same version) is reused"
    )
    (cmd,) = built
    assert cmd[-1] == f"sigs.k8s.io/kind@{v.kind}" and "install" in cmd
    K.ensure_tools()
    assert len(built) == 1, "a built kind is cached"

    monkeypatch.setattr(K, "kind_default_node_image", lambda version: "kindest/node:v0.0.0")
    with pytest.raises(K.KindUnavailable, match="pin them together"):
        K.ensure_tools()


def test_kind_default_node_image_is_read_from_the_module_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "pkg" / "apis" / "config" / "defaults" / "image.go"
    source.parent.mkdir(parents=True)
    source.write_text('package defaults\n\nconst Image = "kindest/node:v1.36.0@sha256:abc"\n')
    monkeypatch.setattr(V, "module_dir", lambda module, version: tmp_path)
    assert K.kind_default_node_image("v0.31.0") == "kindest/node:v1.36.0@sha256:abc"
    source.write_text("package defaults\n")
    with pytest.raises(K.KindUnavailable, match="no default node image"):
        K.kind_default_node_image("v0.31.0")
