"""Pinned versions (versions.toml) and the cache layout derived from them."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
VERSIONS_FILE = HERE / "versions.toml"
# Bump when the way binaries are built changes (flags, commands), so caches are rebuilt.
BUILD_RECIPE = "4"
# The same for the real node's binaries (kubelet, kube-proxy, CoreDNS, argoexec): a separate cache key, so the
# control plane's cache above is never invalidated by node changes.
NODE_RECIPE = "1"
# The same for the kind provider's kind and kubectl.
KIND_RECIPE = "1"
# The same for Argo Events' binaries (argo-events, nats-server): ~/.cache/argo-mcp/e2e/events-<hash>.
EVENTS_RECIPE = "1"


# Which of versions.toml's [argo].workflows a run uses (default: the first).
ARGO_ENV = "ARGO_MCP_E2E_ARGO"


def cache_root() -> Path:
    base = os.environ.get("ARGO_MCP_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "argo-mcp"
    )
    return Path(base)


@dataclass(frozen=True)
class ArgoRelease:
    """One Argo Workflows release: EVERY difference between Argo lines that the stack's build and install
    depend on is decided here (module path, link-time version variable, manifest and source layout), so the
    rest of the stack asks this object instead of testing version numbers itself."""

    version: str

    @property
    def line(self) -> tuple[int, int]:
        """(major, minor): v3.7.18 -> (3, 7)."""
        major, minor = self.version.removeprefix("v").split(".")[:2]
        return int(major), int(minor)

    @property
    def module(self) -> str:
        """The Go module: /v3 up to 3.x, /v4 from 4.0 (its import paths changed with the major version)."""
        return f"github.com/argoproj/argo-workflows/v{self.line[0]}"

    @property
    def ldflags(self) -> str:
        """-X flag that stamps the version the server reports (`argo version`, /api/v1/version)."""
        return f"-X {self.module}.version={self.version}"

    # the main packages, relative to the module root (the same on 3.6, 3.7 and 4.0)
    controller_cmd = "./cmd/workflow-controller"
    server_cmd = "./cmd/argo"
    executor_cmd = "./cmd/argoexec"
    # the CRDs without their full OpenAPI schemas (what the upstream install applies)
    crd_dir = "manifests/base/crds/minimal"

    @property
    def rbac_dir(self) -> str:
        """Cluster-install RBAC manifests: 3.7 moved them into cluster-install-no-crds/."""
        return "manifests/cluster-install-no-crds" if self.line >= (3, 7) else "manifests/cluster-install"

    @property
    def executor_os_dir(self) -> str:
        """The executor's per-OS sources (signal_linux.go is a git symlink module zips drop): 3.7 renamed it."""
        return "workflow/executor/osspecific" if self.line >= (3, 7) else "workflow/executor/os-specific"


@dataclass(frozen=True)
class Versions:
    kubernetes: str
    etcd: str
    kwok: str
    argo_workflows: str
    argo_events: str
    kind_node_image: str
    argo_install_url: str
    coredns: str = ""
    # the kind provider only (versions.toml [kind]); not part of any cache key above
    kind: str = ""
    kind_s3_image: str = ""
    kind_postgres_image: str = ""
    nats_server: str = ""
    # every Argo Workflows version of versions.toml [argo].workflows, the default first; argo_workflows above is
    # the one this run uses (ARGO_MCP_E2E_ARGO, else the first)
    argo_versions: tuple[str, ...] = ()

    @property
    def argo(self) -> ArgoRelease:
        return ArgoRelease(self.argo_workflows)

    @property
    def staging(self) -> str:
        """Published version of the k8s.io staging modules (v1.36.3 -> v0.36.3)."""
        return "v0." + self.kubernetes.removeprefix("v").split(".", 1)[1]

    def as_dict(self) -> dict[str, str]:
        return {
            "kubernetes": self.kubernetes,
            "etcd": self.etcd,
            "kwok": self.kwok,
            "argo-workflows": self.argo_workflows,
            "argo-events": self.argo_events,
        }

    def summary(self) -> str:
        return ", ".join(f"{k} {v}" for k, v in self.as_dict().items())


def argo_versions() -> tuple[str, ...]:
    """versions.toml's Argo Workflows versions, the default first."""
    listed = tomllib.loads(VERSIONS_FILE.read_text())["argo"]["workflows"]
    if not listed or not all(isinstance(x, str) and x.startswith("v") for x in listed):
        raise ValueError(
            f'{VERSIONS_FILE}: [argo].workflows must list versions like "v4.0.7", found {listed!r}'
        )
    return tuple(listed)


