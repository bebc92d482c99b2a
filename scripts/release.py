"""The release's steps that need no credentials, so that a maintainer's first tag publishes what was proven here.

The release workflow (.github/workflows/release.yml) publishes four things; each is built and checked here exactly
as it will be published, only the pushes to the public registries are left out:

    python -m scripts.release version [--tag vX.Y.Z]  every file that names the release version agrees with
                                                       pyproject.toml (and the tag, when given); prints it
    python -m scripts.release dist --out DIR           sdist and wheel (python -m build), `twine check --strict`,
                                                       the `mcp-name:` ownership marker in the long description
    python -m scripts.release --dry-run [--keep DIR]   all of it: versions, dist, the image from the Dockerfile
                                                       for this host's architecture, `helm package`, `helm push`
                                                       to a real OCI registry on loopback (distribution's
                                                       registry, built from its Go module) and `helm pull` back,
                                                       and server.json against the MCP registry's schema

`./dev release --dry-run` runs the last one. Versions come from ONE place, pyproject.toml's `project.version`:
`version_mismatches()` names every other file that disagrees (tests/unit/test_release_versions.py runs it).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
INSTALL_TOOLS = ROOT / "scripts" / "install-tools"
CHART = ROOT / "deploy" / "helm" / "argo-mcp"
# Where the release pushes the chart (release.yml's CHART_REPOSITORY; a unit test keeps the two equal): next to
# the image, in the same registry and organisation, so one login covers both.
CHART_REPOSITORY = "oci://ghcr.io/argo-mcp/charts"
OCI_NAME_LABEL = "io.modelcontextprotocol.server.name"


class ReleaseError(RuntimeError):
    """A release step failed; the message names the step and what to fix."""


def project_version(root: Path = ROOT) -> str:
    return str(tomllib.loads((root / "pyproject.toml").read_text())["project"]["version"])


def server_name(root: Path = ROOT) -> str:
    return str(json.loads((root / "server.json").read_text())["name"])


def image_repository(root: Path = ROOT) -> str:
    values = yaml.safe_load((root / "deploy" / "helm" / "argo-mcp" / "values.yaml").read_text())
    return str(values["image"]["repository"])


# -- one version -------------------------------------------------------------------------------------------------
def _found(pattern: str, text: str) -> list[str]:
    return re.findall(pattern, text, re.M)


def version_mismatches(root: Path = ROOT) -> list[str]:
    """Every place besides pyproject.toml that names the release version and disagrees with it, as
    `<file>: <what> is <found>, expected <version>` lines; empty when all agree."""
    version = project_version(root)
    image = image_repository(root)
    problems: list[str] = []

    def expect(where: str, what: str, found: object) -> None:
        if found != version:
            problems.append(f"{where}: {what} is {found!r}, expected {version!r} (pyproject.toml)")

    chart = yaml.safe_load((root / "deploy/helm/argo-mcp/Chart.yaml").read_text())
    expect("deploy/helm/argo-mcp/Chart.yaml", "version", str(chart["version"]))
    expect("deploy/helm/argo-mcp/Chart.yaml", "appVersion", str(chart["appVersion"]))
    for entry in yaml.safe_load(chart.get("annotations", {}).get("artifacthub.io/images", "") or "[]"):
        repo, _, tag = str(entry["image"]).rpartition(":")
        if repo == image:
            expect("deploy/helm/argo-mcp/Chart.yaml", "annotation artifacthub.io/images tag", tag)

    manifest = json.loads((root / "server.json").read_text())
    expect("server.json", "version", manifest.get("version"))
    for package in manifest.get("packages", []):
        if package.get("registryType") == "oci":
            repo, _, tag = str(package["identifier"]).rpartition(":")
            expect("server.json", f"the oci package {repo} tag", tag)
        else:
            expect(
                "server.json", f"the {package.get('registryType')} package version", package.get("version")
            )

    for path, pattern, what in (
        ("Dockerfile", r"^ARG VERSION=(\S+)$", "ARG VERSION"),
        ("skaffold.yaml", r'^\s+VERSION: "([^"]+)"$', "buildArgs VERSION"),
        ("deploy/kustomize/operator/kustomization.yaml", r'^\s+newTag: "([^"]+)"$', "the image newTag"),
        ("operator/argo_mcp_operator/__init__.py", r'^\s+return "([^"]+)"$', "the source-checkout fallback"),
    ):
        found = _found(pattern, (root / path).read_text())
        if not found:
            problems.append(f"{path}: no {what} found (pattern {pattern})")
        for value in found:
            expect(path, what, value)

    changelog = (root / "CHANGELOG.md").read_text()
    if not re.search(rf"^## \[{re.escape(version)}\]", changelog, re.M):
        problems.append(f"CHANGELOG.md: no `## [{version}]` section for the release version")
    return problems


def check_tag(tag: str, root: Path = ROOT) -> str:
    version = project_version(root)
    if tag != f"v{version}":
        raise ReleaseError(
            f"the tag {tag!r} is not v{version}, pyproject.toml's version: bump project.version there (and each "
            f"file `python -m scripts.release version` then names), or tag v{version}"
        )
    return version


# -- sdist and wheel ---------------------------------------------------------------------------------------------
def has_mcp_name_marker(description: str, name: str) -> bool:
    """Whether `mcp-name: <name>` stands in the text followed by a boundary (whitespace, end, `<` or `-->`): what
    the MCP registry looks for in a PyPI description to prove the package belongs to the server entry."""
    return re.search(rf"mcp-name: {re.escape(name)}(?=$|\s|<|-->)", description, re.M) is not None


def _run(args: list[str], what: str, timeout: float = 900, **kwargs: object) -> str:
    try:
        proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False, **kwargs)  # type: ignore[call-overload]
    except subprocess.TimeoutExpired:
        raise ReleaseError(f"{what} did not finish in {timeout:.0f} s: {' '.join(args)}") from None
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-25:])
        raise ReleaseError(f"{what} failed (exit {proc.returncode}): {' '.join(args)}\n{tail}")
    out: str = proc.stdout + proc.stderr  # helm reports on stderr
    return out


def wheel_metadata(wheel: Path) -> str:
    with zipfile.ZipFile(wheel) as z:
        (name,) = [n for n in z.namelist() if n.endswith(".dist-info/METADATA")]
        return z.read(name).decode()


def build_dists(out: Path, root: Path = ROOT) -> tuple[Path, Path]:
    """(sdist, wheel) built by `python -m build` (the wheel from the sdist, as PyPI users' installers would),
    checked by `twine check --strict` and for the mcp-name marker."""
    out.mkdir(parents=True, exist_ok=True)
    for old in (*out.glob("*.tar.gz"), *out.glob("*.whl")):
        old.unlink()
    _run([sys.executable, "-m", "build", "--outdir", str(out), str(root)], "python -m build", timeout=1200)
    version = project_version(root)
    sdists, wheels = list(out.glob(f"argo_mcp-{version}.tar.gz")), list(out.glob(f"argo_mcp-{version}-*.whl"))
    if len(sdists) != 1 or len(wheels) != 1:
        raise ReleaseError(
            f"python -m build made {sorted(p.name for p in out.iterdir())}, not one sdist and wheel"
        )
    _run([sys.executable, "-m", "twine", "check", "--strict", str(sdists[0]), str(wheels[0])], "twine check")
    name = server_name(root)
    if not has_mcp_name_marker(wheel_metadata(wheels[0]), name):
        raise ReleaseError(
            f"the wheel's long description (README.md) lacks `mcp-name: {name}` on a line of its own: the MCP "
            "registry refuses the PyPI package without it"
        )
    return sdists[0], wheels[0]


# -- the image ---------------------------------------------------------------------------------------------------
def archive_labels(archive: Path) -> dict[str, str]:
    """The labels of the (single) image in a `docker save` archive."""
    with tarfile.open(archive) as tar:
        manifest_file = tar.extractfile("manifest.json")
        assert manifest_file is not None
        (entry,) = json.load(manifest_file)
        config_file = tar.extractfile(entry["Config"])
        assert config_file is not None
        config = json.load(config_file)
    return dict(config.get("config", {}).get("Labels") or {})


def build_image(log: Callable[[str], None]) -> tuple[str, Path]:
    """The image from the Dockerfile for this host's architecture, as the e2e stack builds it (offline, private
    dockerd; cached by content hash), and its labels checked: the version and the MCP registry's name label."""
    from tests.e2e.stack.project_image import ensure_argo_mcp_image  # noqa: PLC0415 (needs the e2e prerequisites)

    ref, archive = ensure_argo_mcp_image(log=log)
    labels = archive_labels(archive)
    if labels.get(OCI_NAME_LABEL) != server_name():
        raise ReleaseError(
            f"the image's {OCI_NAME_LABEL} label is {labels.get(OCI_NAME_LABEL)!r}, not server.json's name"
        )
    if labels.get("org.opencontainers.image.version") != project_version():
        raise ReleaseError(f"the image's version label is {labels.get('org.opencontainers.image.version')!r}")
    return ref, archive


