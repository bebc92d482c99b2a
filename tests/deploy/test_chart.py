"""The Helm chart: lint, render for every scenario, schema-validate offline, security and RBAC contracts."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509

from .bundle import (
    CHART,
    CI_VALUES,
    ROOT,
    Obj,
    assert_restricted,
    by_kind,
    container_args,
    flag_value,
    helm_template,
    helm_template_proc,
    kubeconform,
    one,
    pod_specs,
    psa_check,
    render_notes,
    run,
    tool,
)

SCENARIOS = sorted(CI_VALUES.glob("*-values.yaml"))
SCENARIO_IDS = [p.name.removesuffix("-values.yaml") for p in SCENARIOS]

# The RBAC table (the operator renders the same rules for the same mode).
READ_RULES: list[Obj] = [
    {
        "apiGroups": ["argoproj.io"],
        "resources": ["workflows", "workflowtemplates", "cronworkflows", "eventsources", "sensors"],
        "verbs": ["get", "list", "watch"],
    },
    {"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list", "watch"]},
]
OPERATE_RULES: list[Obj] = [
    {
        "apiGroups": ["argoproj.io"],
        "resources": ["workflows", "workflowtemplates", "cronworkflows", "eventsources", "sensors"],
        "verbs": ["create", "update", "patch"],
    },
]
FULL_RULES: list[Obj] = [
    {
        "apiGroups": ["argoproj.io"],
        "resources": ["workflows", "workflowtemplates", "cronworkflows", "eventsources", "sensors"],
        "verbs": ["delete"],
    },
    {"apiGroups": [""], "resources": ["pods"], "verbs": ["delete"]},
]
RULES_BY_MODE = {
    "read-only": READ_RULES,
    "operate": READ_RULES + OPERATE_RULES,
    "full": READ_RULES + OPERATE_RULES + FULL_RULES,
}
MODE_FLAG = {"read-only": ["--read-only"], "operate": ["--disable-destructive"], "full": []}


def _rules_key(rules: list[Obj]) -> list[str]:
    return sorted(json.dumps(r, sort_keys=True) for r in rules)


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[Obj]]:
    return {sid: helm_template(values_files=[p]) for sid, p in zip(SCENARIO_IDS, SCENARIOS, strict=True)}


def test_helm_lint_every_scenario() -> None:
    helm = str(tool("helm"))
    run([helm, "lint", "--strict", str(CHART)])
    for path in SCENARIOS:
        run([helm, "lint", "--strict", str(CHART), "--values", str(path)])


def test_chart_app_version_is_the_package_version() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert chart["apiVersion"] == "v2"
    assert str(chart["appVersion"]) == project["version"]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=SCENARIO_IDS)
def test_every_rendered_object_is_schema_valid(scenario: Path) -> None:
    proc = helm_template_proc(values_files=[scenario])
    assert proc.returncode == 0, proc.stderr
    result = kubeconform(proc.stdout)
    summary = json.loads(result.stdout)
    bad = [r for r in summary["resources"] if r["status"] not in ("statusValid", "statusSkipped")]
    assert result.returncode == 0 and not bad, json.dumps(bad or summary, indent=1)
    assert summary["summary"]["valid"] >= 6
    # Only the CRD-backed kinds may be skipped, and then their fields are checked by the tests below.
    skipped = [r["kind"] for r in summary["resources"] if r["status"] == "statusSkipped"]
    assert set(skipped) <= {"Certificate", "ServiceMonitor", "PrometheusRule", "HTTPRoute"}


def test_kubeconform_really_rejects_bad_objects() -> None:
    """Guards the validator itself: an unknown field, a wrong type and a missing required field all fail."""
    objs = helm_template()
    deploy = one(objs, "Deployment")
    container = deploy["spec"]["template"]["spec"]["containers"][0]
    container["imagePullPolicyy"] = "Always"
    container["ports"][0]["containerPort"] = "8081"
    del container["name"]
    result = kubeconform(yaml.safe_dump(deploy))
    assert result.returncode != 0
    for needle in ("imagePullPolicyy", "containerPort", "missing property 'name'"):
        assert needle in result.stdout, result.stdout


@pytest.mark.parametrize("scenario", SCENARIOS, ids=SCENARIO_IDS)
def test_every_pod_spec_meets_the_restricted_pod_security_standard(
    rendered: dict[str, list[Obj]], scenario: Path
) -> None:
    objs = rendered[scenario.name.removesuffix("-values.yaml")]
    specs = list(pod_specs(objs))
    assert specs, "no pod spec rendered"
    for name, spec in specs:
        assert_restricted(name, spec)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=SCENARIO_IDS)
def test_upstream_pod_security_evaluator_admits_every_pod_spec(scenario: Path) -> None:
    """The kube-apiserver's own PodSecurity evaluator, at the restricted level, on every rendered pod spec."""
    proc = helm_template_proc(values_files=[scenario])
    code, results = psa_check(proc.stdout)
    assert code == 0, json.dumps([r for r in results if not r["allowed"]], indent=1)
    assert {r["object"].split("/")[0] for r in results} >= {"Deployment", "Pod"}


