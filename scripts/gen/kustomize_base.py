"""deploy/kustomize/base, from the Helm chart's render with its defaults and a TLS Secret (needs helm).

Kustomize users get the same objects as `helm template` gives, without what only Helm adds; tests/deploy
renders both and compares them object by object, and the generated-files check compares the bytes.
"""

from __future__ import annotations

import functools
import json

import yaml

from scripts.gen.helm import ROOT, Obj, helm_template, normalise

KUSTOMIZE = ROOT / "deploy" / "kustomize"
BASE_FILES = {
    "serviceaccount.yaml": ("ServiceAccount",),
    "rbac.yaml": ("Role", "RoleBinding"),
    "cluster-rbac.yaml": ("ClusterRole", "ClusterRoleBinding"),
    "deployment.yaml": ("Deployment",),
    "service.yaml": ("Service",),
}
# The base names two Secrets the user creates once instead of carrying them: a certificate Kustomize cannot
# make, and the task key, which must be random per install (a key committed here would be every install's).
BASE_VALUES: Obj = {
    "tls": {"mode": "secretRef", "secretName": "argo-mcp-tls"},
    "taskKeySecretRef": {"name": "argo-mcp-task-key"},
}
BASE_HEADER = (
    "# Generated from the Helm chart's defaults (release argo-mcp, tls.mode=secretRef argo-mcp-tls,\n"
    "# taskKeySecretRef.name=argo-mcp-task-key) by\n"
    "# `./dev gen`; tests/deploy/test_kustomize.py checks that it matches.\n"
)


@functools.cache
def _objects() -> tuple[Obj, ...]:
    """The chart's render once for all base files (each helm run costs about a second)."""
    return tuple(
        normalise(helm_template(release="argo-mcp", namespace="argo-mcp", values=BASE_VALUES)).values()
    )


def base_file(name: str) -> str:
    """deploy/kustomize/base/<name>: the chart's objects of that file's kinds, the namespace left to kustomize."""
    docs: list[Obj] = [json.loads(json.dumps(o)) for o in _objects() if o["kind"] in BASE_FILES[name]]
    for doc in docs:
        doc["metadata"].pop("namespace", None)  # set by kustomization.yaml
    return BASE_HEADER + yaml.safe_dump_all(docs, sort_keys=False, width=110)
