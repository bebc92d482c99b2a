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


def cache_root() -> Path:
    base = os.environ.get("ARGO_MCP_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "argo-mcp"
    )
    return Path(base)


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


@cache
def load() -> Versions:
    data = tomllib.loads(VERSIONS_FILE.read_text())
    v = data["versions"]
    k = data.get("kind", {})
    return Versions(
        kubernetes=v["kubernetes"],
        etcd=v["etcd"],
        kwok=v["kwok"],
        argo_workflows=v["argo_workflows"],
        argo_events=v["argo_events"],
        kind_node_image=k.get("node_image", ""),
        argo_install_url=k.get("argo_install_url", "").format(argo_workflows=v["argo_workflows"]),
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
