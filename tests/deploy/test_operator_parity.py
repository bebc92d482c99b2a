"""The chart and the operator make the same objects for the same settings, and ship the same CRD."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest
import yaml

from .bundle import CHART, ROOT, Obj, helm_template

CRD_SOURCE = ROOT / "deploy" / "crds" / "argo-mcp.io_argomcpservers.yaml"
CRD_COPY = CHART / "files" / "argo-mcp.io_argomcpservers.yaml"
COMPARED_LABELS = ("app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/component")
RESOURCES = {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"memory": "512Mi"}}

# Settings as (chart values, ArgoMCPServer spec): the chart's values carry the spec's names, so most pairs are
# the same mapping; "legacy-names" gives the chart its former names, which must still render the same objects.
# Tracing turned on through env (the chart's former extraEnv): the same container env.
TRACING_ENV = [
    {"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": "http://otel-collector.observability:4318"},
    {"name": "OTEL_SERVICE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
]
# maxLongCalls is the server's default: neither side passes it.
LIMITS = {
    "maxInflightCalls": 128,
    "maxLongCalls": 16,
    "maxLongCallsPerCaller": 2,
    "maxBufferedMiB": 512,
    "maxConnections": 5000,
}
TARGETS_VALUES: Obj = {
    "argoServer": {"url": "https://argo-server.argo.svc:2746"},
    "namespaces": ["team-a", "team-b"],
    "defaultTarget": "prod-eu",
    "oidcGroups": {"sre": ["prod-eu", "staging"], "dev": ["dev"]},
    "targets": [
        {
            "name": "prod-eu",
            "argoServer": {"url": "https://argo-server.argo.svc:2746", "caSecretRef": {"name": "argo-ca"}},
            "auth": {"mode": "k8s-service-account", "audience": "argo"},
            "namespaces": ["team-a", "team-b"],
            "defaultNamespace": "team-b",
            "mode": "operate",
        },
        {
            "name": "staging",
            "argoServer": {
                "url": "https://argo.staging.example.com",
                "caSecretRef": {"name": "staging-ca", "key": "bundle.pem"},
            },
            "auth": {"mode": "bearer-file", "tokenSecretRef": {"name": "staging-argo"}},
            "namespaces": ["team-a"],
            "mode": "full",
            "toolsets": ["workflows", "info"],
            "confirmDestructive": False,
        },
        {
            "name": "dev",
            "argoServer": {"url": "http://argo.dev.example.com:2746", "insecureSkipTLSVerify": True},
            "auth": {"mode": "bearer", "tokenSecretRef": {"name": "dev-argo", "key": "argo-token"}},
        },
        {"name": "local", "argoServer": {"url": "http://argo-server.argo:2746"}},
    ],
}
SCENARIOS: dict[str, tuple[Obj, Obj]] = {
    "defaults": (
        {},
        # The chart's default: argo-helm's argo-workflows chart released as "argo-workflows" next to it.
        {"argoServer": {"url": "http://argo-workflows-server.tools.svc:2746"}},
    ),
    "operate": (
        {
            "mode": "operate",
            "namespaces": ["argo", "team-a"],
            "defaultNamespace": "team-a",
            "argoServer": {
                "url": "https://argo.example:2746",
                "caSecretRef": {"name": "argo-ca", "key": "ca.pem"},
            },
            "artifactRepositorySecrets": ["s3-creds"],
            "tls": {"mode": "secretRef", "secretName": "my-cert"},
            "nodeSelector": {"kubernetes.io/os": "linux"},
            "podAnnotations": {"team": "platform"},
            "env": TRACING_ENV,
        },
        {
            "mode": "operate",
            "namespaces": ["argo", "team-a"],
            "defaultNamespace": "team-a",
            "argoServer": {
                "url": "https://argo.example:2746",
                "caSecretRef": {"name": "argo-ca", "key": "ca.pem"},
            },
            "artifactRepositorySecrets": ["s3-creds"],
            "tls": {"mode": "secretRef", "secretName": "my-cert"},
            "nodeSelector": {"kubernetes.io/os": "linux"},
            "podAnnotations": {"team": "platform"},
            "env": TRACING_ENV,
        },
    ),
    "full": (
        {
            "mode": "full",
            "clusterWorkflowTemplates": False,
            "argoServer": {"url": "http://argo-server.argo:2746", "insecureSkipTLSVerify": True},
            "serviceAccount": {"audience": "argo-server", "tokenExpirationSeconds": 7200},
            "inboundAuth": {"mode": "none"},
            "tls": {"mode": "disabled"},
            "service": {"port": 9090},
            "replicas": 2,
        },
        {
            "mode": "full",
            "clusterWorkflowTemplates": False,
            "argoServer": {"url": "http://argo-server.argo:2746", "insecureSkipTLSVerify": True},
            "serviceAccount": {"audience": "argo-server", "tokenExpirationSeconds": 7200},
            "inboundAuth": {"mode": "none"},
            "tls": {"mode": "disabled"},
            "service": {"port": 9090},
            "replicas": 2,
        },
    ),
    "legacy-names": (
        {
            "mode": "operate",
            "namespaces": ["argo", "team-a"],
            "argo": {
                "serverUrl": "https://argo.example:2746",
                "defaultNamespace": "team-a",
                "caSecret": {"name": "argo-ca"},  # key: the default of the new name, ca.crt
                "token": {"audience": "argo-server", "expirationSeconds": 7200},
            },
            "extraEnv": TRACING_ENV,
            "replicaCount": 3,
            "tls": {
                "mode": "cert-manager",
                "certManager": {"issuerRef": {"name": "ca"}, "duration": "720h", "renewBefore": "24h"},
            },
        },
        {
            "mode": "operate",
            "namespaces": ["argo", "team-a"],
            "defaultNamespace": "team-a",
            "argoServer": {"url": "https://argo.example:2746", "caSecretRef": {"name": "argo-ca"}},
            "serviceAccount": {"audience": "argo-server", "tokenExpirationSeconds": 7200},
            "env": TRACING_ENV,
            "replicas": 3,
            "tls": {
                "mode": "cert-manager",
                "certManager": {"issuerRef": {"name": "ca"}},
                "duration": "720h",
                "renewBefore": "24h",
            },
        },
    ),
    # Limits: one equal to the server's default (no flag on either side), the others not; redaction names; the
    # user's own task key Secret (mounted under the same file name, nothing made).
    "limits-redaction-own-task-key": (
        {
            "argoServer": {"url": "https://argo.example:2746"},
            "limits": LIMITS,
            "redactParameterNames": ["conn_?str", "^sig_"],
            "allowedServiceAccounts": ["team-a:runner", "*:default"],
            "taskKeySecretRef": {"name": "shared-seal", "key": "seal"},
        },
        {
            "argoServer": {"url": "https://argo.example:2746"},
            "limits": LIMITS,
            "redactParameterNames": ["conn_?str", "^sig_"],
            "allowedServiceAccounts": ["team-a:runner", "*:default"],
            "taskKeySecretRef": {"name": "shared-seal", "key": "seal"},
        },
    ),
    "own-task-key-default-key": (
        {"argoServer": {"url": "https://argo.example:2746"}, "taskKeySecretRef": {"name": "seal"}},
        {"argoServer": {"url": "https://argo.example:2746"}, "taskKeySecretRef": {"name": "seal"}},
    ),
    # Several Argo servers: every auth mode, a CA, per-target scope and mode, OIDC groups. The targets file is
    # compared as parsed YAML (each side writes its own layout), the volumes, mounts and env exactly.
    "targets": (TARGETS_VALUES, TARGETS_VALUES),
    "oidc": (
        {
            "argoServer": {"url": "https://argo.example:2746"},
            "inboundAuth": {
                "mode": "oidc",
                "audience": "mcp",
                "resourceUrl": "https://mcp.example.com/mcp",
                "oidc": {"issuer": "https://dex.example.com", "jwksUrl": "https://dex.example.com/keys"},
            },
        },
        {
            "argoServer": {"url": "https://argo.example:2746"},
            "inboundAuth": {
                "mode": "oidc",
                "audience": "mcp",
                "resourceUrl": "https://mcp.example.com/mcp",
                "oidc": {"issuer": "https://dex.example.com", "jwksUrl": "https://dex.example.com/keys"},
            },
        },
    ),
    # OpenShift's restricted-v2 SCC: no UID, GID or fsGroup named by either deployer.
    "openshift": (
        {"argoServer": {"url": "https://argo.example:2746"}, "openshift": True},
        {"argoServer": {"url": "https://argo.example:2746"}, "openshift": True},
    ),
}


LONG_NAME = "argo-mcp-" + "x" * 44  # 53 characters: Helm's longest release name (fullnameOverride allows 52)
LONG_NAMESPACE = "team-with-a-namespace-name-long-enough-to-truncate"


def _layouts() -> dict[str, tuple[Obj, Obj]]:
    """Every mode, every namespace layout and every shared TLS mode, as (chart values, spec) pairs."""
    out: dict[str, tuple[Obj, Obj]] = {}
    url = {"url": "https://argo.example:2746"}
    for mode in ("read-only", "operate", "full"):
        for layout, namespaces, default in (
            ("own", [], None),
            ("others", ["argo", "team-a"], None),
            ("own-and-others", ["argo", "tools"], None),
            ("explicit-default", ["argo", "tools"], "argo"),
        ):
            values: Obj = {"mode": mode, "argoServer": dict(url)}
            spec: Obj = {"mode": mode, "argoServer": dict(url)}
            if namespaces:
                values["namespaces"] = spec["namespaces"] = namespaces
            if default:
                values["defaultNamespace"] = spec["defaultNamespace"] = default
            out[f"{mode}-{layout}"] = (values, spec)
    cert_manager = {
        "mode": "cert-manager",
        "certManager": {"issuerRef": {"name": "ca", "kind": "ClusterIssuer"}},
    }
    for tls in (
        {"mode": "self-signed"},
        {"mode": "secretRef", "secretName": "cert"},
        cert_manager,
        {**cert_manager, "secretName": "served-cert"},
        {"mode": "disabled"},
    ):
        for inbound in ("kubernetes", "oidc", "none"):
            secret = "-own-secret" if tls["mode"] == "cert-manager" and "secretName" in tls else ""
            auth: Obj = {"mode": inbound}
            if inbound == "oidc":
                auth["oidc"] = {"issuer": "https://issuer.example"}
            out[f"tls-{tls['mode']}{secret}-inbound-{inbound}"] = (
                {"argoServer": dict(url), "tls": tls, "inboundAuth": auth, "logLevel": "debug"},
                {"argoServer": dict(url), "tls": tls, "inboundAuth": auth, "logLevel": "debug"},
            )
    return out


LAYOUTS = _layouts()


def _operator_render() -> Any:
    return importlib.import_module("argo_mcp_operator.render")


def _normalise(objs: list[Obj]) -> dict[str, Obj]:
    """What both must agree on: drop labels beyond name/instance/component, owner references, checksum
    values (each side hashes the certificate its own way) and the Secret's generated key material."""
    out: dict[str, Obj] = {}
    for original in objs:
        obj: Obj = json.loads(json.dumps(original))
        meta = obj["metadata"]
        if "helm.sh/hook" in meta.get("annotations", {}):
            continue
        meta.pop("ownerReferences", None)
        holders = [meta]
        if obj["kind"] == "Deployment":
            holders.append(obj["spec"]["template"]["metadata"])
        for holder in holders:
            holder["labels"] = {k: v for k, v in holder.get("labels", {}).items() if k in COMPARED_LABELS}
            annotations = {
                k: ("<checksum>" if k == "argo-mcp.io/tls-checksum" else v)
                for k, v in holder.get("annotations", {}).items()
                if not k.startswith("checksum/")
            }
            holder.pop("annotations", None)
            if annotations:
                holder["annotations"] = annotations
        if obj["kind"] == "Secret":
            obj["data"] = sorted(obj["data"])
        if obj["kind"] == "ConfigMap" and "targets.yaml" in obj.get("data", {}):
            obj["data"]["targets.yaml"] = yaml.safe_load(obj["data"]["targets.yaml"])
        out[f"{obj['kind']}/{meta.get('namespace', '')}/{meta['name']}"] = obj
    return out


