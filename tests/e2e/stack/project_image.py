"""The argo-mcp image built from the repository's Dockerfile, with no registry and no network in the build.

`ensure_argo_mcp_image()` returns ``(ref, archive)``: the image reference ``localhost/argo-mcp:<version>-<hash12>``
and a `docker save` archive of it, ``~/.cache/argo-mcp/images/argo-mcp-<hash>.tar``, that `docker load` and
`ctr -n k8s.io images import` accept. The hash covers everything that decides the image: the Dockerfile,
.dockerignore, pyproject.toml, README.md (package metadata), image-requirements.txt, uv.lock, argo_mcp/ and operator/ as they are on
disk, the base image's recipe (python_base.py) and this module's RECIPE. An unchanged tree is never rebuilt.

How it builds (cold: the base once, then about a minute): a private dockerd (dockerd.py) gets the debootstrapped
base (python_base.py) and runs the legacy builder (BuildKit would fetch a frontend from a registry) with
`--network none`. The dependencies are the wheels uv.lock pins (image-requirements.txt), downloaded ON THE HOST by pip
with the host's own trust settings into `wheels/` of a throw-away build context, plus the build backend
(hatchling) for the project's own wheel; the Dockerfile's builder stage installs them offline
(`PIP_NO_INDEX=1`, `PIP_FIND_LINKS=/src/wheels`). No certificate, index or proxy setting of the host reaches
the image; the wheels stay in the builder stage.

Run it: `python -m tests.e2e.stack.project_image [--rebuild]` prints the reference and the archive path.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from . import python_base
from .dockerd import PrivateDockerd

REPO = Path(__file__).resolve().parents[3]
REPOSITORY = "localhost/argo-mcp"
# Files and folders of the build context (what .dockerignore lets through, besides wheels/) and what else
# decides the image (uv.lock, which image-requirements.txt is generated from).
REQUIREMENTS = "image-requirements.txt"
CONTEXT_FILES = ("Dockerfile", ".dockerignore", "pyproject.toml", "README.md", REQUIREMENTS)
CONTEXT_DIRS = ("argo_mcp", "operator")
HASHED_FILES = (*CONTEXT_FILES, "uv.lock")
SKIP_PARTS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
# The build backend of pyproject.toml, for `pip wheel .` inside the offline build (build deps are not locked).
BUILD_REQUIREMENTS = ("hatchling==1.27.0",)
# Wheels for the base's interpreter: CPython 3.11 on Debian bookworm (glibc 2.36), x86_64.
TARGET_PYTHON, TARGET_ABI, TARGET_GLIBC, TARGET_ARCH = "3.11", "cp311", (2, 36), "x86_64"
# Bump when the way the image is built changes (build arguments, wheel selection), so the hash changes.
RECIPE = json.dumps(
    {
        "recipe": "2",
        "build": BUILD_REQUIREMENTS,
        "target": [TARGET_PYTHON, TARGET_ABI, TARGET_GLIBC, TARGET_ARCH],
    },
    sort_keys=True,
)


class ImageBuildError(RuntimeError):
    """A step of the image build failed; the message names it and shows the tail of its output."""


def _source_files() -> list[Path]:
    files = [REPO / name for name in HASHED_FILES]
    for d in CONTEXT_DIRS:
        files += [
            p
            for p in (REPO / d).rglob("*")
            if p.is_file() and not SKIP_PARTS & set(p.relative_to(REPO).parts) and p.suffix != ".pyc"
        ]
    return sorted(files)


def image_hash() -> str:
    """Content hash of every input of the image (see the module docstring)."""
    h = hashlib.sha256(RECIPE.encode())
    h.update(python_base.RECIPE.encode())
    for path in _source_files():
        h.update(path.relative_to(REPO).as_posix().encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def project_version() -> str:
    return str(tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"])


def image_ref(digest: str | None = None) -> str:
    return f"{REPOSITORY}:{project_version()}-{(digest or image_hash())[:12]}"


def archive_path(digest: str | None = None) -> Path:
    return python_base.images_dir() / f"argo-mcp-{digest or image_hash()}.tar"


def _run(args: list[str], what: str, timeout: float = 900, cwd: Path | None = None) -> str:
    res = subprocess.run(args, capture_output=True, text=True, check=False, timeout=timeout, cwd=cwd)
    if res.returncode != 0:
        tail = "\n".join((res.stdout + res.stderr).strip().splitlines()[-20:])
        raise ImageBuildError(f"{what} failed (exit {res.returncode}):\n{tail}")
    return res.stdout


def _platform_args() -> list[str]:
    """--platform for every manylinux tag the target glibc runs (pip does not expand manylinux_2_x itself)."""
    major, minor = TARGET_GLIBC
    arch = TARGET_ARCH
    tags = [f"manylinux_{major}_{m}_{arch}" for m in range(minor, 4, -1)]
    tags += [f"manylinux2014_{arch}", f"manylinux2010_{arch}", f"manylinux1_{arch}"]
    return [arg for tag in tags for arg in ("--platform", tag)]


def download_wheels(dest: Path) -> int:
    """The image's locked runtime dependencies (image-requirements.txt, generated from uv.lock, with the operator
    and otel extras) and the build backend, as wheels in `dest`.

    Runs on the host with the host's pip settings; the hashes are enforced (`--require-hashes`) here and again by
    the Dockerfile's install.
    """
    dest.mkdir(parents=True, exist_ok=True)
    target = [
        "--only-binary=:all:", "--python-version", TARGET_PYTHON,
        "--implementation", "cp", "--abi", TARGET_ABI, *_platform_args(),
    ]  # fmt: skip
    pip = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--disable-pip-version-check",
        "--dest",
        str(dest),
    ]
    requirements = REPO / REQUIREMENTS
    _run([*pip, *target, "--no-deps", "--require-hashes", "-r", str(requirements)], "pip download (runtime)")
    _run([*pip, *target, *BUILD_REQUIREMENTS], "pip download (build backend)")
    return len(list(dest.glob("*.whl")))


def _git_revision() -> str:
    res = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    )
    return res.stdout.strip() if res.returncode == 0 else "unknown"


@contextmanager
def _build_context(parent: Path) -> Iterator[Path]:
    ctx = Path(tempfile.mkdtemp(dir=parent, prefix=".argo-mcp-context-"))
    try:
        for name in CONTEXT_FILES:
            shutil.copy2(REPO / name, ctx / name)
        for d in CONTEXT_DIRS:
            shutil.copytree(REPO / d, ctx / d, ignore=shutil.ignore_patterns(*SKIP_PARTS, "*.pyc"))
        yield ctx
    finally:
        shutil.rmtree(ctx, ignore_errors=True)


def build_image(
    engine: PrivateDockerd,
    ref: str,
    log: Callable[[str], None] = python_base.progress,
    *,
    buildkit: bool = False,
) -> None:
    """Build `ref` from the Dockerfile in `engine` (base imported first), offline; legacy builder by default
    (this host's dockerd runs BuildKit too: no `# syntax=` line, the base is local, so nothing is pulled)."""
    t0 = time.monotonic()
    base = python_base.import_base(engine.docker, log=log)
    t_base = time.monotonic()
    builder = ["--progress=plain"] if buildkit else ["--pull=false", "--force-rm"]
    with _build_context(python_base.images_dir()) as ctx:
        count = download_wheels(ctx / "wheels")
        t_wheels = time.monotonic()
        res = engine.docker(
            "build", "--network", "none", *builder, "-t", ref,
            "--build-arg", f"BASE_IMAGE={base}",
            "--build-arg", "PIP_NO_INDEX=1", "--build-arg", "PIP_FIND_LINKS=/src/wheels",
            "--build-arg", f"VERSION={project_version()}", "--build-arg", f"REVISION={_git_revision()}",
            "--build-arg", f"CREATED={datetime.now(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}",
            str(ctx),
            timeout=1800,
            env={"DOCKER_BUILDKIT": "1" if buildkit else "0"},
        )  # fmt: skip
    if res.returncode != 0:
        tail = "\n".join((res.stdout + res.stderr).strip().splitlines()[-30:])
        raise ImageBuildError(f"docker build of {ref} failed (exit {res.returncode}):\n{tail}")
    log(
        f"[image] {ref}{' (BuildKit)' if buildkit else ''}: base {t_base - t0:.0f} s,"
        f" {count} wheels {t_wheels - t_base:.0f} s, build {time.monotonic() - t_wheels:.0f} s"
    )


def check_buildkit_build(engine: PrivateDockerd, log: Callable[[str], None] = python_base.progress) -> Path:
    """Build the current tree once more with BuildKit and run its `--help` (read-only root, uid 65532).

    The Dockerfile must build with both builders; this proves it for BuildKit. The result is cached like the
    image: a stamp ``argo-mcp-<hash>.buildkit-ok`` is written only after success, so an unchanged tree is
    checked once. Returns the stamp.
    """
    digest = image_hash()
    stamp = python_base.images_dir() / f"argo-mcp-{digest}.buildkit-ok"
    if stamp.is_file():
        return stamp
    ref = f"{REPOSITORY}:buildkit-check-{digest[:12]}"
    build_image(engine, ref, log, buildkit=True)
    try:
        res = engine.docker(
            "run", "--rm", "--read-only", "--user", "65532", "--network", "none", ref, "--help"
        )
        if res.returncode != 0 or "--stdio" not in res.stdout:
            raise ImageBuildError(f"the BuildKit-built image does not start: {res.stderr.strip()[-2000:]}")
    finally:
        engine.docker("image", "rm", "-f", ref)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(f"{ref} built with BuildKit and ran --help\n")
    for old in stamp.parent.glob("argo-mcp-*.buildkit-ok"):
        if old != stamp:
            old.unlink(missing_ok=True)
    return stamp


def save_image(engine: PrivateDockerd, ref: str, out: Path) -> None:
    """`docker save` to a partial file next to `out`, then rename: a crash never leaves a truncated archive."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, partial_name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part")
    os.close(fd)
    partial = Path(partial_name)
    try:
        res = engine.docker("save", "-o", str(partial), ref, timeout=600)
        if res.returncode != 0:
            raise ImageBuildError(f"docker save of {ref} failed: {res.stderr.strip()}")
        partial.chmod(0o644)
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)


def _remove_older_archives(keep: Path) -> None:
    for old in keep.parent.iterdir():
        if re.fullmatch(r"argo-mcp-[0-9a-f]{16}\.tar", old.name) and old != keep:
            old.unlink(missing_ok=True)


def ensure_argo_mcp_image(
    rebuild: bool = False,
    engine: PrivateDockerd | None = None,
    log: Callable[[str], None] = python_base.progress,
) -> tuple[str, Path]:
    """(image reference, `docker save` archive) of the current tree, built only when its archive is missing.

    With `engine`, a build runs in that running private dockerd (and leaves the image there; a cached archive
    is not loaded: `load_image()` does that); else a private dockerd is started for the build and stopped after
    (nothing of it stays on the host). The archive is what the real node imports (`ctr -n k8s.io images
    import <archive>`, then pods name `ref` with `imagePullPolicy: Never`).
    """
    digest = image_hash()
    ref, out = image_ref(digest), archive_path(digest)
    if out.is_file() and not rebuild:
        return ref, out
    if engine is None:
        with PrivateDockerd() as own:
            return ensure_argo_mcp_image(rebuild, own, log)
    build_image(engine, ref, log)
    save_image(engine, ref, out)
    _remove_older_archives(out)
    return ref, out


def load_image(engine: PrivateDockerd, archive: Path, ref: str) -> None:
    """Make `ref` present in `engine` (docker load of its archive unless it is there already)."""
    if engine.docker("image", "inspect", ref).returncode == 0:
        return
    res = engine.docker("load", "-i", str(archive), timeout=600)
    if res.returncode != 0:
        raise ImageBuildError(f"docker load of {archive} failed: {res.stderr.strip()}")


def main(argv: list[str]) -> int:
    if set(argv) - {"--rebuild"}:
        print("usage: python -m tests.e2e.stack.project_image [--rebuild]", file=sys.stderr)
        return 2
    t0 = time.monotonic()
    try:
        ref, archive = ensure_argo_mcp_image(
            rebuild="--rebuild" in argv, log=lambda m: print(m, file=sys.stderr)
        )
    except (ImageBuildError, python_base.BaseImageError, RuntimeError) as exc:
        print(f"argo-mcp image: {exc}", file=sys.stderr)
        return 1
    print(ref)
    print(archive)
    print(f"({time.monotonic() - t0:.1f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
