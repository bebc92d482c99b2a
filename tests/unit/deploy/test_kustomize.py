"""The Kustomize base and overlay render the same objects as the Helm chart for the same settings."""

from __future__ import annotations

import json

import yaml

from .bundle import (
    BASE_VALUES,
    KUSTOMIZE,
    by_kind,
    container_args,
    flag_value,
    helm_template,
    kubeconform,
    kustomize_build,
    normalise,
    one,
    pod_specs,
    psa_check,
)
from .test_chart import _assert_restricted

REGENERATE = "deploy/kustomize/base is stale: python tests/unit/deploy/bundle.py regen-kustomize-base"


def _diff(helm: dict[str, dict[str, object]], kustomize: dict[str, dict[str, object]]) -> str:
    lines = [
        f"only in helm: {sorted(set(helm) - set(kustomize))}",
        f"only in kustomize: {sorted(set(kustomize) - set(helm))}",
    ]
    for key in sorted(set(helm) & set(kustomize)):
        if helm[key] != kustomize[key]:
            lines.append(
                f"differs: {key}\n helm:      {json.dumps(helm[key], sort_keys=True)}\n kustomize: "
                f"{json.dumps(kustomize[key], sort_keys=True)}"
            )
    return "\n".join(lines)


def test_base_equals_the_chart_defaults_with_a_tls_secret() -> None:
    helm = normalise(helm_template(release="argo-mcp", namespace="argo-mcp", values=BASE_VALUES))
    kustomize = normalise(kustomize_build(KUSTOMIZE / "base"))
    assert helm == kustomize, f"{REGENERATE}\n{_diff(helm, kustomize)}"


def test_example_overlay_equals_the_chart_with_its_values() -> None:
    values = yaml.safe_load((KUSTOMIZE / "overlays" / "example" / "helm-values.yaml").read_text())
    helm = normalise(helm_template(release="argo-mcp", namespace="argo", values=values))
    kustomize = normalise(kustomize_build(KUSTOMIZE / "overlays" / "example"))
    assert helm == kustomize, _diff(helm, kustomize)
    objs = list(kustomize.values())
    args = container_args(objs)
    assert flag_value(args, "--argo-server-url") == "https://argo-server.argo.svc.cluster.local:2746"
    assert "--disable-destructive" in args and "--read-only" not in args
    assert flag_value(args, "--namespaces") == "argo"
    assert one(objs, "Role")["metadata"]["namespace"] == "argo"
    for binding in by_kind(objs, "ClusterRoleBinding"):
        assert binding["metadata"]["name"].startswith("argo-argo-mcp-")
        assert binding["subjects"][0]["namespace"] == "argo"
    assert one(objs, "ClusterRole")["metadata"]["name"] == "argo-argo-mcp-cwt-reader"
    assert (
        one(objs, "ClusterRoleBinding", "argo-argo-mcp-cwt")["roleRef"]["name"] == "argo-argo-mcp-cwt-reader"
    )


def test_kustomize_renders_are_schema_valid_and_restricted() -> None:
    for path in (KUSTOMIZE / "base", KUSTOMIZE / "overlays" / "example"):
        objs = kustomize_build(path)
        result = kubeconform(yaml.safe_dump_all(objs))
        assert result.returncode == 0, result.stdout
        for name, spec in pod_specs(objs):
            _assert_restricted(name, spec)
        code, results = psa_check(yaml.safe_dump_all(objs))
        assert code == 0 and results, results