def _assert_same(values: Obj, spec: Obj, name: str = "argo-mcp", namespace: str = "tools") -> None:
    render = _operator_render()
    tls = importlib.import_module("argo_mcp_operator.tls")
    values = {**values, "resources": RESOURCES}
    spec = {**spec, "resources": RESOURCES}
    cr = {"apiVersion": "argo-mcp.io/v1alpha1", "kind": "ArgoMCPServer", "spec": spec,
          "metadata": {"name": name, "namespace": namespace, "uid": "0000"}}  # fmt: skip
    tls_mode = spec.get("tls", {}).get("mode", "self-signed")
    cert = (
        tls.issue(name, namespace, __import__("datetime").timedelta(days=90))
        if tls_mode == "self-signed"
        else None
    )
    owner = render.Owner.of(cr)
    spec_module = importlib.import_module("argo_mcp_operator.spec")
    parsed = spec_module.parse_spec(cr["spec"], name)
    # The key the reconciler would make (the chart makes its own); _normalise compares the Secrets' keys only.
    task_key = None if parsed.task_key_secret_ref else "c2VhbGVkLWJ5LWV2ZXJ5LXJlcGxpY2EtYWxpa2UtLS0tLS0tLS0t"
    from_operator = _normalise(render.render(owner, parsed, cert, task_key))
    from_chart = _normalise(helm_template(release=name, namespace=namespace, values=values))
    assert sorted(from_chart) == sorted(from_operator)
    for key, obj in from_chart.items():
        assert obj == from_operator[key], (
            f"{key} differs\n chart:    {json.dumps(obj, sort_keys=True)}\n"
            f" operator: {json.dumps(from_operator[key], sort_keys=True)}"
        )


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_chart_and_operator_render_the_same_objects(scenario: str) -> None:
    _assert_same(*SCENARIOS[scenario])