def test_upstream_pod_security_evaluator_really_refuses() -> None:
    deploy = one(helm_template(), "Deployment")
    container = deploy["spec"]["template"]["spec"]["containers"][0]
    container["securityContext"]["allowPrivilegeEscalation"] = True
    container["securityContext"]["capabilities"] = {"add": ["NET_ADMIN"]}
    code, results = psa_check(yaml.safe_dump(deploy))
    assert code == 1
    violations = " ".join(results[0]["violations"])
    assert "allowPrivilegeEscalation" in violations and "NET_ADMIN" in violations


def test_default_objects() -> None:
    objs = helm_template(release="argo-mcp", namespace="tools")
    kinds = sorted(f"{o['kind']}/{o['metadata']['name']}" for o in objs)
    assert kinds == sorted(
        [
            "ServiceAccount/argo-mcp",
            "Secret/argo-mcp-tls",
            "Secret/argo-mcp-task-key",
            "Role/argo-mcp",
            "RoleBinding/argo-mcp",
            "ClusterRoleBinding/tools-argo-mcp-auth-delegator",
            "ClusterRole/tools-argo-mcp-cwt-reader",
            "ClusterRoleBinding/tools-argo-mcp-cwt",
            "Deployment/argo-mcp",
            "Service/argo-mcp",
            "Pod/argo-mcp-test-initialize",
        ]
    )
    sa = one(objs, "ServiceAccount")
    assert sa["automountServiceAccountToken"] is False
    for obj in objs:
        if obj["kind"] in ("ClusterRole", "ClusterRoleBinding"):
            assert "namespace" not in obj["metadata"]
        else:
            assert obj["metadata"]["namespace"] == "tools"
        if obj["kind"] != "Pod":
            labels = obj["metadata"]["labels"]
            assert labels["app.kubernetes.io/name"] == "argo-mcp"
            assert labels["app.kubernetes.io/instance"] == "argo-mcp"
            assert labels["app.kubernetes.io/managed-by"] == "Helm"
            assert labels["app.kubernetes.io/component"] == "server"
            assert labels["helm.sh/chart"] == "argo-mcp-0.1.0"

    svc = one(objs, "Service")
    assert svc["spec"]["type"] == "ClusterIP"
    assert svc["spec"]["ports"] == [{"name": "mcp", "port": 8081, "targetPort": "mcp", "protocol": "TCP"}]
    deploy = one(objs, "Deployment")
    assert svc["spec"]["selector"] == deploy["spec"]["selector"]["matchLabels"]
    test_pod = one(objs, "Pod")
    assert not set(svc["spec"]["selector"].items()) <= set(test_pod["metadata"]["labels"].items()), (
        "the helm test Pod must not be selected by the Service"
    )

    auth = one(objs, "ClusterRoleBinding", "tools-argo-mcp-auth-delegator")
    assert auth["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": "system:auth-delegator",
    }
    assert auth["subjects"] == [{"kind": "ServiceAccount", "name": "argo-mcp", "namespace": "tools"}]
    cwt = one(objs, "ClusterRole", "tools-argo-mcp-cwt-reader")
    assert cwt["rules"] == [
        {"apiGroups": ["argoproj.io"], "resources": ["clusterworkflowtemplates"], "verbs": ["get", "list"]}
    ]
    cwt_binding = one(objs, "ClusterRoleBinding", "tools-argo-mcp-cwt")
    assert cwt_binding["roleRef"]["name"] == "tools-argo-mcp-cwt-reader"
    assert cwt_binding["subjects"] == auth["subjects"]


