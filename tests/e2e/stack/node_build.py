"""Build the real node's binaries (kubelet, kube-proxy, CoreDNS, argoexec) into their own versioned cache.

Same recipe as build.py (Go modules, CGO_ENABLED=0, -trimpath, shared GOMODCACHE/GOCACHE), but another cache
directory (``~/.cache/argo-mcp/e2e/node-<hash>``): adding the node never invalidates the control plane's cache.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from . import build as B
from . import versions as V

COREDNS_PLUGINS = ("bind", "errors", "cache", "kubernetes")


def _have(*names: str) -> bool:
    return all((V.node_bin_dir() / n).is_file() for n in names)


def build_kubelet(log: Path) -> None:
    if _have("kubelet", "kube-proxy"):
        return
    B.build_kubernetes_commands(
        ("kubelet", "kube-proxy"),
        V.node_build_dir() / "src" / "kubernetes-node",
        V.node_bin_dir(),
        log,
        "node",
    )


def build_coredns(log: Path) -> None:
    """A minimal CoreDNS main: only the plugins cluster DNS needs (the full build's cloud plugins cost minutes)."""
    if _have("coredns"):
        return
    v = V.load()
    if not v.coredns:
        raise B.BuildError("versions.toml has no [node].coredns version")
    src = V.node_build_dir() / "src" / "coredns-min"
    B._write(src / "go.mod", "module argo-mcp-e2e/coredns-min\n\ngo 1.26.0\n")
    imports = "".join(f'\t_ "github.com/coredns/coredns/plugin/{p}"\n' for p in COREDNS_PLUGINS)
    order = ", ".join(f'"{p}"' for p in COREDNS_PLUGINS)
    B._write(
        src / "main.go",
        "package main\n\nimport (\n"
        '\t"github.com/coredns/coredns/core/dnsserver"\n'
        '\t"github.com/coredns/coredns/coremain"\n\n'
        f"{imports})\n\n"
        "// the plugin chain, in the order of CoreDNS's plugin.cfg\n"
        f"func init() {{ dnsserver.Directives = []string{{{order}}} }}\n\n"
        "func main() { coremain.Run() }\n",
    )
    B._run(["go", "get", f"github.com/coredns/coredns@{v.coredns}"], src, log, "coredns: resolve")
    B._run(["go", "mod", "tidy"], src, log, "coredns: tidy")
    out = V.node_bin_dir() / "coredns"
    B.go_build(src, log, "coredns: build", str(out), ".")


def build_argoexec(log: Path) -> None:
    """Argo's executor from the same module copy build.py builds the controller from."""
    if _have("argoexec"):
        return
    argo = V.load().argo
    src = B.argo_source(log)
    B.go_build(
        src,
        log,
        f"argoexec {argo.version}: build",
        str(V.node_bin_dir() / "argoexec"),
        argo.executor_cmd,
        ldflags=f"{B.LDFLAGS} {argo.ldflags}",
        timeout=5400,
    )


STEPS: dict[str, Callable[[Path], None]] = {
    "kubelet": build_kubelet,
    "coredns": build_coredns,
    "argoexec": build_argoexec,
}


def is_built() -> bool:
    return _have(*V.NODE_BINARIES)


def build() -> Path:
    """Build every missing node binary; return the node bin directory."""
    B.check_toolchain()
    bdir = V.node_build_dir()
    (bdir / "bin").mkdir(parents=True, exist_ok=True)
    (bdir / "logs").mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    for name, step in STEPS.items():
        step(bdir / "logs" / f"build-{name}.log")
    missing = [n for n in V.NODE_BINARIES if not (bdir / "bin" / n).is_file()]
    if missing:
        raise B.BuildError(f"node build finished but binaries are missing: {missing}")
    B._say(f"node binaries present in {bdir / 'bin'} ({time.monotonic() - started:.0f}s this run)")
    return bdir / "bin"