def _deployment(objs: list[Obj]) -> Obj:
    (found,) = [o for o in objs if o["kind"] == "Deployment"]
    return found


def test_the_compared_renders_carry_the_new_settings() -> None:
    """What the parity scenarios above compare is really there: the flags of changed limits only, the
    redaction names, and the task key mounted from the chart's Secret or the one named."""
    values, _ = SCENARIOS["limits-redaction-own-task-key"]
    objs = helm_template(release="argo-mcp", namespace="tools", values=values)
    pod = _deployment(objs)["spec"]["template"]["spec"]
    args = pod["containers"][0]["args"]
    assert args[args.index("--max-inflight-calls") + 1] == "128"
    assert args[args.index("--max-long-calls-per-caller") + 1] == "2"
    assert args[args.index("--max-buffered-mib") + 1] == "512"
    assert args[args.index("--max-connections") + 1] == "5000"
    assert "--max-long-calls" not in args  # 16 is the server's default
    assert args[args.index("--redact-parameter-names") + 1] == "conn_?str,^sig_"
    assert args[args.index("--task-key-file") + 1] == "/etc/argo-mcp/task-key/task.key"
    (volume,) = [v for v in pod["volumes"] if v["name"] == "task-key"]
    assert volume["secret"] == {"secretName": "shared-seal", "items": [{"key": "seal", "path": "task.key"}]}
    assert not [o for o in objs if o["kind"] == "Secret" and o["metadata"]["name"].endswith("task-key")]
    defaults = helm_template(release="argo-mcp", namespace="tools")
    (secret,) = [
        o for o in defaults if o["kind"] == "Secret" and o["metadata"]["name"] == "argo-mcp-task-key"
    ]
    assert len(__import__("base64").b64decode(secret["data"]["task.key"])) >= 32
    pod = _deployment(defaults)["spec"]["template"]["spec"]
    (volume,) = [v for v in pod["volumes"] if v["name"] == "task-key"]
    assert volume["secret"]["secretName"] == "argo-mcp-task-key"
    mounts = pod["containers"][0]["volumeMounts"]
    assert {"name": "task-key", "mountPath": "/etc/argo-mcp/task-key", "readOnly": True} in mounts
    flags = {"--max-inflight-calls", "--max-long-calls", "--max-buffered-mib", "--redact-parameter-names"}
    assert not flags & set(pod["containers"][0]["args"])


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_every_mode_namespace_layout_and_tls_mode_renders_the_same(layout: str) -> None:
    _assert_same(*LAYOUTS[layout])


