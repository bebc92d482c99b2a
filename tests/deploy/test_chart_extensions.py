"""Chart values beyond the core: argo-helm defaults, exposure (Ingress, HTTPRoute), extra*, alerts, helm test."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from argo_mcp import metrics

from .bundle import (
    NON_BUILTIN_KINDS,
    Obj,
    assert_restricted,
    by_kind,
    container_args,
    flag_value,
    helm_template,
    helm_template_proc,
    kubeconform,
    load_all,
    one,
    pod_specs,
    psa_check,
    render_notes,
    run,
    tool,
)

# Not in the chart's ci/: the e2e dry run applies every ci/ scenario to a cluster without the HTTPRoute and
# PrometheusRule CRDs.
EXPOSED = Path(__file__).parent / "exposed-values.yaml"


def _pod(objs: list[Obj], kind: str = "Deployment") -> Obj:
    obj = one(objs, kind)
    spec: Obj = obj["spec"] if kind == "Pod" else obj["spec"]["template"]["spec"]
    return spec


def test_renders_with_helms_own_default_kubernetes_version() -> None:
    """An unstamped helm assumes Kubernetes v1.20 without a cluster: the chart must not refuse it."""
    objs = helm_template(extra=["--kube-version", "1.20.0"])
    assert one(objs, "Deployment")


def test_default_argo_url_is_argo_helms_service_in_the_same_namespace() -> None:
    args = container_args(helm_template(namespace="argo"))
    assert flag_value(args, "--argo-server-url") == "http://argo-workflows-server.argo.svc:2746"
    args = container_args(helm_template(namespace="ci", values={"argoServer": {"argoHelmRelease": "wf"}}))
    assert flag_value(args, "--argo-server-url") == "http://wf-argo-workflows-server.ci.svc:2746"
    args = container_args(helm_template(values={"argoServer": {"url": "https://argo.example:2746"}}))
    assert flag_value(args, "--argo-server-url") == "https://argo.example:2746"


def test_exposure_adds_its_hosts_to_the_allowed_hosts() -> None:
    objs = helm_template(values_files=[EXPOSED], namespace="tools")
    args = container_args(objs)
    hosts = flag_value(args, "--allowed-hosts")
    assert hosts is not None
    assert hosts.split(",") == [
        "localhost", "*.localhost", "*.svc", "*.svc.cluster.local",
        "mcp.example.com", "mcp.gateway.example.com", "mcp.internal.example.com",
    ]  # fmt: skip
    assert args[-2:] == ["--toolsets", "workflows,archive"], "extraArgs come last, after the generated flags"
    assert "--allowed-hosts" not in container_args(helm_template()), "no flag (server defaults) without hosts"

    ingress = one(objs, "Ingress")
    assert ingress["spec"]["ingressClassName"] == "nginx"
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] == "mcp.example.com"
    assert [p["path"] for p in rule["http"]["paths"]] == ["/mcp", "/.well-known/oauth-protected-resource"]
    assert {p["backend"]["service"]["name"] for p in rule["http"]["paths"]} == {"argo-mcp"}
    route = one(objs, "HTTPRoute")
    assert route["apiVersion"] == "gateway.networking.k8s.io/v1"
    assert route["spec"]["parentRefs"] == [{"name": "public", "namespace": "gateways"}]
    assert route["spec"]["hostnames"] == ["mcp.gateway.example.com"]
    (backend,) = route["spec"]["rules"][0]["backendRefs"]
    assert backend == {"name": "argo-mcp", "port": 8081}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"ingress": {"enabled": True}}, "ingress.hosts must list at least one host name"),
        ({"httpRoute": {"enabled": True}}, "at '/httpRoute/parentRefs'"),
        ({"allowedHosts": ["bad host"]}, "at '/allowedHosts/0'"),
        ({"env": [{"value": "x"}]}, "at '/env/0'"),
        ({"test": {"nodeSelector": {"a": 1}}}, "at '/test/nodeSelector'"),
    ],
)
def test_bad_exposure_values_fail_clearly(values: Obj, message: str) -> None:
    from .bundle import helm_template_proc

    proc = helm_template_proc(values=values)
    assert proc.returncode != 0 and message in proc.stderr, proc.stderr


def test_extra_env_volumes_mounts_and_objects() -> None:
    objs = helm_template(values_files=[EXPOSED], namespace="tools")
    pod = _pod(objs)
    (container,) = pod["containers"]
    assert container["env"] == [{"name": "OTEL_SERVICE_NAME", "value": "argo-mcp"}]
    assert container["volumeMounts"][-1] == {
        "name": "extra-ca",
        "mountPath": "/etc/extra-ca",
        "readOnly": True,
    }
    assert pod["volumes"][-1] == {"name": "extra-ca", "configMap": {"name": "extra-ca"}}
    configmaps = {o["metadata"]["name"]: o for o in by_kind(objs, "ConfigMap")}
    assert configmaps["argo-mcp-extra"]["data"] == {"namespace": "tools"}, "map entries go through tpl"
    assert "argo-mcp-extra-string" in configmaps, "string entries go through tpl"


def test_pod_labels_and_topology_spread_constraints_reach_the_server_pod() -> None:
    objs = helm_template(values_files=[EXPOSED], namespace="tools")
    deploy = one(objs, "Deployment")
    template = deploy["spec"]["template"]
    labels = template["metadata"]["labels"]
    assert labels["example.com/team"] == "agents"
    assert labels["sidecar.istio.io/inject"] == "false", "a quoted string stays a string"
    selector = deploy["spec"]["selector"]["matchLabels"]
    assert selector.items() <= labels.items(), "extra labels keep the selector's"
    assert "example.com/team" not in selector and "example.com/team" not in deploy["metadata"]["labels"]
    assert template["spec"]["topologySpreadConstraints"] == [
        {
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": selector},
        }
    ]
    # The Service still selects the pods by the selector labels only.
    assert one(objs, "Service")["spec"]["selector"] == selector
    plain = one(helm_template(), "Deployment")["spec"]["template"]
    assert "topologySpreadConstraints" not in plain["spec"]
    assert "example.com/team" not in plain["metadata"]["labels"]


def test_exposed_values_render_schema_valid_objects() -> None:
    """kubeconform (strict) on every object of exposed-values.yaml, as test_chart does for the ci/ scenarios."""
    proc = helm_template_proc(values_files=[EXPOSED], namespace="tools")
    assert proc.returncode == 0, proc.stderr
    result = kubeconform(proc.stdout)
    summary = json.loads(result.stdout)
    bad = [r for r in summary["resources"] if r["status"] not in ("statusValid", "statusSkipped")]
    assert result.returncode == 0 and not bad, json.dumps(bad or summary, indent=1)
    kinds = [o["kind"] for o in load_all(proc.stdout)]
    crd_backed = [k for k in kinds if k in NON_BUILTIN_KINDS]
    assert sorted(crd_backed) == ["HTTPRoute", "PrometheusRule", "ServiceMonitor"]
    # Every other object (Deployment with its topology spread, Ingress, extra ConfigMaps, ...) was validated.
    assert summary["summary"] == {"valid": len(kinds) - 3, "invalid": 0, "errors": 0, "skipped": 3}


def test_exposed_values_pods_meet_the_restricted_pod_security_standard() -> None:
    proc = helm_template_proc(values_files=[EXPOSED], namespace="tools")
    assert proc.returncode == 0, proc.stderr
    code, results = psa_check(proc.stdout)
    assert code == 0, json.dumps([r for r in results if not r["allowed"]], indent=1)
    assert {r["object"].split("/")[0] for r in results} >= {"Deployment", "Pod"}
    for name, spec in pod_specs(load_all(proc.stdout)):
        assert_restricted(name, spec)


def test_kubeconform_checks_the_topology_spread_constraints() -> None:
    """Guards the validation above: a misspelt constraint field fails the strict schema check."""
    deploy = one(helm_template(values_files=[EXPOSED]), "Deployment")
    deploy["spec"]["template"]["spec"]["topologySpreadConstraints"][0]["maxSkw"] = 1
    result = kubeconform(yaml.safe_dump(deploy))
    assert result.returncode != 0 and "maxSkw" in result.stdout, result.stdout


def test_helm_test_pod_follows_the_servers_placement_unless_told_otherwise() -> None:
    objs = helm_template(values_files=[EXPOSED])
    server, test = _pod(objs), _pod(objs, "Pod")
    assert test["nodeSelector"] == server["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert test["tolerations"] == server["tolerations"]
    assert test["containers"][0]["resources"]["limits"] == {"memory": "64Mi"}

    objs = helm_template(
        values={
            "nodeSelector": {"kubernetes.io/os": "linux"},
            "test": {
                "nodeSelector": {"node": "real"},
                "tolerations": [{"key": "kwok", "operator": "Exists"}],
                "resources": {"limits": {"memory": "96Mi"}},
            },
        }
    )
    test = _pod(objs, "Pod")
    assert test["nodeSelector"] == {"node": "real"}
    assert test["tolerations"] == [{"key": "kwok", "operator": "Exists"}]
    assert test["containers"][0]["resources"]["limits"] == {"memory": "96Mi"}
    test = _pod(helm_template(values={"nodeSelector": {"a": "b"}, "test": {"nodeSelector": {}}}), "Pod")
    assert "nodeSelector" not in test, "an explicit empty map clears the server's selector"


def test_prometheus_rule_alerts_use_metrics_the_server_exports() -> None:
    objs = helm_template(values_files=[EXPOSED], namespace="tools")
    rule = one(objs, "PrometheusRule")
    assert rule["metadata"]["labels"]["release"] == "prometheus"
    (group,) = rule["spec"]["groups"]
    alerts = {r["alert"]: r for r in group["rules"]}
    assert set(alerts) == {
        "ArgoMCPDown",
        "ArgoMCPArgoDown",
        "ArgoMCPArgoUnreachable",
        "ArgoMCPToolErrorRate",
        "ArgoMCPToolLatency",
    }
    exported = {m.name for m in metrics.REGISTRY.collect()}
    for alert in alerts.values():
        assert 'namespace="tools", job="argo-mcp"' in alert["expr"], alert["expr"]
        for name in re.findall(r"\b(argo_mcp_[a-z_]+?)(?:_bucket|_total)?\{", alert["expr"]):
            assert name in exported, f"{alert['alert']} uses {name}, which argo-mcp does not export"
    # The gauge each pod keeps of its Argo server's answers (per server URL), what pages first.
    assert "argo_mcp_argo_up{" in alerts["ArgoMCPArgoDown"]["expr"]
    assert alerts["ArgoMCPArgoDown"]["expr"].endswith("== 0")
    assert alerts["ArgoMCPArgoDown"]["labels"]["severity"] == "critical"
    # Every code of a request that got no answer (argo/client.py `_failure_code`) means Argo is not reachable.
    assert 'code=~"unreachable|timeout|tls"' in alerts["ArgoMCPArgoUnreachable"]["expr"]
    assert "> 0.1" in alerts["ArgoMCPToolErrorRate"]["expr"]
    assert "> 10" in alerts["ArgoMCPToolLatency"]["expr"]
    assert not by_kind(helm_template(), "PrometheusRule")


def test_promtool_style_expressions_are_balanced() -> None:
    rule = one(helm_template(values={"prometheusRule": {"enabled": True}}), "PrometheusRule")
    for alert in rule["spec"]["groups"][0]["rules"]:
        expr = alert["expr"]
        for open_, close in ("()", "{}", "[]"):
            assert expr.count(open_) == expr.count(close), (alert["alert"], expr)


def test_notes_create_the_callers_identity_for_the_mode(tmp_path: Path) -> None:
    notes = render_notes(tmp_path, "--namespace", "argo", "--set", "mode=operate")
    assert "http://argo-workflows-server.argo.svc:2746" in notes and "argoServer.url" in notes
    assert "kubectl -n argo create serviceaccount my-agent" in notes
    assert "kind: Role" in notes and "kind: RoleBinding" in notes
    assert '"create", "update", "patch"' in notes and '"delete"' not in notes
    assert "kubectl -n argo port-forward svc/argo-mcp 8081" in notes
    assert "https://localhost:8081/mcp" in notes
    assert "the release namespace" in notes
    notes = render_notes(tmp_path / "two", "--namespace", "argo", "--set", "namespaces={team-a,team-b}")
    assert notes.count("kind: RoleBinding") == 2 and "namespace: team-b}" in notes


def test_chart_has_artifact_hub_metadata() -> None:
    import yaml

    from .bundle import CHART

    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert "kubeVersion" not in chart
    assert chart["icon"].startswith("https://") and chart["sources"]
    for key in (
        "artifacthub.io/license",
        "artifacthub.io/links",
        "artifacthub.io/crds",
        "artifacthub.io/images",
    ):
        assert key in chart["annotations"], key
    for key in ("artifacthub.io/links", "artifacthub.io/crds", "artifacthub.io/images"):
        assert isinstance(yaml.safe_load(chart["annotations"][key]), list), key
    run([str(tool("helm")), "lint", "--strict", str(CHART), "--values", str(EXPOSED)])


def _hpa_metrics(values: Obj) -> list[Obj]:
    hpa = one(helm_template(values={"autoscaling": values}), "HorizontalPodAutoscaler")
    metrics_: list[Obj] = hpa["spec"]["metrics"]
    return metrics_


def test_the_hpa_scales_on_calls_in_flight_as_well_as_cpu() -> None:
    """The Pods metric names the gauge the server exports (its label selector, a label the gauge carries);
    kubeconform checks the HPA in test_exposed_values_render_schema_valid_objects."""
    objs = helm_template(values_files=[EXPOSED], namespace="tools")
    hpa = one(objs, "HorizontalPodAutoscaler")
    cpu, calls = hpa["spec"]["metrics"]
    assert cpu["resource"] == {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}
    assert calls["type"] == "Pods"
    assert calls["pods"]["metric"] == {
        "name": "argo_mcp_calls_in_flight",
        "selector": {"matchLabels": {"budget": "short"}},
    }
    assert calls["pods"]["target"] == {"type": "AverageValue", "averageValue": "24"}
    assert hpa["spec"]["maxReplicas"] == 6
    exported = {m.name: m for m in metrics.REGISTRY.collect()}
    assert "argo_mcp_calls_in_flight" in exported
    assert "budget" in metrics.CALLS_IN_FLIGHT._labelnames

    only_calls = _hpa_metrics(
        {"enabled": True, "targetCPUUtilizationPercentage": None, "callsInFlight": {"enabled": True}}
    )
    assert [m["type"] for m in only_calls] == ["Pods"]
    assert only_calls[0]["pods"]["target"]["averageValue"] == "32"
    assert [m["type"] for m in _hpa_metrics({"enabled": True})] == ["Resource"], "CPU alone by default"


def test_an_hpa_without_any_metric_is_refused_with_the_fix() -> None:
    proc = helm_template_proc(
        values={"autoscaling": {"enabled": True, "targetCPUUtilizationPercentage": None}}
    )
    assert proc.returncode != 0
    assert "autoscaling.callsInFlight.enabled=true" in proc.stderr
    bad = helm_template_proc(values={"autoscaling": {"callsInFlight": {"averageValue": "lots"}}})
    assert bad.returncode != 0 and "averageValue" in bad.stderr
