"""The e2e stack's Argo version matrix (tests/e2e/stack/versions.py) and its record (tests/e2e/supported-argo.json),
checked without Go or a stack: which version a run picks, where each version's binaries are cached, how Argo lines
differ in their build, and that the committed record names exactly the pinned versions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.gen import supported_argo
from tests.e2e.stack import supported
from tests.e2e.stack import versions as V


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """load() reads ARGO_MCP_E2E_ARGO once; each test sees its own environment (and any fixed Go version)."""
    monkeypatch.setattr(V, "go_version", lambda: "go1.26.0")
    V.load.cache_clear()
    yield
    V.load.cache_clear()


def test_the_pins_list_v4_first_and_the_newest_served_3_7_and_3_6() -> None:
    listed = V.argo_versions()
    assert listed[0].startswith("v4.0."), "argo-helm installs v4: the default (full suite) is v4"
    assert [v[:5] for v in listed] == ["v4.0.", "v3.7.", "v3.6."]
    assert len(set(listed)) == len(listed)


@pytest.mark.usefixtures("fresh")
def test_the_default_is_the_first_and_the_variable_picks_another(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(V.ARGO_ENV, raising=False)
    assert V.load().argo_workflows == V.argo_versions()[0]
    default_dirs = (V.build_dir(), V.node_build_dir())
    V.load.cache_clear()
    monkeypatch.setenv(V.ARGO_ENV, V.argo_versions()[2].removeprefix("v"))  # "3.6.18" works as well
    assert V.load().argo_workflows == V.argo_versions()[2]
    # each version has its own control-plane and node caches, so versions coexist in ~/.cache/argo-mcp/e2e
    assert V.build_dir() not in default_dirs and V.node_build_dir() not in default_dirs
    assert V.events_build_dir().name.startswith("events-")  # Argo Events' cache does not depend on it


@pytest.mark.usefixtures("fresh")
def test_an_unpinned_version_is_refused_naming_the_pinned_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(V.ARGO_ENV, "v3.5.0")
    with pytest.raises(
        ValueError, match=r"ARGO_MCP_E2E_ARGO=v3.5.0 is not pinned .* use one of v4\.0\.\d+, v3\.7"
    ):
        V.load()


def test_each_argo_line_builds_from_its_own_module_and_layout() -> None:
    v4, v37, v36 = V.ArgoRelease("v4.0.7"), V.ArgoRelease("v3.7.18"), V.ArgoRelease("v3.6.18")
    assert v4.module == "github.com/argoproj/argo-workflows/v4"
    assert v37.module == v36.module == "github.com/argoproj/argo-workflows/v3"
    assert v4.ldflags == "-X github.com/argoproj/argo-workflows/v4.version=v4.0.7"
    assert v36.ldflags == "-X github.com/argoproj/argo-workflows/v3.version=v3.6.18"
    assert v4.rbac_dir == v37.rbac_dir == "manifests/cluster-install-no-crds"
    assert v36.rbac_dir == "manifests/cluster-install"
    assert v37.executor_os_dir == "workflow/executor/osspecific"
    assert v36.executor_os_dir == "workflow/executor/os-specific"


def test_the_record_names_exactly_the_pinned_versions_and_each_passed_all_it_ran() -> None:
    entries = supported.load()
    assert [e["argo"] for e in entries] == list(V.argo_versions()), (
        "tests/e2e/supported-argo.json must name exactly versions.toml's [argo].workflows, in order: "
        "run ./dev e2e (it records each version whose run passed), then ./dev gen"
    )
    assert entries[0]["suite"] == "full", "the default version runs the whole suite"
    for e in entries:
        assert e["suite"] in supported.SUITES and 0 < e["passed"] == e["tests"], e
        assert len(e["date"]) == 10 and e["date"][4] == "-", e


def test_recording_replaces_its_version_keeps_the_others_and_follows_the_pins(tmp_path: Path) -> None:
    path = tmp_path / "supported-argo.json"
    first, second = V.argo_versions()[:2]
    supported.record(second, "compat", 12, 12, "2026-01-01", path)
    supported.record(first, "full", 60, 60, "2026-01-02", path)
    supported.record(second, "compat", 13, 13, "2026-01-03", path)
    data = json.loads(path.read_text())
    assert [(e["argo"], e["tests"], e["date"]) for e in data["versions"]] == [
        (first, 60, "2026-01-02"),
        (second, 13, "2026-01-03"),
    ]
    assert not [p for p in tmp_path.iterdir() if p != path], "the atomic write left a temporary file"
    stale = {
        "about": "",
        "versions": [{"argo": "v3.5.0", "suite": "full", "tests": 1, "passed": 1, "date": "x"}],
    }
    path.write_text(json.dumps(stale))
    supported.record(first, "full", 60, 60, "2026-01-04", path)
    assert [e["argo"] for e in supported.load(path)] == [first], "an unpinned version is dropped"
    with pytest.raises(ValueError, match="ARGO_MCP_E2E_RECORD='some': use one of full, compat"):
        supported.record(first, "some", 1, 1, "2026-01-05", path)


def test_the_readme_table_has_a_row_per_recorded_version_the_default_marked() -> None:
    rows = supported_argo.table().splitlines()
    assert rows[0].startswith("| Argo Workflows |") and len(rows) == 2 + len(supported.load())
    assert f"| {V.argo_versions()[0]} (default) | the whole e2e suite |" in rows[2]