@pytest.mark.parametrize("mode", ["read-only", "operate", "full"])
def test_long_names_render_the_same(mode: str) -> None:
    """Cluster-scoped names (<namespace>-<name>-<suffix>) are cut to 63 characters the same way on both sides."""
    values, spec = LAYOUTS[f"{mode}-others"]
    _assert_same(values, spec, name=LONG_NAME, namespace=LONG_NAMESPACE)
    objs = helm_template(release=LONG_NAME, namespace=LONG_NAMESPACE, values=values)
    cluster_scoped = [o["metadata"]["name"] for o in objs if o["kind"].startswith("Cluster")]
    assert cluster_scoped and all(len(n) <= 63 and not n.endswith("-") for n in cluster_scoped)
    assert len(set(cluster_scoped)) == len(cluster_scoped)


def test_long_names_with_cert_manager_render_the_same() -> None:
    """The Certificate, its Secret and DNS names of a server with the longest name, on both sides."""
    values, spec = LAYOUTS["tls-cert-manager-inbound-kubernetes"]
    _assert_same(values, spec, name=LONG_NAME, namespace=LONG_NAMESPACE)
    (certificate,) = [
        o for o in helm_template(release=LONG_NAME, namespace=LONG_NAMESPACE, values=values)
        if o["kind"] == "Certificate"
    ]  # fmt: skip
    assert certificate["spec"]["secretName"] == f"{LONG_NAME}-tls"
    assert f"{LONG_NAME}.{LONG_NAMESPACE}.svc" in certificate["spec"]["dnsNames"]


def test_generated_chart_helpers_are_current() -> None:
    """The chart's args and Role rules come from the operator's tables; regenerate after changing them."""
    chartgen = importlib.import_module("argo_mcp_operator.chartgen")
    generated = CHART / "templates" / "_generated.tpl"
    assert generated.read_text() == chartgen.generated_helpers(), "stale: run ./dev gen"


def test_chart_crd_is_the_operator_crd() -> None:
    assert CRD_COPY.read_text() == CRD_SOURCE.read_text(), (
        f"{CRD_COPY.relative_to(ROOT)} is stale: run ./dev gen"
    )


def test_operator_toggle_installs_the_crd() -> None:
    assert not [o for o in helm_template() if o["kind"] == "CustomResourceDefinition"]
    objs = helm_template(values={"operator": {"enabled": True}})
    (crd,) = [o for o in objs if o["kind"] == "CustomResourceDefinition"]
    annotations = crd["metadata"].get("annotations", {})
    assert annotations.pop("helm.sh/resource-policy", None) == "keep"
    if not annotations:
        crd["metadata"].pop("annotations", None)
    assert crd == yaml.safe_load(CRD_COPY.read_text())
    assert crd["metadata"]["name"] == "argomcpservers.argo-mcp.io"
