"""The objects an ArgoMCPServer renders to: RBAC per mode, the Deployment, the Service, TLS, ownership."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import pytest

from argo_mcp_operator import constants as c
from argo_mcp_operator.rbac import namespace_rules
from argo_mcp_operator.render import Obj, Owner, endpoint, render
from argo_mcp_operator.spec import Mode, SpecError, parse_spec
from argo_mcp_operator.tls import ServingCert, issue

URL = "https://argo-server.argo.svc:2746"
CERT = issue("srv", "team-a", timedelta(hours=24))
TASK_KEY = "dGFzay1rZXktb2YtYXQtbGVhc3QtMzItcmFuZG9tLWJ5dGVzLi4u"  # base64, as the reconciler passes it


def render_cr(cr: Mapping[str, Any], cert: ServingCert | None = None) -> list[Obj]:
    """Parse the resource's spec once, as the reconciler does, and render it (with the task key the reconciler
    found or made)."""
    owner = Owner.of(cr)
    return render(owner, parse_spec(cr.get("spec"), owner.name), cert, TASK_KEY)


READ_ONLY_RULES = [
    {
        "apiGroups": ["argoproj.io"],
        "resources": ["workflows", "workflowtemplates", "cronworkflows", "eventsources", "sensors"],
        "verbs": ["get", "list", "watch"],
    },
    {"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list", "watch"]},
]
OPERATE_EXTRA = [
    {
        "apiGroups": ["argoproj.io"],
        "resources": ["workflows", "workflowtemplates", "cronworkflows", "eventsources", "sensors"],
        "verbs": ["create", "update", "patch"],
    }
]
FULL_EXTRA = [
    {
        "apiGroups": ["argoproj.io"],
        "resources": ["workflows", "workflowtemplates", "cronworkflows", "eventsources", "sensors"],
        "verbs": ["delete"],
    },
    {"apiGroups": [""], "resources": ["pods"], "verbs": ["delete"]},
]
SECRETS_RULE = {
    "apiGroups": [""],
    "resources": ["secrets"],
    "resourceNames": ["my-s3-creds", "other"],
    "verbs": ["get"],
}


def cr(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": c.API_VERSION,
        "kind": c.KIND,
        "metadata": {"name": "srv", "namespace": "team-a", "uid": "uid-1", "generation": 1},
        "spec": {"argoServer": {"url": URL}, **spec},
    }


def by_kind(objects: list[Obj], kind: str) -> list[Obj]:
    return [o for o in objects if o["kind"] == kind]


def tls_secrets(objects: list[Obj]) -> list[Obj]:
    """The Secrets rendered beside the task key's, which every spec without taskKeySecretRef renders."""
    return [o for o in by_kind(objects, "Secret") if o["metadata"]["name"] != "srv-task-key"]


def one(objects: list[Obj], kind: str) -> Obj:
    (found,) = by_kind(objects, kind)
    return found


def container(objects: list[Obj]) -> Obj:
    (ctr,) = one(objects, "Deployment")["spec"]["template"]["spec"]["containers"]
    assert isinstance(ctr, dict)
    return ctr


# --- RBAC -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("read-only", READ_ONLY_RULES),
        ("operate", READ_ONLY_RULES + OPERATE_EXTRA),
        ("full", READ_ONLY_RULES + OPERATE_EXTRA + FULL_EXTRA),
    ],
)
def test_rules_per_mode(mode: str, expected: list[Obj]) -> None:
    role = one(render_cr(cr(mode=mode), CERT), "Role")
    assert role["rules"] == expected


@pytest.mark.parametrize("mode", ["read-only", "operate", "full"])
def test_artifact_secrets_by_name_only(mode: str) -> None:
    rules = one(render_cr(cr(mode=mode, artifactRepositorySecrets=["my-s3-creds", "other"]), CERT), "Role")[
        "rules"
    ]
    assert rules[2] == SECRETS_RULE
    secret_rules = [r for r in rules if "secrets" in r["resources"]]
    assert secret_rules == [SECRETS_RULE]  # never all Secrets, never more than get


def test_no_secret_access_without_artifact_secrets() -> None:
    modes: list[Mode] = ["read-only", "operate", "full"]
    for mode in modes:
        assert all("secrets" not in r["resources"] for r in namespace_rules(mode))


