"""Rendering the Helm chart with the pinned helm, for the Kustomize base generator and the deploy tests.

helm comes from scripts/install-tools (built from its Go module on first use, cached outside the repository),
so whatever imports this needs Go on a cold machine; tests/unit never does.
"""

from __future__ import annotations

import functools
import json
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "argo-mcp"
INSTALL_TOOLS = ROOT / "scripts" / "install-tools"

Obj = dict[str, Any]


class ToolError(RuntimeError):
    """A validation tool could not be installed or failed to run."""


@functools.cache
def tool(name: str) -> Path:
    """Path of a pinned tool, installing it first if needed (helm, kubeconform, hadolint, k8s-schemas)."""
    proc = subprocess.run(
        [str(INSTALL_TOOLS), "--print-path", name], capture_output=True, text=True, timeout=3600, check=False
    )
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise ToolError(f"scripts/install-tools could not provide {name!r}:\n{proc.stderr}{proc.stdout}")
    path = Path(lines[-1])
    if not path.exists():
        raise ToolError(f"scripts/install-tools printed {path} for {name!r}, which does not exist")
    return path


def run(
    cmd: Sequence[str], *, check: bool = True, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(list(cmd), capture_output=True, text=True, input=stdin, timeout=300, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr}\n{proc.stdout}")
    return proc


def load_all(text: str) -> list[Obj]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


def helm_args(
    values_files: Iterable[Path] = (), sets: Mapping[str, str] | None = None, values: Obj | None = None
) -> list[str]:
    args: list[str] = []
    for path in values_files:
        args += ["--values", str(path)]
    if values is not None:
        args += ["--values", "-"]
    for key, value in (sets or {}).items():
        args += ["--set", f"{key}={value}"]
    return args


def helm_template_proc(
    *,
    release: str = "argo-mcp",
    namespace: str = "argo-mcp",
    values_files: Iterable[Path] = (),
    sets: Mapping[str, str] | None = None,
    values: Obj | None = None,
    extra: Sequence[str] = (),
) -> subprocess.CompletedProcess[str]:
    cmd = [str(tool("helm")), "template", release, str(CHART), "--namespace", namespace]
    cmd += helm_args(values_files, sets, values) + list(extra)
    return run(cmd, check=False, stdin=yaml.safe_dump(values) if values is not None else None)


def helm_template(**kwargs: Any) -> list[Obj]:
    proc = helm_template_proc(**kwargs)
    if proc.returncode != 0:
        raise AssertionError(f"helm template failed:\n{proc.stderr}")
    return load_all(proc.stdout)


HELM_ONLY_LABELS = ("helm.sh/chart", "app.kubernetes.io/managed-by")


def normalise(objs: Iterable[Obj]) -> dict[str, Obj]:
    """Objects keyed by kind/namespace/name, without what only Helm adds (chart label, managed-by,
    checksums, hooks)."""
    out: dict[str, Obj] = {}
    for original in objs:
        obj: Obj = json.loads(json.dumps(original))
        meta = obj["metadata"]
        if "helm.sh/hook" in meta.get("annotations", {}):
            continue
        for holder in (meta, obj.get("spec", {}).get("template", {}).get("metadata", {})):
            for label in HELM_ONLY_LABELS:
                holder.get("labels", {}).pop(label, None)
            annotations = holder.get("annotations", {})
            for key in [k for k in annotations if k.startswith("checksum/")]:
                annotations.pop(key)
            if "annotations" in holder and not holder["annotations"]:
                holder.pop("annotations")
        key = f"{obj['kind']}/{meta.get('namespace', '')}/{meta['name']}"
        assert key not in out, f"duplicate object {key}"
        out[key] = obj
    return out
