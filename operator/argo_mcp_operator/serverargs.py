"""The argo-mcp command line of a deployed server: one table read by the operator and generated into the chart.

Each entry names a flag, where its value comes from and when it is present, once for the operator (a function
of the parsed spec) and once for the Helm chart (a Go template expression over ``.Values``). The operator
renders ``server_args`` from the table; ``python -m argo_mcp_operator.chartgen`` writes the chart's
``argo-mcp.args`` template from the same table, and the parity tests render both for many settings and compare.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from argo_mcp_operator import constants as c
from argo_mcp_operator.spec import ArgoMCPServerSpec, OidcSpec, server_default


@dataclass(frozen=True)
class Target:
    """What an argument may depend on: the parsed spec, the namespace the server is deployed in and its name
    (the ArgoMCPServer's; the chart's full name)."""

    spec: ArgoMCPServerSpec
    namespace: str
    name: str = ""


@dataclass(frozen=True)
class Value:
    """A setting read two ways: from the operator's spec, and by a chart expression printing the same string."""

    operator: Callable[[Target], str]
    chart: str


@dataclass(frozen=True)
class When:
    """A condition read two ways: a predicate on the spec, and a Go template condition over the chart values."""

    operator: Callable[[Target], bool]
    chart: str


@dataclass(frozen=True)
class Arg:
    """A flag, its value (a constant, a ``Value`` or none for a switch) and when it is given (always if None)."""

    flag: str
    value: str | Value | None = None
    when: When | None = None


TLS_ON = When(lambda t: t.spec.tls.mode != "disabled", 'ne .Values.tls.mode "disabled"')
INBOUND_KUBERNETES = When(
    lambda t: t.spec.inbound_auth.mode == "kubernetes", 'eq .Values.inboundAuth.mode "kubernetes"'
)
INBOUND_OIDC = When(lambda t: t.spec.inbound_auth.mode == "oidc", 'eq .Values.inboundAuth.mode "oidc"')
INBOUND_CHECKED = When(lambda t: t.spec.inbound_auth.mode != "none", 'ne .Values.inboundAuth.mode "none"')


def _oidc(target: Target) -> OidcSpec:
    assert target.spec.inbound_auth.oidc is not None  # enforced by the spec model for mode oidc
    return target.spec.inbound_auth.oidc


LIMITS: tuple[tuple[str, str, str], ...] = (
    ("--max-inflight-calls", "max_inflight_calls", "maxInflightCalls"),
    ("--max-long-calls", "max_long_calls", "maxLongCalls"),
    ("--max-long-calls-per-caller", "max_long_calls_per_caller", "maxLongCallsPerCaller"),
    ("--max-buffered-mib", "max_buffered_mib", "maxBufferedMiB"),
    ("--max-connections", "max_connections", "maxConnections"),
)
"""The admission limits as (server flag, ``LimitsSpec`` field, name under ``limits`` in the spec and the chart)."""


def _limit_arg(flag: str, field: str, name: str) -> Arg:
    """A limit's flag, given only when the setting differs from the server's default: the pod's args then
    name exactly what an install changed. The spec leaves an unset limit None; the chart's values.yaml
    shows the default itself, so the chart compares with the same number, written in by chartgen."""
    default = server_default(flag)

    def value(t: Target) -> int | None:
        found: int | None = getattr(t.spec.limits, field)
        return found

    return Arg(
        flag,
        Value(lambda t: str(value(t)), f"int .Values.limits.{name}"),
        When(lambda t: value(t) not in (None, default), f"ne (int .Values.limits.{name}) {default}"),
    )


