"""Helpers shared by the deployment-bundle tests: pinned tools, helm/kustomize rendering, normalisation.

Tools come from scripts/install-tools (built on first use, cached outside the repository). A tool that cannot
be installed makes the tests fail with the installer's output; they never skip.
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "argo-mcp"
CI_VALUES = CHART / "ci"
KUSTOMIZE = ROOT / "deploy" / "kustomize"
INSTALL_TOOLS = ROOT / "scripts" / "install-tools"

Obj = dict[str, Any]

# Kinds whose schemas are not built into Kubernetes (CRDs of cert-manager and the Prometheus Operator):
# kubeconform skips them and the tests check their fields directly.
NON_BUILTIN_KINDS = ("Certificate", "ServiceMonitor", "PrometheusRule", "HTTPRoute")


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


def kubectl() -> str:
    found = shutil.which("kubectl")
    if found is None:
        raise ToolError(
            "kubectl (with its built-in kustomize) is not on PATH; it is needed to render deploy/kustomize"
        )
    return found


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


def kustomize_build(path: Path) -> list[Obj]:
    return load_all(run([kubectl(), "kustomize", str(path)]).stdout)


def kubeconform(manifests: str) -> subprocess.CompletedProcess[str]:
    """Validate manifests strictly against the kube-apiserver's schemas (offline); skips NON_BUILTIN_KINDS."""
    schemas = tool("k8s-schemas")
    cmd = [
        str(tool("kubeconform")),
        "-strict",
        "-summary",
        "-output",
        "json",
        "-skip",
        ",".join(NON_BUILTIN_KINDS),
        "-schema-location",
        f"{schemas}/{{{{ .ResourceKind }}}}{{{{ .KindSuffix }}}}.json",
        "-",
    ]
    return run(cmd, check=False, stdin=manifests)


def psa_check(manifests: str, level: str = "restricted") -> tuple[int, list[Obj]]:
    """Evaluate every pod spec with the upstream Pod Security Standards evaluator (scripts/psa-check)."""
    proc = run([str(tool("psa-check")), "-level", level], check=False, stdin=manifests)
    if proc.returncode not in (0, 1):
        raise ToolError(f"psa-check failed: {proc.stderr}")
    return proc.returncode, [json.loads(line) for line in proc.stdout.splitlines()]


def by_kind(objs: Iterable[Obj], kind: str) -> list[Obj]:
    return [o for o in objs if o.get("kind") == kind]


def one(objs: Iterable[Obj], kind: str, name: str | None = None) -> Obj:
    found = [o for o in by_kind(objs, kind) if name is None or o["metadata"]["name"] == name]
    assert len(found) == 1, (
        f"expected one {kind} {name or ''}, found {[o['metadata']['name'] for o in found]}"
    )
    return found[0]


def pod_specs(objs: Iterable[Obj]) -> Iterator[tuple[str, Obj]]:
    """Every pod spec in the objects: Pods and the templates of workload controllers."""
    for obj in objs:
        kind = obj.get("kind")
        name = f"{kind}/{obj['metadata']['name']}"
        if kind == "Pod":
            yield name, obj["spec"]
        elif kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
            yield name, obj["spec"]["template"]["spec"]
        elif kind == "CronJob":
            yield name, obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def container_args(objs: Iterable[Obj], name: str = "argo-mcp") -> list[str]:
    deploy = one(objs, "Deployment", name)
    args: list[str] = deploy["spec"]["template"]["spec"]["containers"][0]["args"]
    return args


def flag_value(args: Sequence[str], flag: str) -> str | None:
    for i, arg in enumerate(args):
        if arg == flag:
            return args[i + 1] if i + 1 < len(args) else ""
    return None


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


BASE_FILES = {
    "serviceaccount.yaml": ("ServiceAccount",),
    "rbac.yaml": ("Role", "RoleBinding"),
    "cluster-rbac.yaml": ("ClusterRole", "ClusterRoleBinding"),
    "deployment.yaml": ("Deployment",),
    "service.yaml": ("Service",),
}
BASE_VALUES: Obj = {"tls": {"mode": "secretRef", "secretName": "argo-mcp-tls"}}
BASE_HEADER = (
    "# Generated from the Helm chart's defaults (release argo-mcp, tls.mode=secretRef argo-mcp-tls) by\n"
    "# `python tests/deploy/bundle.py regen-kustomize-base`; test_kustomize.py checks that it matches.\n"
)


def regenerate_kustomize_base() -> None:
    """Rewrite deploy/kustomize/base from the chart's render, without what only Helm adds."""
    objs = normalise(helm_template(release="argo-mcp", namespace="argo-mcp", values=BASE_VALUES)).values()
    for name, kinds in BASE_FILES.items():
        docs = [o for o in objs if o["kind"] in kinds]
        for doc in docs:
            doc["metadata"].pop("namespace", None)  # set by kustomization.yaml
        (KUSTOMIZE / "base" / name).write_text(
            BASE_HEADER + yaml.safe_dump_all(docs, sort_keys=False, width=110)
        )
        print(f"wrote deploy/kustomize/base/{name}: {len(docs)} objects")


if __name__ == "__main__":
    import sys

    if sys.argv[1:] != ["regen-kustomize-base"]:
        sys.exit("usage: python tests/deploy/bundle.py regen-kustomize-base")
    regenerate_kustomize_base()