# -- the chart and a real OCI registry on loopback ----------------------------------------------------------------
def tool(name: str) -> Path:
    """A pinned tool from scripts/install-tools (built from its Go module once, cached)."""
    proc = subprocess.run(
        [str(INSTALL_TOOLS), "--print-path", name], capture_output=True, text=True, timeout=3600, check=False
    )
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise ReleaseError(f"scripts/install-tools could not provide {name}:\n{proc.stderr[-3000:]}")
    return Path(lines[-1])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class LoopbackRegistry:
    """distribution's `registry` serving plain HTTP on a free 127.0.0.1 port, its storage in `workdir`.

    Only reachable from this host; stopped (by its pid) when the `with` block ends, its storage removed with
    `workdir` by the caller.
    """

    workdir: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> None:
        binary = tool("registry")
        self.workdir.mkdir(parents=True, exist_ok=True)
        for _ in range(3):  # a free port can be taken between the probe and the bind: try another
            self.port = _free_port()
            config = self.workdir / "config.yml"
            config.write_text(
                yaml.safe_dump(
                    {
                        "version": 0.1,
                        "log": {"level": "warn", "accesslog": {"disabled": True}},
                        "storage": {"filesystem": {"rootdirectory": str(self.workdir / "storage")}},
                        "http": {"addr": self.host},
                    }
                )
            )
            log = (self.workdir / "registry.log").open("ab")
            env = {**os.environ, "OTEL_TRACES_EXPORTER": "none", "OTEL_SDK_DISABLED": "true"}
            self.process = subprocess.Popen(
                [str(binary), "serve", str(config)], stdout=log, stderr=subprocess.STDOUT, env=env
            )
            log.close()
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self.process.poll() is None:
                with (
                    contextlib.suppress(OSError, urllib.error.URLError),
                    urllib.request.urlopen(f"http://{self.host}/v2/", timeout=2) as answer,
                ):
                    if answer.status == 200:
                        return
                time.sleep(0.2)
            self.stop()
        tail = (self.workdir / "registry.log").read_text(errors="replace")[-2000:]
        raise ReleaseError(f"the loopback registry did not answer /v2/ on {self.host}:\n{tail}")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None

    def __enter__(self) -> LoopbackRegistry:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def helm_env(workdir: Path) -> dict[str, str]:
    """helm with its registry login file, cache and config inside `workdir`: nothing of the user's is read or
    written (no stored credentials reach the loopback registry)."""
    return {
        **os.environ,
        "HELM_REGISTRY_CONFIG": str(workdir / "helm" / "registry.json"),
        "HELM_CACHE_HOME": str(workdir / "helm" / "cache"),
        "HELM_CONFIG_HOME": str(workdir / "helm" / "config"),
        "HELM_DATA_HOME": str(workdir / "helm" / "data"),
    }


