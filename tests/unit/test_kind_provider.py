"""The kind provider's configuration (tests/e2e/stack/kind.py), checked without Docker or a cluster (or Go: that
the pinned node image is the pinned kind's own reads kind's module, so tests/deploy/test_upstream_pins.py checks it)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.e2e.stack import kind as K
from tests.e2e.stack import node as N
from tests.e2e.stack import versions as V
from tests.e2e.stack.fixture import E2EStack
from tests.e2e.stack.local import NAMESPACE


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
