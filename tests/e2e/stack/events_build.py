"""Build Argo Events' binaries (argo-events, nats-server) into their own versioned cache.

Same recipe as build.py (Go modules, CGO_ENABLED=0, -trimpath, shared GOMODCACHE/GOCACHE) in another cache
directory (``~/.cache/argo-mcp/e2e/events-<hash>``), so adding Argo Events never invalidates the control
plane's or the node's binaries. Each module is downloaded (`go mod download module@version`) and built in
place as its own main module, with its own go.mod and go.sum (`-mod=readonly`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from . import build as B
from . import versions as V

EVENTS_MODULE = "github.com/argoproj/argo-events"
NATS_MODULE = "github.com/nats-io/nats-server/v2"


def _have(*names: str) -> bool:
    return all((V.events_bin_dir() / n).is_file() for n in names)


def _build_module(
    module: str, version: str, package: str, ldflags: str, binary: str, log: Path, what: str
) -> None:
    """`go build` of `package` inside the downloaded module, as its own main module (its go.mod and go.sum,
    `-mod=readonly`: nothing is resolved anew, nothing written into the module cache)."""
    src = B.download(module, version, log, cwd=V.events_build_dir())
    out = V.events_bin_dir() / binary
    partial = out.with_name(f".{binary}.partial")
    B.go_build(src, log, what, str(partial), package, ldflags=ldflags, flags=["-mod=readonly"], timeout=5400)
    partial.replace(out)


def build_argo_events(log: Path) -> None:
    """One binary for the controller (`controller`), the event source (`eventsource`) and the sensor (`sensor`)."""
    if _have("argo-events"):
        return
    v = V.load()
    ldflags = f"{B.LDFLAGS} -X {EVENTS_MODULE}.version={v.argo_events} -X {EVENTS_MODULE}.gitTreeState=clean"
    _build_module(EVENTS_MODULE, v.argo_events, "./cmd", ldflags, "argo-events", log, "argo-events: build")


def build_nats(log: Path) -> None:
    """nats-server with JetStream: the EventBus (kind jetstreamExotic) the event sources and sensors use."""
    if _have("nats-server"):
        return
    v = V.load()
    if not v.nats_server:
        raise B.BuildError("versions.toml has no [events].nats_server version")
    _build_module(NATS_MODULE, v.nats_server, ".", B.LDFLAGS, "nats-server", log, "nats-server: build")


STEPS: dict[str, Callable[[Path], None]] = {
    "argo-events": build_argo_events,
    "nats-server": build_nats,
}


def is_built() -> bool:
    return _have(*V.EVENTS_BINARIES)


def build() -> Path:
    """Build every missing Argo Events binary; return the events bin directory."""
    B.check_toolchain()
    bdir = V.events_build_dir()
    (bdir / "bin").mkdir(parents=True, exist_ok=True)
    (bdir / "logs").mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    for name, step in STEPS.items():
        step(bdir / "logs" / f"build-{name}.log")
    missing = [n for n in V.EVENTS_BINARIES if not (bdir / "bin" / n).is_file()]
    if missing:
        raise B.BuildError(f"events build finished but binaries are missing: {missing}")
    B._say(f"events binaries present in {bdir / 'bin'} ({time.monotonic() - started:.0f}s this run)")
    return bdir / "bin"