def test_releases_share_no_cluster_scoped_object() -> None:
    """Helm adopts no object another release owns, and uninstalling one release must not break another."""
    seen: dict[str, str] = {}
    values = {"operator": {"enabled": True}}
    for release, namespace in (("argo-mcp", "tools"), ("other", "tools"), ("argo-mcp", "team-b")):
        for obj in helm_template(release=release, namespace=namespace, values=values):
            if "namespace" in obj["metadata"] or obj["kind"] == "CustomResourceDefinition":
                continue
            key = f"{obj['kind']}/{obj['metadata']['name']}"
            assert key not in seen, f"{key} is rendered by both {seen[key]} and {namespace}/{release}"
            seen[key] = f"{namespace}/{release}"
            assert obj["metadata"]["labels"]["app.kubernetes.io/instance"] == release, key
    assert "ClusterRole/team-b-argo-mcp-cwt-reader" in seen


def test_default_deployment_flags_probes_and_volumes() -> None:
    objs = helm_template(release="argo-mcp", namespace="tools")
    deploy = one(objs, "Deployment")
    pod = deploy["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "argo-mcp"
    args = container_args(objs)
    assert args == [
        "--host", "0.0.0.0",
        "--port", "8081",
        "--argo-server-url", "http://argo-workflows-server.tools.svc:2746",
        "--argo-auth-mode", "k8s-service-account",
        "--argo-token-file", "/var/run/secrets/argo-mcp/argo/token",
        "--argo-default-namespace", "tools",
        "--namespaces", "tools",
        "--read-only",
        "--tls-cert", "/etc/argo-mcp/tls/tls.crt",
        "--tls-key", "/etc/argo-mcp/tls/tls.key",
        "--auth-inbound", "kubernetes",
        "--inbound-audience", "argo-mcp",
        "--artifact-dir", "/tmp/artifacts",
        "--task-key-file", "/etc/argo-mcp/task-key/task.key",
        "--log-level", "info",
    ]  # fmt: skip
    container = pod["containers"][0]
    assert container["image"] == "ghcr.io/argo-mcp/argo-mcp:0.1.0"
    assert container["ports"] == [{"name": "mcp", "containerPort": 8081, "protocol": "TCP"}]
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "mcp", "scheme": "HTTPS"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "mcp", "scheme": "HTTPS"}
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert mounts == {
        "argo-token": "/var/run/secrets/argo-mcp/argo",
        "kube-api-access": "/var/run/secrets/kubernetes.io/serviceaccount",
        "tls": "/etc/argo-mcp/tls",
        "task-key": "/etc/argo-mcp/task-key",
        "tmp": "/tmp",
    }
    assert pod["automountServiceAccountToken"] is False
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["argo-token"]["projected"]["sources"] == [
        {"serviceAccountToken": {"path": "token", "expirationSeconds": 3600}}
    ]
    api_sources = volumes["kube-api-access"]["projected"]["sources"]
    assert api_sources[0] == {"serviceAccountToken": {"path": "token", "expirationSeconds": 3607}}
    assert api_sources[1]["configMap"]["name"] == "kube-root-ca.crt"
    assert volumes["tls"]["secret"]["secretName"] == "argo-mcp-tls"
    assert volumes["tmp"] == {"name": "tmp", "emptyDir": {}}
    annotations = deploy["spec"]["template"]["metadata"]["annotations"]
    assert set(annotations) == {"checksum/config", "argo-mcp.io/tls-checksum"}


