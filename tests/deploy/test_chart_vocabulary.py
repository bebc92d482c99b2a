"""The chart speaks the ArgoMCPServer spec's vocabulary, still reads its former value names (and says so in
NOTES), and offers every inbound auth mode the server has, OIDC with its NetworkPolicy egress."""

from __future__ import annotations

from pathlib import Path

from .bundle import (
    CHART,
    Obj,
    container_args,
    flag_value,
    helm_template,
    helm_template_proc,
    one,
    render_notes,
)

# The same settings under their former names and under the spec's names.
LEGACY: Obj = {
    "argo": {
        "serverUrl": "https://argo.example:2746",
        "argoHelmRelease": "wf",
        "defaultNamespace": "team-a",
        "caSecret": {"name": "argo-ca", "key": "bundle.pem"},
        "token": {"audience": "argo-server", "expirationSeconds": 7200},
    },
    "namespaces": ["team-a"],
    "replicaCount": 2,
    "extraEnv": [{"name": "OTEL_SERVICE_NAME", "value": "argo-mcp"}],
    "tls": {
        "mode": "cert-manager",
        "certManager": {"issuerRef": {"name": "ca"}, "duration": "720h", "renewBefore": "24h"},
    },
    "taskKeySecretRef": {"name": "seal"},  # no random key, so the two renders can be equal
}
CURRENT: Obj = {
    "argoServer": {
        "url": "https://argo.example:2746",
        "argoHelmRelease": "wf",
        "caSecretRef": {"name": "argo-ca", "key": "bundle.pem"},
    },
    "defaultNamespace": "team-a",
    "serviceAccount": {"audience": "argo-server", "tokenExpirationSeconds": 7200},
    "namespaces": ["team-a"],
    "replicas": 2,
    "env": [{"name": "OTEL_SERVICE_NAME", "value": "argo-mcp"}],
    "tls": {
        "mode": "cert-manager",
        "certManager": {"issuerRef": {"name": "ca"}},
        "duration": "720h",
        "renewBefore": "24h",
    },
    "taskKeySecretRef": {"name": "seal"},
}
RENAMED = {
    "argo.serverUrl": "argoServer.url",
    "argo.argoHelmRelease": "argoServer.argoHelmRelease",
    "argo.caSecret": "argoServer.caSecretRef",
    "argo.defaultNamespace": "defaultNamespace",
    "argo.token.audience": "serviceAccount.audience",
    "argo.token.expirationSeconds": "serviceAccount.tokenExpirationSeconds",
    "replicaCount": "replicas",
    "extraEnv": "env",
    "tls.certManager.duration": "tls.duration",
    "tls.certManager.renewBefore": "tls.renewBefore",
}
OIDC: Obj = {
    "inboundAuth": {
        "mode": "oidc",
        "audience": "mcp",
        "oidc": {"issuer": "https://dex.example.com", "jwksUrl": "https://dex.example.com/keys"},
    }
}


def test_former_value_names_render_the_same_objects() -> None:
    legacy = helm_template(values=LEGACY, namespace="tools")
    current = helm_template(values=CURRENT, namespace="tools")
    assert legacy == current
    deployment = one(current, "Deployment")
    assert deployment["spec"]["replicas"] == 2
    args = container_args(current)
    assert flag_value(args, "--argo-server-url") == "https://argo.example:2746"
    assert flag_value(args, "--argo-ca-file") == "/etc/argo-mcp/argo-ca/bundle.pem"
    assert flag_value(args, "--argo-default-namespace") == "team-a"
    (token,) = [v for v in deployment["spec"]["template"]["spec"]["volumes"] if v["name"] == "argo-token"]
    assert token["projected"]["sources"][0]["serviceAccountToken"] == {
        "path": "token",
        "expirationSeconds": 7200,
        "audience": "argo-server",
    }
    certificate = one(current, "Certificate")
    assert (certificate["spec"]["duration"], certificate["spec"]["renewBefore"]) == ("720h", "24h")


def test_a_former_name_wins_over_the_new_names_default_only_when_given() -> None:
    """A former map (argo.caSecret) given in part keeps the new name's default for the rest (key ca.crt)."""
    args = container_args(helm_template(values={"argo": {"caSecret": {"name": "argo-ca"}}}))
    assert flag_value(args, "--argo-ca-file") == "/etc/argo-mcp/argo-ca/ca.crt"
    args = container_args(helm_template(values={"argoServer": {"url": "https://new.example"}}))
    assert flag_value(args, "--argo-server-url") == "https://new.example"


def test_notes_print_a_deprecation_line_per_former_name_used(tmp_path: Path) -> None:
    sets: list[str] = []
    for key, value in (
        ("argo.serverUrl", "https://argo.example:2746"),
        ("argo.argoHelmRelease", "wf"),
        ("argo.defaultNamespace", "team-a"),
        ("namespaces", "{team-a}"),
        ("argo.caSecret.name", "argo-ca"),
        ("argo.token.audience", "argo-server"),
        ("argo.token.expirationSeconds", "7200"),
        ("replicaCount", "2"),
        ("extraEnv[0].name", "X"),
        ("tls.certManager.duration", "720h"),
        ("tls.certManager.renewBefore", "24h"),
    ):
        sets += ["--set", f"{key}={value}"]
    notes = render_notes(tmp_path / "old", *sets)
    lines = [line for line in notes.splitlines() if line.startswith("DEPRECATED:")]
    assert sorted(lines) == sorted(
        f"DEPRECATED: the value `{old}` is now `{new}` (the ArgoMCPServer spec's name); the old name"
        for old, new in RENAMED.items()
    )
    assert "DEPRECATED" not in render_notes(tmp_path / "new", "--set", "argoServer.url=https://a.example")