def selected_argo(listed: tuple[str, ...]) -> str:
    """The Argo version of this run: ARGO_MCP_E2E_ARGO if set (one of the listed), else the first listed."""
    chosen = os.environ.get(ARGO_ENV, "").strip()
    if not chosen:
        return listed[0]
    if not chosen.startswith("v"):
        chosen = "v" + chosen
    if chosen not in listed:
        raise ValueError(
            f"{ARGO_ENV}={chosen} is not pinned in {VERSIONS_FILE} [argo].workflows; use one of {', '.join(listed)}"
        )
    return chosen


@cache
def load() -> Versions:
    data = tomllib.loads(VERSIONS_FILE.read_text())
    v = data["versions"]
    k = data.get("kind", {})
    listed = argo_versions()
    argo = selected_argo(listed)
    return Versions(
        kubernetes=v["kubernetes"],
        etcd=v["etcd"],
        kwok=v["kwok"],
        argo_workflows=argo,
        argo_versions=listed,
        argo_events=v["argo_events"],
        kind_node_image=k.get("node_image", ""),
        argo_install_url=k.get("argo_install_url", "").format(argo_workflows=argo),
        coredns=data.get("node", {}).get("coredns", ""),
        kind=k.get("kind", ""),
        kind_s3_image=k.get("s3_image", ""),
        kind_postgres_image=k.get("postgres_image", ""),
        nats_server=data.get("events", {}).get("nats_server", ""),
    )


@cache
def go_version() -> str:
    try:
        out = subprocess.run(
            ["go", "env", "GOVERSION"], capture_output=True, text=True, check=True, timeout=60
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        raise RuntimeError(f"the Go toolchain is needed to build the e2e stack: {exc}") from exc
    return out


def versions_hash() -> str:
    key = {**load().as_dict(), "go": go_version(), "recipe": BUILD_RECIPE}
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:12]


def build_dir() -> Path:
    return cache_root() / "e2e" / versions_hash()


def bin_dir() -> Path:
    return build_dir() / "bin"


def node_versions_hash() -> str:
    v = load()
    key = {
        "kubernetes": v.kubernetes,
        "argo-workflows": v.argo_workflows,
        "coredns": v.coredns,
        "go": go_version(),
        "recipe": NODE_RECIPE,
    }
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:12]


def node_build_dir() -> Path:
    """The real node's binaries: ~/.cache/argo-mcp/e2e/node-<hash> (kubelet, kube-proxy, coredns, argoexec)."""
    return cache_root() / "e2e" / f"node-{node_versions_hash()}"


def node_bin_dir() -> Path:
    return node_build_dir() / "bin"


def kind_versions_hash() -> str:
    """The kind provider's tools (kind, kubectl): their own cache key, never the control plane's."""
    v = load()
    key = {"kind": v.kind, "kubectl": v.kubernetes, "go": go_version(), "recipe": KIND_RECIPE}
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:12]


def kind_bin_dir() -> Path:
    """~/.cache/argo-mcp/kind-<hash>/bin: kind and kubectl for the kind provider."""
    return cache_root() / f"kind-{kind_versions_hash()}" / "bin"


def events_versions_hash() -> str:
    v = load()
    key = {
        "argo-events": v.argo_events,
        "nats-server": v.nats_server,
        "go": go_version(),
        "recipe": EVENTS_RECIPE,
    }
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:12]


def events_build_dir() -> Path:
    """Argo Events' binaries: ~/.cache/argo-mcp/e2e/events-<hash> (argo-events, nats-server)."""
    return cache_root() / "e2e" / f"events-{events_versions_hash()}"


def events_bin_dir() -> Path:
    return events_build_dir() / "bin"


def images_dir() -> Path:
    """Image archives (docker-save format), one file per content hash: <name>-<hash>.tar."""
    return cache_root() / "images"


def go_env() -> dict[str, str]:
    """Environment for every go command: module and build caches shared across version hashes."""
    env = dict(os.environ)
    go = cache_root() / "go"
    env.update(
        GOMODCACHE=str(go / "mod"),
        GOCACHE=str(go / "build"),
        GOFLAGS="-buildvcs=false",
        CGO_ENABLED="0",
        GOTOOLCHAIN=env.get("GOTOOLCHAIN", "local"),
        GOWORK="off",
    )
    return env


def module_dir(module: str, version: str) -> Path:
    """Where `go mod download` puts an extracted module (uppercase letters escaped as !x)."""
    escaped = "".join("!" + c.lower() if c.isupper() else c for c in module)
    return Path(go_env()["GOMODCACHE"]) / f"{escaped}@{version}"


BINARIES = (
    "etcd",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kubectl",
    "kwok",
    "kwokctl",
    "workflow-controller",
    "argo",
)

NODE_BINARIES = ("kubelet", "kube-proxy", "coredns", "argoexec")

EVENTS_BINARIES = ("argo-events", "nats-server")