@pytest.mark.parametrize("mode", ["read-only", "operate", "full"])
@pytest.mark.parametrize("secrets", [[], ["s3-creds", "gcs-creds"]])
def test_role_rules_follow_the_mode_table(mode: str, secrets: list[str]) -> None:
    objs = helm_template(
        values={"mode": mode, "namespaces": ["argo", "team-a"], "artifactRepositorySecrets": secrets}
    )
    expected = list(RULES_BY_MODE[mode])
    if secrets:
        expected.append(
            {"apiGroups": [""], "resources": ["secrets"], "resourceNames": secrets, "verbs": ["get"]}
        )
    roles = by_kind(objs, "Role")
    bindings = by_kind(objs, "RoleBinding")
    assert sorted(r["metadata"]["namespace"] for r in roles) == ["argo", "team-a"]
    assert sorted(b["metadata"]["namespace"] for b in bindings) == ["argo", "team-a"]
    for role in roles:
        assert _rules_key(role["rules"]) == _rules_key(expected)
    for binding in bindings:
        assert binding["roleRef"] == {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "Role",
            "name": "argo-mcp",
        }
        assert binding["subjects"] == [
            {"kind": "ServiceAccount", "name": "argo-mcp", "namespace": "argo-mcp"}
        ]
    args = container_args(objs)
    for flag in ("--read-only", "--disable-destructive"):
        assert (flag in args) == (flag in MODE_FLAG[mode])
    assert flag_value(args, "--namespaces") == "argo,team-a"
    assert flag_value(args, "--argo-default-namespace") == "argo"


def test_optional_argo_settings() -> None:
    objs = helm_template(
        values={
            "argoServer": {
                "url": "https://argo.example:443/argo",
                "caSecretRef": {"name": "argo-ca", "key": "bundle.pem"},
            },
            "serviceAccount": {"audience": "argo-server", "tokenExpirationSeconds": 7200},
            "inboundAuth": {"mode": "none"},
            "clusterWorkflowTemplates": False,
            "logLevel": "debug",
        }
    )
    args = container_args(objs)
    assert flag_value(args, "--argo-server-url") == "https://argo.example:443/argo"
    assert flag_value(args, "--argo-ca-file") == "/etc/argo-mcp/argo-ca/bundle.pem"
    assert flag_value(args, "--auth-inbound") == "none"
    assert "--inbound-audience" not in args
    assert "--argo-insecure-skip-tls-verify" not in args
    assert flag_value(args, "--log-level") == "debug"
    pod = one(objs, "Deployment")["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "kube-api-access" not in volumes, "no API credentials without inbound kubernetes auth"
    assert volumes["argo-ca"]["secret"] == {
        "secretName": "argo-ca",
        "items": [{"key": "bundle.pem", "path": "bundle.pem"}],
    }
    assert volumes["argo-token"]["projected"]["sources"][0]["serviceAccountToken"] == {
        "path": "token",
        "expirationSeconds": 7200,
        "audience": "argo-server",
    }
    assert not by_kind(objs, "ClusterRoleBinding") and not by_kind(objs, "ClusterRole")

    insecure = container_args(helm_template(sets={"argo.insecureSkipTLSVerify": "true"}))
    assert "--argo-insecure-skip-tls-verify" in insecure


def _tls_objects(mode_values: Obj) -> tuple[list[Obj], Obj]:
    objs = helm_template(values={"tls": mode_values}, namespace="tools")
    return objs, one(objs, "Deployment")


def test_tls_self_signed_certificate_names_the_service() -> None:
    objs, deploy = _tls_objects({"mode": "self-signed"})
    secret = one(objs, "Secret", "argo-mcp-tls")
    assert secret["type"] == "kubernetes.io/tls"
    assert set(secret["data"]) == {"ca.crt", "tls.crt", "tls.key"}
    cert = x509.load_pem_x509_certificate(base64.b64decode(secret["data"]["tls.crt"]))
    ca = x509.load_pem_x509_certificate(base64.b64decode(secret["data"]["ca.crt"]))
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName
    )
    assert sorted(sans) == sorted(
        ["argo-mcp", "argo-mcp.tools", "argo-mcp.tools.svc", "argo-mcp.tools.svc.cluster.local", "localhost"]
    )
    ips = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.IPAddress
    )
    assert [str(ip) for ip in ips] == ["127.0.0.1"], "NOTES tell users to port-forward to localhost"
    cert.verify_directly_issued_by(ca)
    # The checksum on the pod template is of exactly the data in the Secret (computed once per render).
    data_json = json.dumps(secret["data"], sort_keys=True, separators=(",", ":"))
    annotations = deploy["spec"]["template"]["metadata"]["annotations"]
    assert annotations["argo-mcp.io/tls-checksum"] == hashlib.sha256(data_json.encode()).hexdigest()