def test_role_and_binding_in_each_target_namespace() -> None:
    objects = render_cr(cr(namespaces=["team-a", "team-b"]), CERT)
    roles, bindings = by_kind(objects, "Role"), by_kind(objects, "RoleBinding")
    assert [r["metadata"]["namespace"] for r in roles] == ["team-a", "team-b"]
    for binding in bindings:
        assert binding["metadata"]["name"] == "srv"
        assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "srv"}
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "srv", "namespace": "team-a"}]
    # Only the Role/RoleBinding in the owner's namespace can carry an owner reference.
    owned = {o["metadata"]["namespace"] for o in roles + bindings if "ownerReferences" in o["metadata"]}
    assert owned == {"team-a"}


def test_auth_delegator_only_with_kubernetes_inbound_auth() -> None:
    crbs = {o["metadata"]["name"]: o for o in by_kind(render_cr(cr(), CERT), "ClusterRoleBinding")}
    delegator = crbs["team-a-srv-auth-delegator"]
    assert delegator["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": "system:auth-delegator",
    }
    assert delegator["subjects"] == [{"kind": "ServiceAccount", "name": "srv", "namespace": "team-a"}]
    names = {
        o["metadata"]["name"]
        for o in by_kind(render_cr(cr(inboundAuth={"mode": "none"}), CERT), "ClusterRoleBinding")
    }
    assert "team-a-srv-auth-delegator" not in names


def test_cluster_workflow_templates_toggle() -> None:
    objects = render_cr(cr(), CERT)
    role = one(objects, "ClusterRole")
    assert role["metadata"]["name"] == "team-a-srv-cwt-reader"
    assert role["rules"] == [
        {"apiGroups": ["argoproj.io"], "resources": ["clusterworkflowtemplates"], "verbs": ["get", "list"]}
    ]
    cwt = [o for o in by_kind(objects, "ClusterRoleBinding") if o["metadata"]["name"] == "team-a-srv-cwt"]
    assert cwt[0]["roleRef"]["name"] == "team-a-srv-cwt-reader"
    kinds = [(o["kind"], o["metadata"]["name"]) for o in objects]
    assert kinds.index(("ClusterRole", "team-a-srv-cwt-reader")) < kinds.index(
        ("ClusterRoleBinding", "team-a-srv-cwt")
    )
    # One per server: a server of the same name in another namespace has its own.
    other = cr()
    other["metadata"]["namespace"] = "team-b"
    assert one(render_cr(other, CERT), "ClusterRole")["metadata"]["name"] == "team-b-srv-cwt-reader"
    off = render_cr(cr(clusterWorkflowTemplates=False), CERT)
    assert not by_kind(off, "ClusterRole")
    assert all(o["metadata"]["name"] != "team-a-srv-cwt" for o in by_kind(off, "ClusterRoleBinding"))


# --- identity, ownership, labels --------------------------------------------------------------------------


def test_service_account_has_no_automount() -> None:
    sa = one(render_cr(cr(), CERT), "ServiceAccount")
    assert sa["metadata"]["name"] == "srv"
    assert sa["automountServiceAccountToken"] is False


