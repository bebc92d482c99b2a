"""The release's credential-free steps, as `./dev release --dry-run` runs them (scripts/release.py): the workflows
pass actionlint, the sdist and wheel pass `twine check`, the chart goes to a real OCI registry on loopback and
comes back the same. The image build and `helm install oci://...` from that registry run in the e2e suite
(tests/e2e/test_helm_oci.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
import urllib.request
import zipfile
from pathlib import Path

import pytest

from scripts import release as R

from .bundle import ROOT, tool

WORKFLOWS = ROOT / ".github" / "workflows"


def actionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    # shellcheck and pyflakes off: the result must not depend on what else the host has on PATH
    return subprocess.run(
        [str(tool("actionlint")), "-no-color", "-shellcheck=", "-pyflakes=", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )


def test_workflows_pass_actionlint(tmp_path: Path) -> None:
    workflows = sorted(WORKFLOWS.glob("*.yml"))
    assert {p.name for p in workflows} >= {"ci.yml", "e2e-kind.yml", "release.yml"}
    proc = actionlint(*workflows)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # the control: actionlint really reports (an unknown runner label, a job needing a missing job)
    bad = tmp_path / "bad.yml"
    text = (WORKFLOWS / "release.yml").read_text().replace("needs: [version, pypi, image]", "needs: [nope]")
    bad.write_text(text.replace("runs-on: ubuntu-24.04", "runs-on: ubuntu-1804", 1))
    proc = actionlint(bad)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "nope" in proc.stdout and "ubuntu-1804" in proc.stdout, proc.stdout


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(sdist, wheel) as the release builds them: `python -m build`, then `twine check --strict` passed."""
    return R.build_dists(tmp_path_factory.mktemp("dist"))


def test_sdist_and_wheel_build_and_pass_twine_check(dists: tuple[Path, Path]) -> None:
    sdist, wheel = dists
    version = R.project_version()
    assert sdist.name == f"argo_mcp-{version}.tar.gz" and wheel.name == f"argo_mcp-{version}-py3-none-any.whl"
    metadata = R.wheel_metadata(wheel)
    assert f"Version: {version}" in metadata and "Description-Content-Type: text/markdown" in metadata
    assert R.has_mcp_name_marker(metadata, R.server_name())
    with tarfile.open(sdist) as tar:
        names = tar.getnames()
    for needed in ("pyproject.toml", "README.md", "LICENSE", "argo_mcp/__init__.py"):
        assert f"argo_mcp-{version}/{needed}" in names, needed


def test_twine_check_refuses_a_broken_description(dists: tuple[Path, Path], tmp_path: Path) -> None:
    """The control for the check above: a README that PyPI cannot render fails `twine check --strict`."""
    wheel = dists[1]
    broken = tmp_path / "broken" / wheel.name
    broken.parent.mkdir()
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.endswith(".dist-info/METADATA"):
                data = data.replace(
                    b"Description-Content-Type: text/markdown", b"Description-Content-Type: text/x-rst"
                )
                data = data.split(b"\n\n", 1)[0] + b"\n\n=====\nbad\n==\n"
            dst.writestr(item, data)
    proc = subprocess.run(
        [shutil.which("python") or "python", "-m", "twine", "check", "--strict", str(broken)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode != 0 and "FAILED" in proc.stdout, proc.stdout + proc.stderr


def test_chart_goes_to_a_real_oci_registry_on_loopback_and_back(tmp_path: Path) -> None:
    package = R.package_chart(tmp_path / "chart")
    with R.LoopbackRegistry(tmp_path / "registry") as registry:
        assert registry.host.startswith("127.0.0.1:")
        reference = R.push_chart(package, registry, tmp_path)
        assert reference == f"oci://{registry.host}/argo-mcp/charts/argo-mcp"
        R.pull_chart_back(reference, package, tmp_path)
        # what the registry holds: a Helm chart manifest tagged with the version
        request = urllib.request.Request(
            f"http://{registry.host}/v2/argo-mcp/charts/argo-mcp/manifests/{R.project_version()}",
            headers={"Accept": "application/vnd.oci.image.manifest.v1+json"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            manifest = json.load(answer)
        assert manifest["config"]["mediaType"] == "application/vnd.cncf.helm.config.v1+json"
        assert [layer["mediaType"] for layer in manifest["layers"]] == [
            "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
        ]
        process = registry.process
        assert process is not None and process.poll() is None
    assert process.poll() is not None, "the registry outlived its block"
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://{registry.host}/v2/", timeout=2)
