"""The Kustomize base and overlay render the same objects as the Helm chart for the same settings."""

from __future__ import annotations

import json

import yaml

from .bundle import (
    BASE_VALUES,
    KUSTOMIZE,
    Obj,
    assert_restricted,
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

REGENERATE = "deploy/kustomize/base is stale: run ./dev gen"


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


OPERATOR_LABELS = ("app.kubernetes.io/name", "app.kubernetes.io/component")


def _operator_objects(objs: list[Obj], rename: dict[str, str]) -> dict[str, Obj]:
    """The operator's objects, compared on everything but the names (release-derived in the chart), the labels
    beyond name and component, and the selector (the chart's also selects its release)."""
    out: dict[str, Obj] = {}
    for original in objs:
        text = json.dumps(original)
        for old, new in rename.items():
            text = text.replace(f'"{old}"', f'"{new}"')
        obj: Obj = json.loads(text)
        meta = obj["metadata"]
        if obj["kind"] == "Namespace":  # the chart installs into the release namespace
            continue
        if obj["kind"] == "CustomResourceDefinition":
            # Helm-only: the chart keeps the CRD on uninstall (Kustomize users delete it themselves).
            annotations = meta.get("annotations", {})
            annotations.pop("helm.sh/resource-policy", None)
            if not annotations:
                meta.pop("annotations", None)
        else:
            if meta.get("labels", {}).get("app.kubernetes.io/name") != "argo-mcp-operator":
                continue
            holders = [meta]
            if obj["kind"] == "Deployment":
                holders.append(obj["spec"]["template"]["metadata"])
                obj["spec"].pop("selector")
            for holder in holders:
                holder["labels"] = {k: v for k, v in holder["labels"].items() if k in OPERATOR_LABELS}
        out[f"{obj['kind']}/{meta.get('namespace', '')}/{meta['name']}"] = obj
    return out


def test_operator_equals_the_chart_operator() -> None:
    """deploy/kustomize/operator and the chart with operator.enabled: the same CRD, ClusterRole rules,
    ServiceAccount and Deployment (command, args, env, probes, security, volumes) for the same settings."""
    kustomize_objs = kustomize_build(KUSTOMIZE / "operator")
    (namespace,) = by_kind(kustomize_objs, "Namespace")
    assert namespace["metadata"]["name"] == "argo-mcp-system"
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    kustomize = _operator_objects(kustomize_objs, {})
    assert sorted(o["kind"] for o in kustomize_objs) == sorted(
        [
            "Namespace",
            "CustomResourceDefinition",
            "ServiceAccount",
            "ClusterRole",
            "ClusterRoleBinding",
            "Deployment",
        ]
    )
    chart_objs = helm_template(
        release="argo-mcp", namespace="argo-mcp-system", values={"operator": {"enabled": True}}
    )
    helm = _operator_objects(chart_objs, {"argo-mcp-system-argo-mcp-operator": "argo-mcp-operator"})
    assert sorted(helm) == sorted(kustomize), _diff(helm, kustomize)
    for key in helm:
        assert helm[key] == kustomize[key], _diff({key: helm[key]}, {key: kustomize[key]})
    # The chart's selector still picks exactly its operator pods.
    deployment = one(chart_objs, "Deployment", "argo-mcp-operator")
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["args"] == [
        "--all-namespaces",
        "--liveness=http://0.0.0.0:8080/healthz",
        "--log-level=info",
    ]
    assert "env" not in container
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
    assert container["ports"] == [{"name": "health", "containerPort": 8080, "protocol": "TCP"}]


def test_operator_settings_reach_the_chart_operator() -> None:
    objs = helm_template(
        namespace="tools",
        values={
            "operator": {
                "enabled": True,
                "logLevel": "debug",
                "image": {"repository": "registry.example/argo-mcp", "tag": "1.2.3"},
            }
        },
    )
    (container,) = one(objs, "Deployment", "argo-mcp-operator")["spec"]["template"]["spec"]["containers"]
    assert "--log-level=debug" in container["args"]
    assert container["image"] == "registry.example/argo-mcp:1.2.3"


def test_kustomize_renders_are_schema_valid_and_restricted() -> None:
    for path in (KUSTOMIZE / "base", KUSTOMIZE / "overlays" / "example", KUSTOMIZE / "operator"):
        objs = kustomize_build(path)
        result = kubeconform(yaml.safe_dump_all(objs))
        assert result.returncode == 0, result.stdout
        for name, spec in pod_specs(objs):
            assert_restricted(name, spec)
        code, results = psa_check(yaml.safe_dump_all(objs))
        assert code == 0 and results, results