ARGS: tuple[Arg, ...] = (
    Arg("--host", "0.0.0.0"),
    Arg("--port", Value(lambda t: str(t.spec.service.port), "toString .Values.service.port")),
    Arg("--argo-server-url", Value(lambda t: t.spec.argo_server.url, 'include "argo-mcp.argoServerUrl" .')),
    Arg("--argo-auth-mode", "k8s-service-account"),
    Arg("--argo-token-file", c.ARGO_TOKEN_FILE),
    Arg(
        "--argo-default-namespace",
        Value(
            lambda t: t.spec.effective_default_namespace(t.namespace), 'include "argo-mcp.defaultNamespace" .'
        ),
    ),
    Arg(
        "--namespaces",
        Value(lambda t: ",".join(t.spec.target_namespaces(t.namespace)), 'include "argo-mcp.namespaces" .'),
    ),
    Arg("--read-only", when=When(lambda t: t.spec.mode == "read-only", 'eq .Values.mode "read-only"')),
    Arg("--disable-destructive", when=When(lambda t: t.spec.mode == "operate", 'eq .Values.mode "operate"')),
    Arg(
        "--argo-insecure-skip-tls-verify",
        when=When(
            lambda t: t.spec.argo_server.insecure_skip_tls_verify, ".Values.argoServer.insecureSkipTLSVerify"
        ),
    ),
    Arg(
        "--argo-ca-file",
        Value(
            lambda t: (
                f"{c.ARGO_CA_DIR}/{t.spec.argo_server.ca_secret_ref.key}"
                if t.spec.argo_server.ca_secret_ref
                else ""
            ),
            f'printf "{c.ARGO_CA_DIR}/%s" .Values.argoServer.caSecretRef.key',
        ),
        When(lambda t: t.spec.argo_server.ca_secret_ref is not None, ".Values.argoServer.caSecretRef.name"),
    ),
    Arg("--tls-cert", f"{c.TLS_DIR}/tls.crt", TLS_ON),
    Arg("--tls-key", f"{c.TLS_DIR}/tls.key", TLS_ON),
    Arg("--auth-inbound", Value(lambda t: t.spec.inbound_auth.mode, ".Values.inboundAuth.mode")),
    Arg(
        "--inbound-audience",
        Value(lambda t: t.spec.inbound_auth.audience, ".Values.inboundAuth.audience"),
        INBOUND_CHECKED,
    ),
    Arg("--oidc-issuer", Value(lambda t: _oidc(t).issuer, ".Values.inboundAuth.oidc.issuer"), INBOUND_OIDC),
    Arg(
        "--oidc-jwks-url",
        Value(lambda t: _oidc(t).jwks_url or "", ".Values.inboundAuth.oidc.jwksUrl"),
        When(
            lambda t: t.spec.inbound_auth.mode == "oidc" and bool(_oidc(t).jwks_url),
            'and (eq .Values.inboundAuth.mode "oidc") .Values.inboundAuth.oidc.jwksUrl',
        ),
    ),
    Arg(
        "--resource-url",
        Value(lambda t: t.spec.inbound_auth.resource_url or "", ".Values.inboundAuth.resourceUrl"),
        When(lambda t: bool(t.spec.inbound_auth.resource_url), ".Values.inboundAuth.resourceUrl"),
    ),
    Arg("--artifact-dir", c.ARTIFACT_DIR),
    # Always: the operator and the chart make the Secret unless one is named (podtemplate mounts it).
    Arg("--task-key-file", c.TASK_KEY_FILE),
    *(_limit_arg(*limit) for limit in LIMITS),
    Arg(
        "--redact-parameter-names",
        Value(lambda t: ",".join(t.spec.redact_parameter_names), 'join "," .Values.redactParameterNames'),
        When(lambda t: bool(t.spec.redact_parameter_names), ".Values.redactParameterNames"),
    ),
    Arg(
        "--allowed-service-accounts",
        Value(lambda t: ",".join(t.spec.allowed_service_accounts), 'join "," .Values.allowedServiceAccounts'),
        When(lambda t: bool(t.spec.allowed_service_accounts), ".Values.allowedServiceAccounts"),
    ),
    Arg("--log-level", Value(lambda t: t.spec.log_level, ".Values.logLevel")),
    # Several Argo servers: the targets file in ConfigMap <name>-targets (podtemplate mounts it; the server
    # re-reads it on change, so a changed target needs no restart).
    Arg("--targets-file", c.TARGETS_FILE, When(lambda t: bool(t.spec.targets), ".Values.targets")),
)


def server_args(spec: ArgoMCPServerSpec, namespace: str) -> list[str]:
    """The container's args (the image's entry point is ``argo-mcp``) for a server deployed in ``namespace``."""
    target = Target(spec, namespace)
    args: list[str] = []
    for arg in ARGS:
        if arg.when is not None and not arg.when.operator(target):
            continue
        args.append(arg.flag)
        if isinstance(arg.value, Value):
            args.append(arg.value.operator(target))
        elif arg.value is not None:
            args.append(arg.value)
    return args
