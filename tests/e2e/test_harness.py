"""The harness's pure parts (no stack needed)."""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

import yaml

from tests.e2e.stack import build, versions
from tests.e2e.stack.executor import _cri, _tgz, artifact_bytes, sized_content
from tests.e2e.stack.fixture import pod_annotations


def test_versions_file_pins_everything() -> None:
    v = versions.load()
    for value in v.as_dict().values():
        assert value.startswith("v") and value.count(".") == 2, value
    assert v.staging == "v0." + v.kubernetes.split(".", 1)[1]
    assert not v.argo_workflows.startswith("v4"), "v4.0.5 has reported security flaws"


def test_staging_replaces_are_generated_from_go_mod() -> None:
    gomod = """module k8s.io/kubernetes
replace (
\tk8s.io/api => ./staging/src/k8s.io/api
\tk8s.io/client-go => ./staging/src/k8s.io/client-go
)
require k8s.io/utils v0.0.0-2025
"""
    assert build._staging_replaces(gomod, "v0.36.3") == [
        "\tk8s.io/api => k8s.io/api v0.36.3",
        "\tk8s.io/client-go => k8s.io/client-go v0.36.3",
    ]


def test_stages_cover_nodes_and_pods() -> None:
    docs = list(yaml.safe_load_all((Path(versions.HERE) / "stages.yaml").read_text()))
    names = {d["metadata"]["name"] for d in docs}
    assert names == {
        "node-initialize",
        "node-heartbeat",
        "pod-ready",
        "pod-complete",
        "pod-fail",
        "pod-delete",
    }
    assert all(d["kind"] == "Stage" for d in docs)


def test_artifact_content_is_deterministic() -> None:
    ann = pod_annotations(artifacts={"a": "text", "b": {"size": 70_000}})
    assert artifact_bytes("a", ann) == b"text"
    assert artifact_bytes("b", ann) == sized_content(70_000)
    assert len(sized_content(70_000)) == 70_000
    assert (
        hashlib.sha256(sized_content(32)).digest()
        == hashlib.sha256(hashlib.sha256(b"argo-mcp").digest()).digest()
    )
    assert artifact_bytes("c", ann) == b"argo-mcp e2e artifact c\n"


def test_tgz_holds_the_file() -> None:
    with tarfile.open(fileobj=io.BytesIO(_tgz("out.txt", b"hello")), mode="r:gz") as tar:
        member = tar.getmember("out.txt")
        f = tar.extractfile(member)
        assert f is not None and f.read() == b"hello"


def test_cri_log_format() -> None:
    line = _cri(["hello world"]).rstrip("\n")
    ts, stream, tag, text = line.split(" ", 3)
    assert ts.endswith("Z") and stream == "stdout" and tag == "F" and text == "hello world"