def package_chart(out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    _run([str(tool("helm")), "package", str(CHART), "--destination", str(out)], "helm package")
    package = out / f"argo-mcp-{project_version()}.tgz"
    if not package.is_file():
        raise ReleaseError(f"helm package made no {package.name} in {out}")
    return package


def chart_path() -> str:
    """The repository path inside the registry the release pushes to (ghcr.io/<path>), mirrored on loopback."""
    return CHART_REPOSITORY.removeprefix("oci://").split("/", 1)[1]


def push_chart(package: Path, registry: LoopbackRegistry, workdir: Path) -> str:
    """`helm push` to the loopback registry, under the same path as the release's; returns the chart's
    `oci://127.0.0.1:<port>/.../argo-mcp` reference (for `helm install ... --version <version> --plain-http`)."""
    helm, env = str(tool("helm")), helm_env(workdir)
    target = f"oci://{registry.host}/{chart_path()}"
    pushed = _run([helm, "push", str(package), target, "--plain-http"], "helm push", env=env)
    reference = f"{target}/argo-mcp"
    digest = re.search(r"Digest: (sha256:[0-9a-f]{64})", pushed)
    if not digest:
        raise ReleaseError(f"helm push printed no digest:\n{pushed}")
    return reference


def pull_chart_back(reference: str, package: Path, workdir: Path) -> None:
    """`helm pull` from the registry: the same bytes come back (what a user's `helm install oci://...` gets)."""
    helm, env = str(tool("helm")), helm_env(workdir)
    into = workdir / "pulled"
    shutil.rmtree(into, ignore_errors=True)
    into.mkdir(parents=True)
    _run(
        [helm, "pull", reference, "--version", project_version(), "--plain-http", "--destination", str(into)],
        "helm pull",
        env=env,
    )
    pulled = into / package.name
    if pulled.read_bytes() != package.read_bytes():
        raise ReleaseError(f"the chart pulled from {reference} differs from {package}")


# -- server.json -------------------------------------------------------------------------------------------------
def server_json_errors(root: Path = ROOT) -> list[str]:
    """server.json checked against the MCP registry's JSON schema (the version release.yml's mcp-publisher is
    built from)."""
    import jsonschema  # noqa: PLC0415 (a development dependency)

    schema = json.loads(tool("mcp-server-schema").read_text())
    manifest = json.loads((root / "server.json").read_text())
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    return [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(manifest)]


# -- the dry run -------------------------------------------------------------------------------------------------
def dry_run(workdir: Path, log: Callable[[str], None], *, image: bool = True) -> None:
    started = time.monotonic()

    def step(msg: str) -> None:
        log(f"[release --dry-run {time.monotonic() - started:5.0f} s] {msg}")

    if problems := version_mismatches():
        raise ReleaseError("versions disagree:\n  " + "\n  ".join(problems))
    version = project_version()
    step(f"version {version}: pyproject.toml, the chart, server.json, the Dockerfile, CHANGELOG.md agree")
    sdist, wheel = build_dists(workdir / "dist")
    step(f"{sdist.name} and {wheel.name}: twine check --strict passed, mcp-name marker present")
    if image:
        ref, archive = build_image(step)
        step(f"image {ref} ({archive}): labels name {server_name()} and version {version}")
    if errors := server_json_errors():
        raise ReleaseError("server.json fails the MCP registry's schema:\n  " + "\n  ".join(errors))
    step("server.json: valid against the MCP registry's schema")
    package = package_chart(workdir / "chart")
    with LoopbackRegistry(workdir / "registry") as registry:
        reference = push_chart(package, registry, workdir)
        pull_chart_back(reference, package, workdir)
        step(f"{package.name}: helm push to {reference} and helm pull back, byte for byte")
    step(
        f"done: the release would publish {version}; only the pushes to PyPI, ghcr.io and the MCP registry remain"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.release", description=__doc__.split("\n\n")[0])
    parser.add_argument("--dry-run", action="store_true", help="every credential-free release step")
    parser.add_argument("--keep", type=Path, help="keep the dry run's outputs (dist, chart) in this folder")
    parser.add_argument(
        "--no-image", action="store_true", help="skip the image build (it needs root and dockerd)"
    )
    sub = parser.add_subparsers(dest="command")
    version_cmd = sub.add_parser("version", help="check that every version agrees; print it")
    version_cmd.add_argument("--tag", help="the git tag being released (v<version>)")
    dist_cmd = sub.add_parser("dist", help="build and check the sdist and wheel")
    dist_cmd.add_argument("--out", type=Path, default=ROOT / "dist")
    args = parser.parse_args(argv)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    try:
        if args.command == "version":
            if problems := version_mismatches():
                raise ReleaseError("versions disagree:\n  " + "\n  ".join(problems))
            print(check_tag(args.tag) if args.tag else project_version())
        elif args.command == "dist":
            for path in build_dists(args.out):
                print(path)
        elif args.dry_run:
            if args.keep:
                dry_run(args.keep, log, image=not args.no_image)
            else:
                with tempfile.TemporaryDirectory(prefix="argo-mcp-release-") as tmp:
                    dry_run(Path(tmp), log, image=not args.no_image)
        else:
            parser.print_help()
            return 2
    except ReleaseError as exc:
        log(f"release: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