def test_schema_marks_every_former_name_deprecated() -> None:
    import json

    schema = json.loads((CHART / "values.schema.json").read_text())
    props = schema["properties"]
    former = [
        props["argo"],
        *props["argo"]["properties"].values(),
        props["replicaCount"],
        props["extraEnv"],
        props["tls"]["properties"]["certManager"]["properties"]["duration"],
        props["tls"]["properties"]["certManager"]["properties"]["renewBefore"],
    ]
    for entry in former:
        assert entry.get("deprecated") is True and entry["description"].startswith("Deprecated: "), entry


def test_oidc_inbound_auth_passes_the_issuer_and_mounts_no_kube_api_token() -> None:
    objs = helm_template(
        values={**OIDC, "inboundAuth": {**OIDC["inboundAuth"], "resourceUrl": "https://m/mcp"}}
    )
    args = container_args(objs)
    assert flag_value(args, "--auth-inbound") == "oidc"
    assert flag_value(args, "--oidc-issuer") == "https://dex.example.com"
    assert flag_value(args, "--oidc-jwks-url") == "https://dex.example.com/keys"
    assert flag_value(args, "--inbound-audience") == "mcp"
    assert flag_value(args, "--resource-url") == "https://m/mcp"
    pod = one(objs, "Deployment")["spec"]["template"]["spec"]
    assert "kube-api-access" not in [v["name"] for v in pod["volumes"]]
    # no TokenReview rights: the auth-delegator binding is for inbound mode kubernetes only
    assert not [
        o
        for o in objs
        if o["kind"] == "ClusterRoleBinding" and o["roleRef"]["name"] == "system:auth-delegator"
    ]
    no_jwks = container_args(
        helm_template(values={"inboundAuth": {"mode": "oidc", "oidc": {"issuer": "https://i"}}})
    )
    assert "--oidc-jwks-url" not in no_jwks and "--resource-url" not in no_jwks


def test_oidc_network_policy_allows_egress_to_the_issuer_only_in_oidc_mode() -> None:
    issuer = [{"ipBlock": {"cidr": "203.0.113.0/24"}}]
    network = {"enabled": True, "oidcIssuer": issuer, "oidcIssuerPorts": [443, 8443]}
    objs = helm_template(values={**OIDC, "networkPolicy": network})
    egress = one(objs, "NetworkPolicy")["spec"]["egress"]
    (rule,) = [r for r in egress if r["to"] == issuer]
    assert rule["ports"] == [{"protocol": "TCP", "port": 443}, {"protocol": "TCP", "port": 8443}]
    # no kube-apiserver egress needed for oidc, so kubeApiServerCIDRs is not required
    assert not [r for r in egress if any("ipBlock" in peer for peer in r["to"]) and r is not rule]
    cidrs = {"kubeApiServerCIDRs": ["10.0.0.1/32"]}
    kubernetes = helm_template(values={"networkPolicy": {**network, **cidrs}})
    assert issuer not in [r["to"] for r in one(kubernetes, "NetworkPolicy")["spec"]["egress"]]


def test_oidc_without_its_issuer_fails_with_the_field_to_set() -> None:
    proc = helm_template_proc(values={"inboundAuth": {"mode": "oidc"}})
    assert proc.returncode != 0 and "inboundAuth.oidc.issuer is required" in proc.stderr, proc.stderr
    proc = helm_template_proc(values={**OIDC, "networkPolicy": {"enabled": True}})
    assert proc.returncode != 0 and "networkPolicy.oidcIssuer is required" in proc.stderr, proc.stderr


def test_deployment_takes_its_pod_template_from_the_generated_helpers() -> None:
    """The Deployment template writes no probe, security context or volume of its own: they are included from
    _generated.tpl, which the operator's podtemplate table generates (checked current by the parity tests)."""
    text = (CHART / "templates" / "deployment.yaml").read_text()
    # The security contexts go through the merge of the user's podSecurityContext/containerSecurityContext.
    for name in ("podSecurityContext", "containerSecurityContext"):
        assert f'include "argo-mcp.mergedSecurityContext" (list . "argo-mcp.{name}"' in text, name
    for name in (
        "ports",
        "livenessProbe",
        "readinessProbe",
        "volumes",
        "volumeMounts",
    ):
        assert f'include "argo-mcp.{name}" .' in text, name
    for literal in ("/healthz", "runAsUser", "serviceAccountToken", "kube-root-ca.crt", "mountPath"):
        assert literal not in text, f"{literal} is written in deployment.yaml instead of podtemplate.py"