def test_labels_and_owner_references() -> None:
    objects = render_cr(cr(namespaces=["team-a", "team-b"]), CERT)
    for obj in objects:
        meta = obj["metadata"]
        assert meta["labels"][c.LABEL_NAME] == "argo-mcp"
        assert meta["labels"][c.LABEL_MANAGED_BY] == "argo-mcp-operator"
        assert meta["labels"][c.LABEL_COMPONENT] == "server"
        assert meta["labels"][c.LABEL_INSTANCE] == "srv"
        assert meta["labels"][c.LABEL_OWNER_NAME] == "srv"
        assert meta["labels"][c.LABEL_OWNER_NAMESPACE] == "team-a"
        if meta.get("namespace") == "team-a":
            assert meta["ownerReferences"] == [
                {
                    "apiVersion": "argo-mcp.io/v1alpha1",
                    "kind": "ArgoMCPServer",
                    "name": "srv",
                    "uid": "uid-1",
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ]
        else:  # other namespaces and cluster scope: found again by label, deleted by the finalizer
            assert "ownerReferences" not in meta


def test_render_is_pure_and_ordered() -> None:
    first = render_cr(cr(namespaces=["team-a", "team-b"]), CERT)
    assert first == render_cr(cr(namespaces=["team-a", "team-b"]), CERT)
    kinds = [o["kind"] for o in first]
    assert kinds.index("ServiceAccount") < kinds.index("Role") < kinds.index("Deployment")
    assert kinds[-1] == "Deployment"


# --- Deployment -------------------------------------------------------------------------------------------


def test_default_args() -> None:
    assert container(render_cr(cr(), CERT))["args"] == [
        "--host", "0.0.0.0",
        "--port", "8081",
        "--argo-server-url", URL,
        "--argo-auth-mode", "k8s-service-account",
        "--argo-token-file", "/var/run/secrets/argo-mcp/argo/token",
        "--argo-default-namespace", "team-a",
        "--namespaces", "team-a",
        "--read-only",
        "--tls-cert", "/etc/argo-mcp/tls/tls.crt",
        "--tls-key", "/etc/argo-mcp/tls/tls.key",
        "--auth-inbound", "kubernetes",
        "--inbound-audience", "argo-mcp",
        "--artifact-dir", "/tmp/artifacts",
        "--task-key-file", "/etc/argo-mcp/task-key/task.key",
        "--log-level", "info",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("mode", "present", "absent"),
    [
        ("read-only", ["--read-only"], ["--disable-destructive"]),
        ("operate", ["--disable-destructive"], ["--read-only"]),
        ("full", [], ["--read-only", "--disable-destructive"]),
    ],
)
def test_mode_flags(mode: str, present: list[str], absent: list[str]) -> None:
    args = container(render_cr(cr(mode=mode), CERT))["args"]
    for flag in present:
        assert flag in args
    for flag in absent:
        assert flag not in args


def test_args_follow_the_spec() -> None:
    args = container(
        render_cr(
            cr(
                namespaces=["x", "y"],
                defaultNamespace="y",
                service={"port": 9443},
                argoServer={"url": URL, "caSecretRef": {"name": "argo-ca", "key": "bundle.pem"}},
                inboundAuth={"mode": "kubernetes", "audience": "mcp.example"},
            ),
            CERT,
        )
    )["args"]
    joined = " ".join(args)
    assert "--port 9443" in joined
    assert "--namespaces x,y" in joined
    assert "--argo-default-namespace y" in joined
    assert "--argo-ca-file /etc/argo-mcp/argo-ca/bundle.pem" in joined
    assert "--inbound-audience mcp.example" in joined
    assert "--argo-insecure-skip-tls-verify" not in args


def test_insecure_and_inbound_none_and_tls_disabled() -> None:
    objects = render_cr(
        cr(
            argoServer={"url": "http://argo:2746", "insecureSkipTLSVerify": True},
            inboundAuth={"mode": "none"},
            tls={"mode": "disabled"},
        )
    )
    ctr = container(objects)
    args = ctr["args"]
    assert "--argo-insecure-skip-tls-verify" in args
    assert args[args.index("--auth-inbound") + 1] == "none"
    assert "--inbound-audience" not in args
    assert "--tls-cert" not in args and "--tls-key" not in args
    assert ctr["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "mcp", "scheme": "HTTP"}
    assert ctr["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "mcp", "scheme": "HTTP"}
    assert not tls_secrets(objects)
    volumes = {v["name"] for v in one(objects, "Deployment")["spec"]["template"]["spec"]["volumes"]}
    assert volumes == {
        "argo-token",
        "task-key",
        "tmp",
    }  # no TLS, no kube API credentials without inbound auth


def test_probes_use_https_with_tls() -> None:
    ctr = container(render_cr(cr(), CERT))
    assert ctr["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "mcp", "scheme": "HTTPS"}
    assert ctr["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "mcp", "scheme": "HTTPS"}
    assert ctr["ports"] == [{"name": "mcp", "containerPort": 8081, "protocol": "TCP"}]


def test_projected_argo_token() -> None:
    pod = one(
        render_cr(cr(serviceAccount={"tokenExpirationSeconds": 7200, "audience": "argo"}), CERT), "Deployment"
    )
    pod_spec = pod["spec"]["template"]["spec"]
    (argo_token,) = [v for v in pod_spec["volumes"] if v["name"] == "argo-token"]
    assert argo_token["projected"]["sources"] == [
        {"serviceAccountToken": {"path": "token", "expirationSeconds": 7200, "audience": "argo"}}
    ]
    mounts = {m["name"]: m for m in pod_spec["containers"][0]["volumeMounts"]}
    assert mounts["argo-token"] == {
        "name": "argo-token",
        "mountPath": "/var/run/secrets/argo-mcp/argo",
        "readOnly": True,
    }
    assert pod_spec["serviceAccountName"] == "srv"
    assert pod_spec["automountServiceAccountToken"] is False


def test_token_audience_unset_by_default() -> None:
    pod_spec = one(render_cr(cr(), CERT), "Deployment")["spec"]["template"]["spec"]
    (argo_token,) = [v for v in pod_spec["volumes"] if v["name"] == "argo-token"]
    assert argo_token["projected"]["sources"] == [
        {"serviceAccountToken": {"path": "token", "expirationSeconds": 3600}}
    ]


def test_kube_api_credentials_only_for_kubernetes_inbound_auth() -> None:
    pod_spec = one(render_cr(cr(), CERT), "Deployment")["spec"]["template"]["spec"]
    mounts = {m["name"]: m["mountPath"] for m in pod_spec["containers"][0]["volumeMounts"]}
    assert mounts["kube-api-access"] == "/var/run/secrets/kubernetes.io/serviceaccount"
    assert mounts["tls"] == "/etc/argo-mcp/tls"
    assert mounts["tmp"] == "/tmp"


def test_restricted_security_context() -> None:
    pod_spec = one(render_cr(cr(), CERT), "Deployment")["spec"]["template"]["spec"]
    assert pod_spec["securityContext"]["runAsNonRoot"] is True
    assert pod_spec["securityContext"]["runAsUser"] == 65532
    assert pod_spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    sc = pod_spec["containers"][0]["securityContext"]
    assert sc == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "runAsUser": 65532,
        "runAsGroup": 65532,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def test_scheduling_resources_image_and_annotations_pass_through() -> None:
    toleration = {"key": "dedicated", "operator": "Equal", "value": "mcp", "effect": "NoSchedule"}
    affinity: dict[str, Any] = {
        "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": []}}
    }
    deployment = one(
        render_cr(
            cr(
                image="registry.local/argo-mcp:dev",
                replicas=3,
                resources={"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": 256}},
                nodeSelector={"kubernetes.io/os": "linux"},
                tolerations=[toleration],
                affinity=affinity,
                podAnnotations={"prometheus.io/scrape": "true"},
            ),
            CERT,
        ),
        "Deployment",
    )
    template = deployment["spec"]["template"]
    assert deployment["spec"]["replicas"] == 3
    assert template["spec"]["containers"][0]["image"] == "registry.local/argo-mcp:dev"
    assert template["spec"]["containers"][0]["resources"] == {
        "requests": {"cpu": "100m", "memory": "128Mi"},
        "limits": {"memory": 256},
    }
    assert template["spec"]["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert template["spec"]["tolerations"] == [toleration]
    assert template["spec"]["affinity"] == affinity
    assert template["metadata"]["annotations"]["prometheus.io/scrape"] == "true"


def test_default_image() -> None:
    assert container(render_cr(cr(), CERT))["image"] == c.DEFAULT_IMAGE


def test_selector_matches_pod_and_service() -> None:
    objects = render_cr(cr(), CERT)
    deployment, service = one(objects, "Deployment"), one(objects, "Service")
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector == {"app.kubernetes.io/name": "argo-mcp", "app.kubernetes.io/instance": "srv"}
    assert service["spec"]["selector"] == selector
    assert selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    assert service["spec"]["type"] == "ClusterIP"
    assert service["spec"]["ports"] == [{"name": "mcp", "port": 8081, "targetPort": "mcp", "protocol": "TCP"}]


# --- TLS --------------------------------------------------------------------------------------------------


def test_self_signed_secret_and_rollout_checksum() -> None:
    objects = render_cr(cr(), CERT)
    (secret,) = tls_secrets(objects)
    assert secret["metadata"]["name"] == "srv-tls"
    assert secret["type"] == "kubernetes.io/tls"
    assert secret["data"] == CERT.secret_data()
    template = one(objects, "Deployment")["spec"]["template"]
    assert template["metadata"]["annotations"][c.ANNOTATION_TLS_CHECKSUM] == CERT.checksum
    (tls_volume,) = [v for v in template["spec"]["volumes"] if v["name"] == "tls"]
    assert tls_volume["secret"]["secretName"] == "srv-tls"
    renewed = issue("srv", "team-a", timedelta(hours=24))
    new_template = one(render_cr(cr(), renewed), "Deployment")["spec"]["template"]
    assert new_template["metadata"]["annotations"][c.ANNOTATION_TLS_CHECKSUM] != CERT.checksum


def test_self_signed_needs_a_certificate() -> None:
    with pytest.raises(ValueError, match="self-signed"):
        render_cr(cr())


def test_secret_ref_mounts_the_users_secret() -> None:
    objects = render_cr(cr(tls={"mode": "secretRef", "secretName": "from-cert-manager"}))
    assert not tls_secrets(objects)
    template = one(objects, "Deployment")["spec"]["template"]
    (tls_volume,) = [v for v in template["spec"]["volumes"] if v["name"] == "tls"]
    assert tls_volume["secret"]["secretName"] == "from-cert-manager"
    assert "--tls-cert" in template["spec"]["containers"][0]["args"]


def test_endpoint() -> None:
    assert endpoint_of(cr()) == "https://srv.team-a.svc:8081/mcp"
    assert endpoint_of(cr(tls={"mode": "disabled"}, service={"port": 80})) == "http://srv.team-a.svc:80/mcp"


def endpoint_of(resource: dict[str, Any]) -> str:
    return endpoint(Owner.of(resource), parse_spec(resource["spec"]))


def test_render_refuses_an_invalid_spec() -> None:
    with pytest.raises(SpecError, match=r"spec\.tls: tls\.secretName is required"):
        render_cr(cr(tls={"mode": "secretRef"}))


CERT_MANAGER = {"mode": "cert-manager", "certManager": {"issuerRef": {"name": "ca", "kind": "ClusterIssuer"}}}


def test_cert_manager_makes_a_certificate_for_the_service_names() -> None:
    objects = render_cr(cr(tls={**CERT_MANAGER, "duration": "720h", "renewBefore": "48h"}))
    assert not tls_secrets(objects)  # cert-manager writes it
    certificate = one(objects, "Certificate")
    assert certificate["apiVersion"] == "cert-manager.io/v1"
    assert certificate["metadata"]["ownerReferences"][0]["name"] == "srv"
    assert certificate["spec"]["secretName"] == "srv-tls"
    assert certificate["spec"]["dnsNames"] == [
        "srv", "srv.team-a", "srv.team-a.svc", "srv.team-a.svc.cluster.local", "localhost"
    ]  # fmt: skip
    assert (certificate["spec"]["duration"], certificate["spec"]["renewBefore"]) == ("720h", "48h")
    assert certificate["spec"]["issuerRef"] == {
        "name": "ca",
        "kind": "ClusterIssuer",
        "group": "cert-manager.io",
    }
    template = one(objects, "Deployment")["spec"]["template"]
    (tls_volume,) = [v for v in template["spec"]["volumes"] if v["name"] == "tls"]
    assert tls_volume["secret"]["secretName"] == "srv-tls"
    assert c.ANNOTATION_TLS_CHECKSUM not in template["metadata"].get("annotations", {})
    own = one(render_cr(cr(tls={**CERT_MANAGER, "secretName": "served"})), "Certificate")
    assert own["spec"]["secretName"] == "served"


def test_cert_manager_certificate_found_rolls_the_pods() -> None:
    template = one(render_cr(cr(tls=CERT_MANAGER), CERT), "Deployment")["spec"]["template"]
    assert template["metadata"]["annotations"][c.ANNOTATION_TLS_CHECKSUM] == CERT.checksum


def test_env_reaches_the_server_container() -> None:
    """spec.env (the chart's env, formerly extraEnv): how an operator-made server gets OTEL_* to turn tracing on."""
    env = [{"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": "http://collector:4318"}]
    assert container(render_cr(cr(env=env), CERT))["env"] == env
    assert "env" not in container(render_cr(cr(), CERT))


def test_oidc_inbound_auth_args_and_no_kube_api_access() -> None:
    oidc = {"issuer": "https://dex.example.com", "jwksUrl": "https://dex.example.com/keys"}
    objects = render_cr(cr(inboundAuth={"mode": "oidc", "audience": "mcp", "oidc": oidc}), CERT)
    args = container(objects)["args"]
    pairs = dict(itertools.pairwise(args))
    assert pairs["--auth-inbound"] == "oidc"
    assert pairs["--oidc-issuer"] == "https://dex.example.com"
    assert pairs["--oidc-jwks-url"] == "https://dex.example.com/keys"
    assert pairs["--inbound-audience"] == "mcp"
    assert "--resource-url" not in args
    pod_spec = one(objects, "Deployment")["spec"]["template"]["spec"]
    assert "kube-api-access" not in [v["name"] for v in pod_spec["volumes"]]
    assert not [
        o for o in by_kind(objects, "ClusterRoleBinding") if o["metadata"]["name"].endswith("auth-delegator")
    ]
    without_jwks = container(
        render_cr(cr(inboundAuth={"mode": "oidc", "oidc": {"issuer": "https://i"}}), CERT)
    )
    assert "--oidc-jwks-url" not in without_jwks["args"]


def test_every_pod_template_entry_is_generated_into_the_chart() -> None:
    """Each table of podtemplate becomes a named template of the chart, with its conditions as Go `if`s."""
    from argo_mcp_operator.chartgen import pod_template
    from argo_mcp_operator.podtemplate import TEMPLATES

    generated = pod_template()
    for name in TEMPLATES:
        assert f'{{{{- define "argo-mcp.{name}" -}}}}' in generated, name
    assert '{{- if eq .Values.inboundAuth.mode "kubernetes" }}\n- name: kube-api-access' in generated
    assert "expirationSeconds: {{ .Values.serviceAccount.tokenExpirationSeconds | toJson }}" in generated
