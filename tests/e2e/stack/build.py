"""Build the e2e stack's upstream binaries from their Go modules into the versioned cache.

Idempotent: a binary that is already in ``bin/`` is not rebuilt; a change in versions.toml (or in the Go
version or the build recipe) selects a new cache directory. Nothing is written inside the repository.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from . import versions as V

LDFLAGS = "-s -w"


class BuildError(RuntimeError):
    pass


def _say(msg: str) -> None:
    print(f"[e2e build {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def _run(args: Sequence[str], cwd: Path, log: Path, what: str, timeout: float = 3600) -> None:
    """Run a go command, log its output, print a heartbeat with the number of packages compiled so far."""
    _say(f"{what}: {' '.join(args)} (log: {log})")
    started = time.monotonic()
    with log.open("ab") as fh:
        fh.write(f"\n$ (cd {cwd} && {' '.join(args)})\n".encode())
        fh.flush()
        proc = subprocess.Popen(
            list(args), cwd=cwd, env=V.go_env(), stdout=fh, stderr=subprocess.STDOUT, start_new_session=True
        )
        stop = threading.Event()

        def heartbeat() -> None:
            while not stop.wait(30):
                try:
                    lines = log.read_text(errors="replace").count("\n")
                except OSError:
                    lines = 0
                _say(
                    f"{what}: still running after {time.monotonic() - started:.0f}s"
                    f" ({lines} log lines: go -v logs one per package built)"
                )

        t = threading.Thread(target=heartbeat, daemon=True)
        t.start()
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise BuildError(f"{what} timed out after {timeout:.0f}s; see {log}") from None
        finally:
            stop.set()
    if rc != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-25:])
        raise BuildError(f"{what} failed (exit {rc}); last lines of {log}:\n{tail}")
    _say(f"{what}: done in {time.monotonic() - started:.0f}s")


def go_build(
    src: Path,
    log: Path,
    what: str,
    out: str,
    *packages: str,
    ldflags: str = LDFLAGS,
    flags: Sequence[str] = (),
    timeout: float = 3600,
) -> None:
    """`go build -v -trimpath` of `packages` in `src` into `out` (a file, or a folder when it ends in /), every
    binary of the stack built the same way."""
    _run(
        ["go", "build", "-v", *flags, "-trimpath", f"-ldflags={ldflags}", "-o", out, *packages],
        src,
        log,
        what,
        timeout,
    )


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _have(*names: str) -> bool:
    return all((V.bin_dir() / n).is_file() for n in names)


def download(module: str, version: str, log: Path, cwd: Path | None = None) -> Path:
    """`go mod download` one exact module version (the proxy lists no versions for some), return its dir."""
    d = V.module_dir(module, version)
    if not d.is_dir():
        _run(
            ["go", "mod", "download", f"{module}@{version}"],
            cwd or V.build_dir(),
            log,
            f"download {module}@{version}",
        )
    if not d.is_dir():
        raise BuildError(f"{module}@{version} was downloaded but {d} is missing")
    return d


def build_etcd(log: Path) -> None:
    if _have("etcd"):
        return
    v = V.load()
    src = V.build_dir() / "src" / "etcd"
    _write(src / "go.mod", "module argo-mcp-e2e/etcd\n\ngo 1.26\n")
    _write(src / "tools.go", '//go:build tools\n\npackage tools\n\nimport _ "go.etcd.io/etcd/server/v3"\n')
    _run(["go", "get", f"go.etcd.io/etcd/server/v3@{v.etcd}"], src, log, "etcd: resolve")
    _run(["go", "mod", "tidy"], src, log, "etcd: tidy")
    go_build(src, log, "etcd: build", str(V.bin_dir() / "etcd"), "go.etcd.io/etcd/server/v3")


def _staging_replaces(kubernetes_gomod: str, staging_version: str) -> list[str]:
    """Each `k8s.io/x => ./staging/...` replace of k8s.io/kubernetes' go.mod, pointed at the published one."""
    mods = sorted(set(re.findall(r"^\s*(k8s\.io/[\w.\-/]+)\s+=>\s+\./staging/", kubernetes_gomod, re.M)))
    if not mods:
        raise BuildError("found no staging replace directives in k8s.io/kubernetes' go.mod")
    return [f"\t{m} => {m} {staging_version}" for m in mods]


def build_kubernetes(log: Path) -> None:
    # kubectl too: kwokctl needs one on PATH, and a version-matched one (with its kustomize) serves the tests
    names = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl")
    if _have(*names):
        return
    build_kubernetes_commands(names, V.build_dir() / "src" / "kubernetes", V.bin_dir(), log, "kubernetes")


