"""Helpers shared by the deployment-bundle tests: pinned tools, kustomize rendering, validators, object lookups.

Tools come from scripts/install-tools (built on first use, cached outside the repository). A tool that cannot
be installed makes the tests fail with the installer's output; they never skip.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import yaml

from scripts.gen.helm import (
    CHART,
    INSTALL_TOOLS,
    ROOT,
    Obj,
    ToolError,
    helm_template,
    helm_template_proc,
    load_all,
    normalise,
    run,
    tool,
)
from scripts.gen.kustomize_base import BASE_VALUES, KUSTOMIZE

__all__ = [
    "BASE_VALUES",
    "CHART",
    "CI_VALUES",
    "INSTALL_TOOLS",
    "KUSTOMIZE",
    "NON_BUILTIN_KINDS",
    "ROOT",
    "Obj",
    "ToolError",
    "assert_restricted",
    "by_kind",
    "container_args",
    "flag_value",
    "helm_template",
    "helm_template_proc",
    "kubeconform",
    "kubectl",
    "kustomize_build",
    "load_all",
    "normalise",
    "one",
    "pod_specs",
    "psa_check",
    "render_notes",
    "run",
    "tool",
]

CI_VALUES = CHART / "ci"

# Kinds whose schemas are not built into Kubernetes (CRDs of cert-manager and the Prometheus Operator):
# kubeconform skips them and the tests check their fields directly.
NON_BUILTIN_KINDS = ("Certificate", "ServiceMonitor", "PrometheusRule", "HTTPRoute")


def kubectl() -> str:
    found = shutil.which("kubectl")
    if found is None:
        raise ToolError(
            "kubectl (with its built-in kustomize) is not on PATH; it is needed to render deploy/kustomize"
        )
    return found


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


ALLOWED_VOLUME_SOURCES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
}


def assert_restricted(name: str, spec: Obj, *, fixed_uid: bool = True) -> None:
    """The restricted Pod Security Standard, field by field, plus a read-only root filesystem; with
    ``fixed_uid=False`` (the chart's openshift) the platform assigns the UID, so none may be named."""
    for host in ("hostNetwork", "hostPID", "hostIPC"):
        assert not spec.get(host, False), f"{name}: {host}"
    pod_sc: Obj = spec.get("securityContext", {})
    assert not pod_sc.get("sysctls"), f"{name}: sysctls"
    for volume in spec.get("volumes", []):
        sources = set(volume) - {"name"}
        assert sources <= ALLOWED_VOLUME_SOURCES, f"{name}: volume {volume['name']} uses {sources}"
    containers: list[Obj] = spec.get("initContainers", []) + spec["containers"]
    for c in containers:
        where = f"{name} container {c['name']}"
        sc: Obj = c.get("securityContext", {})
        run_as_non_root = sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot"))
        assert run_as_non_root is True, f"{where}: runAsNonRoot"
        run_as_user = sc.get("runAsUser", pod_sc.get("runAsUser"))
        if fixed_uid:
            assert run_as_user not in (None, 0), f"{where}: runAsUser must be a non-zero uid"
            assert run_as_user == 65532
        else:
            assert run_as_user is None, f"{where}: names UID {run_as_user}; OpenShift assigns one"
        seccomp: Obj = sc.get("seccompProfile") or pod_sc.get("seccompProfile") or {}
        assert seccomp.get("type") in ("RuntimeDefault", "Localhost"), f"{where}: seccompProfile"
        assert sc.get("allowPrivilegeEscalation") is False, f"{where}: allowPrivilegeEscalation"
        assert sc.get("privileged", False) is False, f"{where}: privileged"
        caps: Obj = sc.get("capabilities", {})
        assert "ALL" in caps.get("drop", []), f"{where}: capabilities.drop ALL"
        assert set(caps.get("add", [])) <= {"NET_BIND_SERVICE"}, f"{where}: capabilities.add"
        assert sc.get("procMount", "Default") == "Default", f"{where}: procMount"
        assert sc.get("readOnlyRootFilesystem") is True, f"{where}: readOnlyRootFilesystem"
        for port in c.get("ports", []):
            assert "hostPort" not in port, f"{where}: hostPort"
        assert c.get("resources", {}).get("limits", {}).get("memory"), f"{where}: memory limit"


def render_notes(tmp_path: Path, *args: str) -> str:
    """NOTES.txt rendered offline: `helm install --dry-run` needs a reachable cluster, so a copy of the chart
    renders the same file through `tpl` (same helpers, same values) into a ConfigMap."""
    chart = tmp_path / "argo-mcp"
    shutil.copytree(CHART, chart)
    shutil.copy(CHART / "templates" / "NOTES.txt", chart / "notes-under-test.txt")
    (chart / "templates" / "zz-notes.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n"
        '  notes: {{ tpl (.Files.Get "notes-under-test.txt") . | toJson }}\n'
    )
    helm = str(tool("helm"))
    out = run(
        [helm, "template", "argo-mcp", str(chart), "--show-only", "templates/zz-notes.yaml", *args]
    ).stdout
    notes: str = yaml.safe_load(out)["data"]["notes"]
    return notes
