"""The release: versions from ONE place (pyproject.toml), the workflows that publish them, the ownership markers
the MCP registry checks. Python and the repository only; the tools (actionlint, a loopback OCI registry, build
and twine) run in tests/deploy/test_release.py."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from scripts import release as R

ROOT = R.ROOT
WORKFLOWS = ROOT / ".github" / "workflows"
VERSIONED = (
    "pyproject.toml",
    "deploy/helm/argo-mcp/Chart.yaml",
    "deploy/helm/argo-mcp/values.yaml",
    "server.json",
    "Dockerfile",
    "skaffold.yaml",
    "deploy/kustomize/operator/kustomization.yaml",
    "operator/argo_mcp_operator/__init__.py",
    "CHANGELOG.md",
)


def _workflow(name: str) -> dict[str, Any]:
    loaded: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    # YAML 1.1 reads the key `on` as True
    loaded["on"] = loaded.pop(True, loaded.get("on"))
    return loaded


def _steps(workflow: dict[str, Any], job: str) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = workflow["jobs"][job]["steps"]
    return steps


def _copy(tmp_path: Path) -> Path:
    for rel in VERSIONED:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, tmp_path / rel)
    return tmp_path


def test_every_file_names_the_pyproject_version() -> None:
    assert R.version_mismatches() == []


@pytest.mark.parametrize(
    ("rel", "old", "new", "named"),
    [
        ("deploy/helm/argo-mcp/Chart.yaml", "\nversion: {v}", "\nversion: 9.9.9", "Chart.yaml: version"),
        ("deploy/helm/argo-mcp/Chart.yaml", 'appVersion: "{v}"', 'appVersion: "9.9.9"', "appVersion"),
        ("deploy/helm/argo-mcp/Chart.yaml", "argo-mcp:{v}", "argo-mcp:9.9.9", "artifacthub.io/images"),
        (
            "server.json",
            '"version": "{v}",\n  "websiteUrl"',
            '"version": "9.9.9",\n  "websiteUrl"',
            "server.json: version",
        ),
        ("server.json", "argo-mcp:{v}", "argo-mcp:9.9.9", "the oci package"),
        ("Dockerfile", "ARG VERSION={v}", "ARG VERSION=9.9.9", "Dockerfile: ARG VERSION"),
        ("skaffold.yaml", 'VERSION: "{v}"', 'VERSION: "9.9.9"', "skaffold.yaml"),
        ("deploy/kustomize/operator/kustomization.yaml", 'newTag: "{v}"', 'newTag: "9.9.9"', "newTag"),
        ("operator/argo_mcp_operator/__init__.py", 'return "{v}"', 'return "9.9.9"', "fallback"),
        ("CHANGELOG.md", "## [{v}]", "## [9.9.8]", "CHANGELOG.md"),
    ],
)
def test_a_file_left_behind_is_named(tmp_path: Path, rel: str, old: str, new: str, named: str) -> None:
    """A version bump in pyproject.toml alone (or any file edited apart) is caught, naming the file."""
    root = _copy(tmp_path)
    version = R.project_version(root)
    text = (root / rel).read_text()
    assert old.format(v=version) in text, (rel, old)
    (root / rel).write_text(text.replace(old.format(v=version), new, 1))
    problems = R.version_mismatches(root)
    assert len(problems) == 1 and named in problems[0] and Path(rel).name in problems[0], problems


def test_bumping_pyproject_alone_names_every_other_file(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    pyproject = root / "pyproject.toml"
    version = R.project_version(root)
    pyproject.write_text(pyproject.read_text().replace(f'version = "{version}"', 'version = "9.9.9"', 1))
    named = {line.split(":", 1)[0] for line in R.version_mismatches(root)}
    assert named == set(VERSIONED) - {"pyproject.toml", "deploy/helm/argo-mcp/values.yaml"}, named


def test_the_tag_must_be_v_and_the_version() -> None:
    version = R.project_version()
    assert R.check_tag(f"v{version}") == version
    for bad in (version, f"v{version}.1", "v0.0.0-rc1"):
        with pytest.raises(R.ReleaseError, match=rf"tag v{re.escape(version)}"):
            R.check_tag(bad)


def test_the_long_description_carries_the_mcp_name_marker() -> None:
    name = json.loads((ROOT / "server.json").read_text())["name"]
    assert R.has_mcp_name_marker((ROOT / "README.md").read_text(), name)
    assert R.has_mcp_name_marker(f"<!-- mcp-name: {name} -->", name)
    assert R.has_mcp_name_marker(f"text\nmcp-name: {name}\n", name)
    # a longer name that merely starts with it does not count, nor a missing or different one
    assert not R.has_mcp_name_marker(f"mcp-name: {name}-fork", name)
    assert not R.has_mcp_name_marker(f"mcp-name: {name}2 -->", name)
    assert not R.has_mcp_name_marker("mcp-name: io.github.other/argo-mcp", name)
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert f'{R.OCI_NAME_LABEL}="{name}"' in dockerfile


def test_release_workflow_publishes_what_the_repository_names() -> None:
    wf = _workflow("release.yml")
    assert wf["on"] == {"push": {"tags": ["v*"]}}
    assert wf["permissions"] == {"contents": "read"}, "write permissions only on the jobs that need them"
    assert wf["env"]["CHART_REPOSITORY"] == R.CHART_REPOSITORY
    assert wf["env"]["IMAGE"] == R.image_repository()
    jobs = wf["jobs"]
    assert "scripts.release version --tag" in _steps(wf, "version")[-1]["run"]

    # PyPI: trusted publishing (OIDC), no token anywhere
    pypi = jobs["pypi"]
    assert pypi["permissions"] == {"id-token": "write"}
    assert any(str(s.get("uses", "")).startswith("pypa/gh-action-pypi-publish@") for s in pypi["steps"])
    assert "password" not in json.dumps(pypi)
    assert "scripts.release dist" in json.dumps(_steps(wf, "python"))

    # the image: both architectures, SBOM and provenance, keyless signature of the pushed digest
    image = jobs["image"]
    assert image["permissions"]["id-token"] == "write" and image["permissions"]["packages"] == "write"
    (build,) = [s for s in image["steps"] if str(s.get("uses", "")).startswith("docker/build-push-action@")]
    assert set(build["with"]["platforms"].split(",")) == {"linux/amd64", "linux/arm64"}
    assert build["with"]["sbom"] is True and str(build["with"]["provenance"]).startswith("mode=")
    assert "VERSION=${{ needs.version.outputs.version }}" in build["with"]["build-args"]
    sign = [s for s in image["steps"] if "cosign sign" in str(s.get("run", ""))]
    assert sign and "steps.build.outputs.digest" in json.dumps(sign)
    assert any(str(s.get("uses", "")).startswith("sigstore/cosign-installer@") for s in image["steps"])

    # the chart: packaged and pushed to the registry named above
    chart_run = "\n".join(str(s.get("run", "")) for s in jobs["chart"]["steps"])
    assert 'helm" package deploy/helm/argo-mcp' in chart_run and '"$CHART_REPOSITORY"' in chart_run

    # the MCP registry entry: after the package and the image exist (the registry checks both markers)
    mcp = jobs["mcp-registry"]
    assert set(mcp["needs"]) >= {"pypi", "image"} and mcp["permissions"]["id-token"] == "write"
    mcp_run = "\n".join(str(s.get("run", "")) for s in mcp["steps"])
    assert "login github-oidc" in mcp_run and "publish server.json" in mcp_run
    assert "modelcontextprotocol/registry/cmd/publisher@" in mcp_run and "MCP_REGISTRY_VERSION" in mcp_run


def test_ci_runs_dev_test_and_the_kind_job_one_command() -> None:
    ci = _workflow("ci.yml")
    assert set(ci["on"]) == {"pull_request", "push"}
    runs = [str(s.get("run", "")) for s in _steps(ci, "test")]
    assert runs[-1].endswith("./dev test") and runs[-1].startswith("sudo"), "the real node needs root"
    header = (WORKFLOWS / "ci.yml").read_text().split("\nname:", 1)[0]
    for need in ("root", "containerd", "scripts/e2e-prereqs", "Go"):
        assert need in header, f"ci.yml's header must say the real-node stack needs {need}"

    kind = _workflow("e2e-kind.yml")
    runs = [str(s["run"]) for s in _steps(kind, "e2e-kind") if "run" in s]
    assert runs == ['sudo --preserve-env=HOME env "PATH=$PATH" ./dev e2e-kind'], runs
    dev = (ROOT / "dev").read_text()
    assert re.search(r"e2e-kind\)\n.*scripts/e2e-prereqs --kind\n\s+ARGO_MCP_E2E_PROVIDER=kind e2e", dev)


def test_changelog_keeps_a_changelog() -> None:
    text = (ROOT / "CHANGELOG.md").read_text()
    assert "keepachangelog.com" in text and "## [Unreleased]" in text
    headings = re.findall(r"^## \[([^\]]+)\]", text, re.M)
    assert headings[0] == "Unreleased" and R.project_version() in headings
    for heading in headings:  # every version heading has its link at the bottom
        assert re.search(rf"^\[{re.escape(heading)}\]: https://", text, re.M), heading