def test_tls_self_signed_reuses_an_existing_secret() -> None:
    """On upgrade the chart looks the Secret up and keeps its certificate (lookup answers only against a
    cluster, so this checks the template path that reads it)."""
    helpers = (CHART / "templates" / "_helpers.tpl").read_text()
    assert re.search(r'lookup "v1" "Secret" \.Release\.Namespace \$secretName', helpers)


def tls_secrets(objs: list[Obj]) -> list[Obj]:
    """The Secrets beside the task key's, which the chart makes whatever the TLS mode."""
    return [o for o in by_kind(objs, "Secret") if o["metadata"]["name"] != "argo-mcp-task-key"]


def test_tls_secret_ref_and_disabled_and_cert_manager() -> None:
    objs, deploy = _tls_objects({"mode": "secretRef", "secretName": "my-cert"})
    assert not tls_secrets(objs)
    volumes = {v["name"]: v for v in deploy["spec"]["template"]["spec"]["volumes"]}
    assert volumes["tls"]["secret"]["secretName"] == "my-cert"
    assert flag_value(container_args(objs), "--tls-cert") == "/etc/argo-mcp/tls/tls.crt"

    objs, deploy = _tls_objects({"mode": "disabled"})
    args = container_args(objs)
    assert "--tls-cert" not in args and "--tls-key" not in args
    container = deploy["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["scheme"] == "HTTP"
    assert "tls" not in {v["name"] for v in deploy["spec"]["template"]["spec"]["volumes"]}

    objs, deploy = _tls_objects(
        {"mode": "cert-manager", "certManager": {"issuerRef": {"name": "ca", "kind": "ClusterIssuer"}}}
    )
    cert = one(objs, "Certificate")
    assert cert["apiVersion"] == "cert-manager.io/v1"
    assert cert["spec"]["secretName"] == "argo-mcp-tls"
    assert cert["spec"]["dnsNames"] == [
        "argo-mcp",
        "argo-mcp.tools",
        "argo-mcp.tools.svc",
        "argo-mcp.tools.svc.cluster.local",
        "localhost",
    ]
    assert cert["spec"]["ipAddresses"] == ["127.0.0.1"]
    assert cert["spec"]["issuerRef"] == {"name": "ca", "kind": "ClusterIssuer", "group": "cert-manager.io"}
    assert cert["spec"]["usages"] == ["server auth", "digital signature", "key encipherment"]
    assert not tls_secrets(objs)


def test_optional_objects() -> None:
    objs = helm_template(values_files=[CI_VALUES / "extras-values.yaml"], namespace="tools")
    deploy = one(objs, "Deployment", "mcp")
    assert "replicas" not in deploy["spec"], "the HPA owns the replica count"
    pod = deploy["spec"]["template"]["spec"]
    assert pod["containers"][0]["image"] == (
        "registry.example/argo-mcp@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    )
    assert pod["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert pod["tolerations"][0]["key"] == "dedicated"
    assert "podAntiAffinity" in pod["affinity"]
    assert pod["imagePullSecrets"] == [{"name": "regcred"}]
    assert deploy["spec"]["template"]["metadata"]["annotations"]["example.com/team"] == "platform"
    selector = deploy["spec"]["selector"]["matchLabels"]

    policy = one(objs, "NetworkPolicy", "mcp")
    assert policy["spec"]["podSelector"]["matchLabels"] == selector
    assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
    (ingress,) = policy["spec"]["ingress"]
    assert ingress["ports"] == [{"protocol": "TCP", "port": 8081}]
    assert ingress["from"][0]["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "agents"}
    test_pod = one(objs, "Pod", "mcp-test-initialize")
    assert {"podSelector": {"matchLabels": {
        k: test_pod["metadata"]["labels"][k] for k in ("app.kubernetes.io/name", "app.kubernetes.io/instance")
    }}} in ingress["from"], "the helm test Pod must be let in"  # fmt: skip
    egress_ports = [[p["port"] for p in rule["ports"]] for rule in policy["spec"]["egress"]]
    assert egress_ports == [[2746], [443, 6443], [53, 53]]
    assert policy["spec"]["egress"][1]["to"] == [
        {"ipBlock": {"cidr": "10.96.0.1/32"}},
        {"ipBlock": {"cidr": "172.18.0.2/32"}},
    ]

    pdb = one(objs, "PodDisruptionBudget", "mcp")
    assert pdb["spec"] == {"minAvailable": 1, "selector": {"matchLabels": selector}}
    hpa = one(objs, "HorizontalPodAutoscaler", "mcp")
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "mcp"}
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (1, 5)

    operator = one(objs, "Deployment", "mcp-operator")
    assert operator["spec"]["template"]["spec"]["containers"][0]["command"] == ["argo-mcp-operator"]
    operator_labels = operator["spec"]["template"]["metadata"]["labels"]
    assert not set(selector.items()) <= set(operator_labels.items()), (
        "the Service must not select the operator"
    )
    assert one(objs, "ServiceAccount", "mcp-operator")["automountServiceAccountToken"] is False
    role = one(objs, "ClusterRole", "tools-mcp-operator")
    granted = {
        (g, r, v)
        for rule in role["rules"]
        for g in rule["apiGroups"]
        for r in rule["resources"]
        for v in rule["verbs"]
    }
    # The operator can grant only what it holds: it must hold every rule of the "full" table.
    for rule in RULES_BY_MODE["full"]:
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                for verb in rule["verbs"]:
                    assert (group, resource, verb) in granted, (group, resource, verb)


def test_service_monitor_is_off_by_default_and_valid_when_on() -> None:
    assert not by_kind(helm_template(), "ServiceMonitor")
    objs = helm_template(values_files=[CI_VALUES / "tls-certmanager-values.yaml"])
    monitor = one(objs, "ServiceMonitor")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["metadata"]["labels"]["release"] == "prometheus"
    assert monitor["spec"]["selector"]["matchLabels"] == one(objs, "Service")["spec"]["selector"]
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] == "mcp" and endpoint["path"] == "/metrics" and endpoint["scheme"] == "https"
    assert endpoint["tlsConfig"]["ca"]["secret"] == {"name": "argo-mcp-tls", "key": "ca.crt"}


def test_helm_test_hook_sends_a_real_mcp_initialize() -> None:
    objs = helm_template(namespace="tools")
    pod = one(objs, "Pod", "argo-mcp-test-initialize")
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    container = pod["spec"]["containers"][0]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["MCP_URL"] == "https://argo-mcp.tools.svc:8081/mcp"
    script = container["command"][2]
    compile(script, "helm-test", "exec")
    assert '"method": "initialize"' in script and "serverInfo" in script
    token = pod["spec"]["volumes"][0]["projected"]["sources"][0]["serviceAccountToken"]
    assert token["audience"] == "argo-mcp"


def test_notes_tell_how_to_register_the_endpoint(tmp_path: Path) -> None:
    notes = render_notes(tmp_path, "--namespace", "tools")
    assert "https://argo-mcp.tools.svc:8081/mcp" in notes
    assert "claude mcp add --transport http argo-workflows https://argo-mcp.tools.svc:8081/mcp" in notes
    assert "Authorization: Bearer $TOKEN" in notes
    assert "kubectl -n tools create token my-agent --audience argo-mcp" in notes
    assert "get secret argo-mcp-tls" in notes

    notes = render_notes(tmp_path / "plain", "--set", "inboundAuth.mode=none", "--set", "tls.mode=disabled")
    assert "WARNING" in notes and "http://argo-mcp.default.svc:8081/mcp" in notes
    assert "Bearer" not in notes


def test_packaged_chart_renders_the_same(tmp_path: Path) -> None:
    helm = str(tool("helm"))
    run([helm, "package", str(CHART), "--destination", str(tmp_path)])
    (package,) = tmp_path.glob("argo-mcp-0.1.0.tgz")
    listing = run(["tar", "-tzf", str(package)]).stdout.split()
    assert "argo-mcp/values.schema.json" in listing
    assert "argo-mcp/files/argo-mcp.io_argomcpservers.yaml" in listing
    assert not any("/ci/" in name for name in listing), "CI scenario files must not ship in the package"
    # No generated key material (TLS, task key): both renders must be byte-equal.
    sets = ["--set", "tls.mode=secretRef", "--set", "tls.secretName=cert", "--set", "operator.enabled=true"]
    sets += ["--set", "taskKeySecretRef.name=seal"]
    from_dir = run([helm, "template", "argo-mcp", str(CHART), *sets]).stdout
    from_package = run([helm, "template", "argo-mcp", str(package), *sets]).stdout
    assert from_package == from_dir


BAD_VALUES: list[tuple[dict[str, Any], str]] = [
    ({"mode": "admin"}, "at '/mode': value must be one of 'read-only', 'operate', 'full'"),
    ({"argoServer": {"url": "ftp://argo:2746"}}, "at '/argoServer/url'"),
    ({"argoServer": {"url": "argo-server:2746"}}, "at '/argoServer/url'"),
    ({"argo": {"serverUrl": "ftp://argo:2746"}}, "at '/argo/serverUrl'"),
    ({"service": {"port": 70000}}, "at '/service/port'"),
    ({"service": {"port": 0}}, "at '/service/port'"),
    ({"namespaces": ["Bad_NS"]}, "at '/namespaces/0'"),
    ({"namespaces": ["a", "a"]}, "at '/namespaces'"),
    ({"tls": {"mode": "acme"}}, "at '/tls/mode'"),
    ({"tls": {"mode": "secretRef"}}, "at '/tls/secretName'"),
    ({"tls": {"mode": "cert-manager"}}, "at '/tls/certManager/issuerRef/name'"),
    ({"inboundAuth": {"mode": "ldap"}}, "at '/inboundAuth/mode'"),
    ({"inboundAuth": {"mode": "oidc", "oidc": {"issuer": "dex.example"}}}, "at '/inboundAuth/oidc/issuer'"),
    ({"logLevel": "verbose"}, "at '/logLevel'"),
    ({"replica": 2}, "additional properties 'replica' not allowed"),
    ({"image": {"digest": "sha256:nothex"}}, "at '/image/digest'"),
    ({"serviceAccount": {"tokenExpirationSeconds": 60}}, "at '/serviceAccount/tokenExpirationSeconds'"),
    ({"argo": {"token": {"expirationSeconds": 60}}}, "at '/argo/token/expirationSeconds'"),
    ({"artifactRepositorySecrets": ["Not A Name"]}, "at '/artifactRepositorySecrets/0'"),
    ({"resources": {"limits": {"memory": "lots"}}}, "at '/resources/limits/memory'"),
    ({"limits": {"maxInflightCalls": 0}}, "at '/limits/maxInflightCalls'"),
    ({"limits": {"maxBufferedMiB": 4097}}, "at '/limits/maxBufferedMiB'"),
    ({"limits": {"maxConnections": 1.5}}, "at '/limits/maxConnections'"),
    ({"limits": {"maxLongCall": 3}}, "additional properties 'maxLongCall' not allowed"),
    ({"redactParameterNames": ["conn,str"]}, "at '/redactParameterNames/0'"),
    ({"allowedServiceAccounts": ["runner"]}, "at '/allowedServiceAccounts/0'"),
    ({"taskKeySecretRef": {"name": "Not A Name"}}, "at '/taskKeySecretRef/name'"),
]


def test_task_key_secret_is_random_kept_on_upgrade_or_the_users() -> None:
    """A fresh random key per install (never a constant of the chart), read back from the live Secret on
    upgrade (lookup: `helm template` has no cluster, so this checks the template reads it), none when
    taskKeySecretRef names the user's own, which is then mounted under the same file name."""
    keys = set()
    for _ in range(2):
        (secret,) = [
            o
            for o in helm_template()
            if o["kind"] == "Secret" and o["metadata"]["name"] == "argo-mcp-task-key"
        ]
        key = base64.b64decode(secret["data"]["task.key"])
        assert len(key) >= 32
        keys.add(key)
    assert len(keys) == 2
    template = (CHART / "templates" / "task-key.yaml").read_text()
    assert 'lookup "v1" "Secret" .Release.Namespace $name' in template
    assert 'index $existing "task.key" | default (randAlphaNum 64 | b64enc)' in template
    objs = helm_template(values={"taskKeySecretRef": {"name": "seal", "key": "k"}})
    assert not [o for o in by_kind(objs, "Secret") if "task-key" in o["metadata"]["name"]]
    volumes = {v["name"]: v for v in one(objs, "Deployment")["spec"]["template"]["spec"]["volumes"]}
    assert volumes["task-key"]["secret"] == {
        "secretName": "seal",
        "items": [{"key": "k", "path": "task.key"}],
    }
    assert flag_value(container_args(objs), "--task-key-file") == "/etc/argo-mcp/task-key/task.key"


@pytest.mark.parametrize(("values", "message"), BAD_VALUES, ids=[m for _, m in BAD_VALUES])
def test_values_schema_rejects_bad_values(values: dict[str, Any], message: str) -> None:
    proc = helm_template_proc(values=values)
    assert proc.returncode != 0, f"accepted {values}"
    assert "values don't meet the specifications of the schema" in proc.stderr
    assert message in proc.stderr, proc.stderr


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"namespaces": ["argo"], "defaultNamespace": "other"},
            'defaultNamespace "other" must be one of',
        ),
        (
            {"autoscaling": {"enabled": True, "minReplicas": 4, "maxReplicas": 2}},
            "must not exceed autoscaling.maxReplicas",
        ),
        ({"argoServer": {"insecureSkipTLSVerify": True, "caSecretRef": {"name": "ca"}}}, "not both"),
        ({"argo": {"insecureSkipTLSVerify": True, "caSecret": {"name": "ca"}}}, "not both"),
        ({"inboundAuth": {"mode": "oidc"}}, "inboundAuth.oidc.issuer is required"),
        (
            {
                "inboundAuth": {"mode": "oidc", "oidc": {"issuer": "https://dex.example"}},
                "networkPolicy": {"enabled": True},
            },
            "networkPolicy.oidcIssuer is required",
        ),
        ({"networkPolicy": {"enabled": True}}, "networkPolicy.kubeApiServerCIDRs is required"),
    ],
)
def test_inconsistent_values_fail_with_a_clear_message(values: dict[str, Any], message: str) -> None:
    proc = helm_template_proc(values=values)
    assert proc.returncode != 0
    assert message in proc.stderr, proc.stderr


def test_values_are_documented_line_by_line() -> None:
    """Every key of values.yaml has a comment right above it, unless it is a block header whose keys are
    documented, or it sits inside a documented value (e.g. the default `resources`)."""
    lines = (CHART / "values.yaml").read_text().splitlines()
    ancestors: list[tuple[int, bool]] = []  # (indent, documented) of the enclosing keys
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or stripped.startswith("-"):
            continue
        indent = len(line) - len(line.lstrip())
        while ancestors and ancestors[-1][0] >= indent:
            ancestors.pop()
        key, _, rest = stripped.partition(":")
        documented = i > 0 and lines[i - 1].strip().startswith("#")
        nxt = next((n for n in lines[i + 1 :] if n.strip() and not n.strip().startswith("#")), "")
        is_block = rest.strip() == "" and len(nxt) - len(nxt.lstrip()) > indent
        inside_documented_value = any(doc for _, doc in ancestors)
        assert documented or is_block or inside_documented_value, (
            f"values.yaml line {i + 1} ({key}) has no comment above it"
        )
        ancestors.append((indent, documented))