def build_kubernetes_commands(names: Sequence[str], src: Path, out: Path, log: Path, what: str) -> None:
    """`go build` k8s.io/kubernetes/cmd/<name>... in a tools module at `src` (staging modules replaced)."""
    v = V.load()
    src.mkdir(parents=True, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    kdir = download("k8s.io/kubernetes", v.kubernetes, log)
    replaces = _staging_replaces((kdir / "go.mod").read_text(), v.staging)
    _write(
        src / "go.mod",
        f"module argo-mcp-e2e/{src.name}\n\ngo 1.26.0\n\n"
        f"require k8s.io/kubernetes {v.kubernetes}\n\nreplace (\n" + "\n".join(replaces) + "\n)\n",
    )
    _write(
        src / "tools.go",
        "//go:build tools\n\npackage tools\n\nimport (\n"
        + "".join(f'\t_ "k8s.io/kubernetes/cmd/{n}"\n' for n in names)
        + ")\n",
    )
    _run(["go", "mod", "tidy"], src, log, f"{what}: tidy")
    major, minor = v.kubernetes.removeprefix("v").split(".")[:2]
    ldflags = (
        f"{LDFLAGS} -X k8s.io/component-base/version.gitVersion={v.kubernetes}"
        f" -X k8s.io/component-base/version.gitMajor={major}"
        f" -X k8s.io/component-base/version.gitMinor={minor}"
        " -X k8s.io/component-base/version.gitTreeState=clean"
    )
    go_build(
        src,
        log,
        f"{what}: build {', '.join(names)}",
        str(out) + "/",
        *(f"k8s.io/kubernetes/cmd/{n}" for n in names),
        ldflags=ldflags,
        timeout=5400,
    )


def build_kwok(log: Path) -> None:
    if _have("kwok", "kwokctl"):
        return
    v = V.load()
    env_bin = V.bin_dir()
    # `go install pkg@version` (kwok's go.mod has no replace directives) into bin/ via GOBIN.
    args = [
        "env",
        f"GOBIN={env_bin}",
        "go",
        "install",
        "-v",
        "-trimpath",
        f"-ldflags={LDFLAGS}",
        f"sigs.k8s.io/kwok/cmd/kwok@{v.kwok}",
        f"sigs.k8s.io/kwok/cmd/kwokctl@{v.kwok}",
    ]
    _run(args, V.build_dir(), log, "kwok: install kwok, kwokctl")


def argo_source(log: Path, fresh: bool = False) -> Path:
    """A writable copy of the Argo module, buildable as its own main module (kept between builds).

    The module zip lacks two things a git checkout has: ui/dist/app (embedded by the server; a placeholder page
    here) and workflow/executor/osspecific/signal_linux.go, a git symlink to signal_darwin.go that module zips
    drop (without it cmd/argoexec fails with "undefined: Setpgid")."""
    argo = V.load().argo
    mdir = download(argo.module, argo.version, log)
    src = V.build_dir() / "src" / "argo-workflows"
    if fresh and src.exists():
        shutil.rmtree(src)
    if not (src / "go.mod").is_file():
        if src.exists():
            shutil.rmtree(src)
        shutil.copytree(mdir, src)
        for p in [src, *src.rglob("*")]:
            p.chmod(p.stat().st_mode | 0o200)
    index = src / "ui" / "dist" / "app" / "index.html"
    if not index.is_file():
        _write(index, "<!doctype html><title>Argo</title><p>argo-mcp e2e stack: the UI is not built.</p>\n")
    osspecific = src / argo.executor_os_dir
    if not (osspecific / "signal_linux.go").exists() and (osspecific / "signal_darwin.go").is_file():
        shutil.copy(osspecific / "signal_darwin.go", osspecific / "signal_linux.go")
    return src


def build_argo(log: Path) -> None:
    if _have("workflow-controller", "argo"):
        return
    argo = V.load().argo
    src = argo_source(log, fresh=True)
    go_build(
        src,
        log,
        f"argo-workflows {argo.version}: build workflow-controller, argo",
        str(V.bin_dir()) + "/",
        argo.controller_cmd,
        argo.server_cmd,
        ldflags=f"{LDFLAGS} {argo.ldflags}",
        timeout=5400,
    )


def fetch_manifests(log: Path) -> None:
    """The CRDs and RBAC manifests are read at run time from the downloaded modules (never committed)."""
    v = V.load()
    download(v.argo.module, v.argo_workflows, log)
    download("github.com/argoproj/argo-events", v.argo_events, log)


def check_toolchain() -> None:
    if shutil.which("go") is None:
        raise BuildError("`go` is not on PATH: the e2e stack is built from Go modules (Go 1.26+ needed)")
    gv = V.go_version()
    m = re.match(r"go1\.(\d+)", gv)
    if not m or int(m.group(1)) < 26:
        raise BuildError(f"Go 1.26+ is needed to build the pinned versions, found {gv}")


def build(steps: Sequence[str] | None = None) -> Path:
    """Build everything missing; return the bin directory."""
    check_toolchain()
    bdir = V.build_dir()
    (bdir / "bin").mkdir(parents=True, exist_ok=True)
    (bdir / "logs").mkdir(parents=True, exist_ok=True)
    v = V.load()
    _say(f"versions: {v.summary()}; {V.go_version()}; cache {bdir}")
    started = time.monotonic()
    all_steps = {
        "manifests": fetch_manifests,
        "etcd": build_etcd,
        "kwok": build_kwok,
        "argo": build_argo,
        "kubernetes": build_kubernetes,
    }
    for name in steps or list(all_steps):
        all_steps[name](bdir / "logs" / f"build-{name}.log")
    missing = [n for n in V.BINARIES if not (bdir / "bin" / n).is_file()]
    if missing and not steps:
        raise BuildError(f"build finished but binaries are missing: {missing}")
    (bdir / "versions.txt").write_text(f"{v.summary()}\n{V.go_version()}\n")
    _say(f"all binaries present in {bdir / 'bin'} ({time.monotonic() - started:.0f}s this run)")
    return bdir / "bin"


def is_built() -> bool:
    return all((V.bin_dir() / n).is_file() for n in V.BINARIES)


def main(argv: Sequence[str] = ()) -> int:
    try:
        build(list(argv) or None)
    except BuildError as exc:
        print(f"e2e build FAILED: {exc}", file=sys.stderr)
        return 1
    return 0
