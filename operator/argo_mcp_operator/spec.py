"""The ``ArgoMCPServer`` spec as pydantic models: the one source of truth for the CRD schema and validation.

The server's own settings (limits, redaction) take their bounds and defaults from the server's settings table
(``argo_mcp.config_table``, in the same distribution), so the CRD cannot allow what the server refuses or
state another default.

Each cross-field rule is written twice on purpose, from one message: as a CEL ``x-kubernetes-validations``
rule in the generated CRD (so the API server rejects a bad object before the operator sees it) and as a
pydantic validator (so the operator never acts on an object stored before a rule existed, and so the rules
are unit-testable without a cluster).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from argo_mcp import config_table as server_table
from argo_mcp.settings import AuthMode, ToolGroup
from argo_mcp.targets import MAX_TARGETS

DNS1123_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
DNS1123_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
# --allowed-service-accounts: namespace:account, `*` for every namespace or any account (the server's syntax).
SERVICE_ACCOUNT_ENTRY = r"^(\*|[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?):(\*|[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?)$"
# Go duration strings restricted to whole hours, minutes and seconds (enough for a certificate lifetime);
# CEL's duration() accepts every string this pattern accepts.
DURATION_PATTERN = r"^([0-9]+h)?([0-9]+m)?([0-9]+s)?$"
_DURATION_RE = re.compile(r"^(?:(?P<h>[0-9]+)h)?(?:(?P<m>[0-9]+)m)?(?:(?P<s>[0-9]+)s)?$")

Mode = Literal["read-only", "operate", "full"]
TLSMode = Literal["self-signed", "secretRef", "cert-manager", "disabled"]
InboundMode = Literal["none", "kubernetes", "oidc"]
LogLevel = Literal["debug", "info", "warning", "error"]

# An arbitrary Kubernetes object we pass through untouched (affinity, a toleration).
KubeObject = Annotated[
    dict[str, Any], WithJsonSchema({"type": "object", "x-kubernetes-preserve-unknown-fields": True})
]
IntOrString = Annotated[int | str, WithJsonSchema({"x-kubernetes-int-or-string": True})]

# Messages shared by the CEL rules and the pydantic validators.
MSG_URL = "argoServer.url must be an http:// or https:// URL"
MSG_CA_AND_INSECURE = "argoServer.caSecretRef and argoServer.insecureSkipTLSVerify are mutually exclusive"
MSG_SECRET_NAME = "tls.secretName is required when tls.mode is secretRef"
MSG_ISSUER = "tls.certManager.issuerRef.name is required when tls.mode is cert-manager"
MSG_RENEW_BEFORE = "tls.renewBefore must be shorter than tls.duration"
MSG_DEFAULT_NS = "defaultNamespace must be one of namespaces"
MSG_OIDC = "inboundAuth.oidc.issuer is required when inboundAuth.mode is oidc"
MSG_OIDC_URL = "inboundAuth.oidc URLs must be http:// or https:// URLs"
MSG_REDACT = "{!r} is not a valid regular expression ({}); give regular expressions matched inside parameter names, e.g. conn_?str"
MSG_TARGET_TOKEN = (
    "auth.tokenSecretRef is required with auth.mode bearer or bearer-file (the Secret holding the token)"
)
MSG_TARGET_NO_TOKEN = "auth.tokenSecretRef is only read with auth.mode bearer or bearer-file; remove it"
MSG_TARGET_AUDIENCE = "auth.audience is only read with auth.mode k8s-service-account; remove it"
MSG_TARGET_DEFAULT_NS = "a target's defaultNamespace must be one of its namespaces"
MSG_DEFAULT_TARGET = "defaultTarget must name one of targets"
MSG_DEFAULT_TARGET_NEEDED = (
    "defaultTarget is required with more than one target (where a call without `target` goes)"
)
MSG_OIDC_GROUPS = "oidcGroups may only name targets of spec.targets"
MSG_NAME = "metadata.name must be a DNS-1035 label of at most 63 characters (it names the Service)"


def _rules(*rules: tuple[str, str]) -> dict[str, Any]:
    return {"x-kubernetes-validations": [{"rule": rule, "message": message} for rule, message in rules]}


def parse_duration(value: str) -> timedelta:
    """Parse the Go-style durations the spec accepts (``2160h``, ``90m``, ``1h30m``, ``45s``)."""
    match = _DURATION_RE.match(value)
    if not value or match is None:
        raise ValueError(f"invalid duration {value!r}: use hours, minutes and seconds such as 2160h or 1h30m")
    parts = {k: int(v) for k, v in match.groupdict(default="0").items()}
    return timedelta(hours=parts["h"], minutes=parts["m"], seconds=parts["s"])


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, validate_by_name=True, validate_by_alias=True, extra="ignore", frozen=True
    )


class SecretKeyRef(_Model):
    """A key in a Secret in the ArgoMCPServer's namespace."""

    name: str = Field(min_length=1, max_length=253, pattern=DNS1123_SUBDOMAIN, description="Secret name.")
    key: str = Field("ca.crt", min_length=1, max_length=253, description="Key inside the Secret.")


class TaskKeySecretRef(SecretKeyRef):
    """A key in a Secret in the ArgoMCPServer's namespace holding at least 32 random bytes."""

    key: str = Field("task.key", min_length=1, max_length=253, description="Key inside the Secret.")


class ArgoServerSpec(_Model):
    """How the server reaches the Argo Workflows API server."""

    model_config = ConfigDict(
        json_schema_extra=_rules(
            ("self.url.startsWith('http://') || self.url.startsWith('https://')", MSG_URL),
            ("!(has(self.caSecretRef) && self.insecureSkipTLSVerify)", MSG_CA_AND_INSECURE),
        )
    )

    url: str = Field(max_length=2048, description="Argo Server URL, e.g. https://argo-server.argo.svc:2746.")
    insecure_skip_tls_verify: bool = Field(
        False,
        alias="insecureSkipTLSVerify",
        description="Skip TLS verification of the Argo Server (debug only).",
    )
    ca_secret_ref: SecretKeyRef | None = Field(
        None, description="Secret holding the CA bundle that signed the Argo Server's certificate."
    )

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(MSG_URL)
        return value

    @model_validator(mode="after")
    def _ca_or_insecure(self) -> ArgoServerSpec:
        if self.ca_secret_ref is not None and self.insecure_skip_tls_verify:
            raise ValueError(MSG_CA_AND_INSECURE)
        return self


class IssuerRef(_Model):
    """The cert-manager Issuer or ClusterIssuer that signs the serving certificate."""

    name: str = Field(
        min_length=1, max_length=253, pattern=DNS1123_SUBDOMAIN, description="Issuer or ClusterIssuer name."
    )
    kind: Literal["Issuer", "ClusterIssuer"] = Field("Issuer", description="Issuer or ClusterIssuer.")
    group: str = Field(
        "cert-manager.io", min_length=1, max_length=253, description="API group of the issuer."
    )


class CertManagerSpec(_Model):
    """tls.mode cert-manager: the operator makes a cert-manager Certificate and serves the Secret it fills."""

    issuer_ref: IssuerRef = Field(description="The issuer that signs the Certificate.")


class TLSSpec(_Model):
    """Serving certificate of the MCP endpoint."""

    model_config = ConfigDict(
        json_schema_extra=_rules(
            ("!has(self.mode) || self.mode != 'secretRef' || has(self.secretName)", MSG_SECRET_NAME),
            ("!has(self.mode) || self.mode != 'cert-manager' || has(self.certManager)", MSG_ISSUER),
            (
                "!has(self.renewBefore) || !has(self.duration)"
                " || duration(self.renewBefore) < duration(self.duration)",
                MSG_RENEW_BEFORE,
            ),
        )
    )

    mode: TLSMode = Field(
        "self-signed",
        description=(
            "self-signed: the operator issues and renews a certificate for the Service's DNS names; "
            "secretRef: use the kubernetes.io/tls Secret named by secretName; "
            "cert-manager: the operator makes a cert-manager Certificate (certManager.issuerRef) for the same "
            "names and serves the Secret cert-manager fills (secretName, default <name>-tls); "
            "disabled: plain HTTP."
        ),
    )
    secret_name: str | None = Field(
        None,
        min_length=1,
        max_length=253,
        pattern=DNS1123_SUBDOMAIN,
        description="kubernetes.io/tls Secret to serve with (tls.mode secretRef; for cert-manager the "
        "Certificate's Secret, default <name>-tls).",
    )
    cert_manager: CertManagerSpec | None = Field(
        None, description="The cert-manager issuer (required for tls.mode cert-manager)."
    )
    duration: str = Field(
        "2160h",
        min_length=2,
        max_length=32,
        pattern=DURATION_PATTERN,
        description="Lifetime of a self-signed or cert-manager certificate.",
    )
    renew_before: str = Field(
        "360h",
        min_length=2,
        max_length=32,
        pattern=DURATION_PATTERN,
        description="Renew a self-signed or cert-manager certificate this long before it expires.",
    )

    @field_validator("duration", "renew_before")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> TLSSpec:
        if self.mode == "secretRef" and not self.secret_name:
            raise ValueError(MSG_SECRET_NAME)
        if self.mode == "cert-manager" and self.cert_manager is None:
            raise ValueError(MSG_ISSUER)
        if parse_duration(self.renew_before) >= parse_duration(self.duration):
            raise ValueError(MSG_RENEW_BEFORE)
        return self


class ServiceSpec(_Model):
    """The ClusterIP Service in front of the server."""

    port: int = Field(8081, ge=1, le=65535, description="Service and container port, named mcp.")


class ServiceAccountSpec(_Model):
    """The projected token the server presents to the Argo Server."""

    token_expiration_seconds: int = Field(
        3600, ge=600, le=4294967296, description="Lifetime of the projected token; the kubelet rotates it."
    )
    audience: str | None = Field(
        None,
        min_length=1,
        max_length=253,
        description="Audience of the projected token; unset means the API server's default audience.",
    )


class OidcSpec(_Model):
    """The OpenID Connect provider whose JWTs callers present (inboundAuth.mode oidc)."""

    model_config = ConfigDict(
        json_schema_extra=_rules(
            (
                "self.issuer.startsWith('http://') || self.issuer.startsWith('https://')",
                MSG_OIDC_URL,
            ),
            (
                "!has(self.jwksUrl) || self.jwksUrl.startsWith('http://') || self.jwksUrl.startsWith('https://')",
                MSG_OIDC_URL,
            ),
        )
    )

    issuer: str = Field(min_length=1, max_length=2048, description="Issuer URL; tokens' iss must equal it.")
    jwks_url: str | None = Field(
        None,
        min_length=1,
        max_length=2048,
        description="JWKS URL. Default: discovered from the issuer's openid-configuration.",
    )

    @field_validator("issuer", "jwks_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(MSG_OIDC_URL)
        return value


class InboundAuthSpec(_Model):
    """Who may call the MCP endpoint."""

    model_config = ConfigDict(
        json_schema_extra=_rules(("!has(self.mode) || self.mode != 'oidc' || has(self.oidc)", MSG_OIDC))
    )

    mode: InboundMode = Field(
        "kubernetes",
        description=(
            "kubernetes: callers present a token checked with TokenReview; oidc: a JWT from oidc.issuer, "
            "checked against its JWKS; none: anyone who can connect."
        ),
    )
    audience: str = Field(
        "argo-mcp", min_length=1, max_length=253, description="Audience callers' tokens must carry."
    )
    resource_url: str | None = Field(
        None,
        min_length=1,
        max_length=2048,
        description="Public URL of the endpoint in the OAuth protected resource metadata. Default: derived "
        "from each request.",
    )
    oidc: OidcSpec | None = Field(None, description="The OIDC issuer (required for inboundAuth.mode oidc).")

    @model_validator(mode="after")
    def _oidc_issuer(self) -> InboundAuthSpec:
        if self.mode == "oidc" and self.oidc is None:
            raise ValueError(MSG_OIDC)
        return self


def server_option(flag: str) -> server_table.Option:
    """The server's setting of that flag (its kind, bounds and default)."""
    for option in server_table.OPTIONS:
        if option.flag == flag:
            return option
    raise LookupError(f"the server has no flag {flag}")


def server_default(flag: str) -> int:
    """The server's default of a whole-number setting as its flag takes it (MiB for a size)."""
    option = server_option(flag)
    return int(float(option.kind.show(option.default())))


def server_bounds(flag: str) -> tuple[int, int]:
    """The whole numbers the server's flag accepts. A size in MiB (the server takes 0.001 to 4096, fractions
    for tests) is offered in whole MiB, 1 to the server's 4096."""
    kind = server_option(flag).kind
    if isinstance(kind, server_table.Number):
        assert kind.whole, f"{flag} is not a whole number"
        return int(kind.low), int(kind.high)
    assert isinstance(kind, server_table.Mebibytes), f"{flag} is neither a number nor a size"
    return 1, 4096


def _limit(flag: str, alias: str | None = None) -> Any:
    """An optional whole number within the server's bounds, described by the server's own help text."""
    low, high = server_bounds(flag)
    return Field(
        None,
        ge=low,
        le=high,
        alias=alias,
        description=f"{server_option(flag).help} ({flag}, {low} to {high}). Unset: the server's default, "
        f"{server_default(flag)}.",
    )


class LimitsSpec(_Model):
    """How much work the server admits at once. An unset field is the server's default, which is not stored
    in the object, so a newer server's default applies to it after an upgrade."""

    max_inflight_calls: int | None = _limit("--max-inflight-calls")
    max_long_calls: int | None = _limit("--max-long-calls")
    max_long_calls_per_caller: int | None = _limit("--max-long-calls-per-caller")
    max_buffered_mib: int | None = _limit("--max-buffered-mib", alias="maxBufferedMiB")
    max_connections: int | None = _limit("--max-connections")


class ResourceRequirements(_Model):
    """Container resource requests and limits."""

    limits: dict[str, IntOrString] | None = None
    requests: dict[str, IntOrString] | None = None


def _defaults(model: type[_Model]) -> dict[str, Any]:
    """A CRD default for an omitted sub-object, spelled out in full: the API server checks a default against
    the object's CEL rules as it stands, without first applying the defaults of its fields."""
    return {"default": model().model_dump(mode="json", by_alias=True, exclude_none=True)}


TARGET_NAME_MAX = 50
"""Shorter than a label's 63: the pod's volume of a target is named target-<name>-token (at most 63)."""


class TokenSecretRef(SecretKeyRef):
    """A key in a Secret in the ArgoMCPServer's namespace holding a bearer token for the target's Argo Server."""

    key: str = Field("token", min_length=1, max_length=253, description="Key inside the Secret.")


class TargetAuthSpec(_Model):
    """How the server proves who it is to the target's Argo Server; a token is never written in the spec."""

    model_config = ConfigDict(
        json_schema_extra=_rules(
            (
                "!has(self.mode) || !(self.mode in ['bearer', 'bearer-file']) || has(self.tokenSecretRef)",
                MSG_TARGET_TOKEN,
            ),
            (
                "!has(self.tokenSecretRef) || (has(self.mode) && self.mode in ['bearer', 'bearer-file'])",
                MSG_TARGET_NO_TOKEN,
            ),
            (
                "!has(self.audience) || !has(self.mode) || self.mode == 'k8s-service-account'",
                MSG_TARGET_AUDIENCE,
            ),
        )
    )

    mode: AuthMode = Field(
        AuthMode.K8S_SERVICE_ACCOUNT,
        description=(
            "k8s-service-account: the server's own ServiceAccount token (projected for `audience` when set, "
            "else the spec's serviceAccount token); bearer: the token in tokenSecretRef, given to the server "
            "as an environment variable (a change rolls the pods); bearer-file: the same Secret mounted as a "
            "file the server re-reads per request (rotates without a restart); none: no token."
        ),
    )
    audience: str | None = Field(
        None,
        min_length=1,
        max_length=253,
        description="k8s-service-account: audience of a projected token of the server's ServiceAccount for "
        "this target (mounted at /var/run/secrets/argo-mcp/targets/<name>/token).",
    )
    token_secret_ref: TokenSecretRef | None = Field(
        None, description="bearer and bearer-file: the Secret key holding the token (default key: token)."
    )

    @model_validator(mode="after")
    def _token_source(self) -> TargetAuthSpec:
        bearer = self.mode in (AuthMode.BEARER, AuthMode.BEARER_FILE)
        if bearer and self.token_secret_ref is None:
            raise ValueError(MSG_TARGET_TOKEN)
        if not bearer and self.token_secret_ref is not None:
            raise ValueError(MSG_TARGET_NO_TOKEN)
        if self.audience is not None and self.mode is not AuthMode.K8S_SERVICE_ACCOUNT:
            raise ValueError(MSG_TARGET_AUDIENCE)
        return self


class TargetSpec(_Model):
    """One Argo Server behind the endpoint: where it is, how to authenticate, and what calls may do there.
    The names are the targets file's (`--targets-file`), which the operator renders into a ConfigMap."""

    model_config = ConfigDict(
        json_schema_extra=_rules(
            (
                "!has(self.namespaces) || !has(self.defaultNamespace)"
                " || self.defaultNamespace in self.namespaces",
                MSG_TARGET_DEFAULT_NS,
            ),
        )
    )

    name: str = Field(
        min_length=1,
        max_length=TARGET_NAME_MAX,
        pattern=DNS1123_LABEL,
        description="DNS-1123 label naming the target: the `target` argument of a call, and the RBAC "
        "resourceName of verb use on targets.argo-mcp.io.",
    )
    argo_server: ArgoServerSpec = Field(description="The target's Argo Server.")
    auth: TargetAuthSpec = Field(default_factory=TargetAuthSpec, json_schema_extra=_defaults(TargetAuthSpec))
    namespaces: list[Annotated[str, Field(min_length=1, max_length=63, pattern=DNS1123_LABEL)]] | None = (
        Field(
            None,
            min_length=1,
            max_length=256,
            json_schema_extra={"x-kubernetes-list-type": "set"},
            description="Namespaces calls to this target may act in. Unset: any the target's Argo Server "
            "allows.",
        )
    )
    default_namespace: str | None = Field(
        None,
        min_length=1,
        max_length=63,
        pattern=DNS1123_LABEL,
        description="Namespace a call to this target uses when it names none. Default: the first of "
        "namespaces.",
    )
    mode: Mode | None = Field(
        None, description="read-only, operate or full for this target. Unset: the spec's mode."
    )
    toolsets: list[ToolGroup] | None = Field(
        None,
        min_length=1,
        json_schema_extra={"x-kubernetes-list-type": "set"},
        description="Tool groups offered for this target. Unset: every group.",
    )
    confirm_destructive: bool | None = Field(
        None, description="Ask the caller to confirm destructive tools on this target. Unset: the server's."
    )

    @model_validator(mode="after")
    def _default_in_namespaces(self) -> TargetSpec:
        if self.namespaces and self.default_namespace and self.default_namespace not in self.namespaces:
            raise ValueError(MSG_TARGET_DEFAULT_NS)
        return self


class ArgoMCPServerSpec(_Model):
    """Desired state of one argo-mcp endpoint."""

    model_config = ConfigDict(
        json_schema_extra=_rules(
            (
                "!has(self.namespaces) || !has(self.defaultNamespace)"
                " || self.defaultNamespace in self.namespaces",
                MSG_DEFAULT_NS,
            ),
            (
                "!has(self.defaultTarget) || (has(self.targets)"
                " && self.targets.exists(t, t.name == self.defaultTarget))",
                MSG_DEFAULT_TARGET,
            ),
            (
                "!has(self.targets) || size(self.targets) < 2 || has(self.defaultTarget)",
                MSG_DEFAULT_TARGET_NEEDED,
            ),
        )
    )

    argo_server: ArgoServerSpec
    default_namespace: str | None = Field(
        None,
        min_length=1,
        max_length=63,
        pattern=DNS1123_LABEL,
        description=(
            "Namespace a tool call uses when it names none. Default: this resource's namespace when it is "
            "one of namespaces, else the first of namespaces."
        ),
    )
    namespaces: list[Annotated[str, Field(min_length=1, max_length=63, pattern=DNS1123_LABEL)]] | None = (
        Field(
            None,
            min_length=1,
            max_length=256,
            json_schema_extra={"x-kubernetes-list-type": "set"},
            description=(
                "Namespaces the server may act in (Role + RoleBinding in each). "
                "Default: this resource's namespace."
            ),
        )
    )
    mode: Mode = Field(
        "read-only",
        description="read-only, operate (no destructive tools) or full: the exposed tools and RBAC verbs.",
    )
    image: str | None = Field(
        None,
        min_length=1,
        max_length=512,
        description="Server image. Default: the operator's matching release.",
    )
    replicas: int = Field(1, ge=1, le=100, description="Server replicas.")
    log_level: LogLevel = Field("info", description="Log level of the server: debug, info, warning or error.")
    resources: ResourceRequirements | None = None
    node_selector: dict[str, str] | None = None
    tolerations: list[KubeObject] | None = None
    affinity: KubeObject | None = None
    pod_annotations: dict[str, str] | None = None
    openshift: bool = Field(
        False,
        description="Run on OpenShift (restricted-v2 SCC): the pods name no UID, GID or fsGroup, so the "
        "namespace's assigned range applies (the chart's openshift).",
    )
    env: list[KubeObject] | None = Field(
        None,
        max_length=128,
        description="Extra environment variables of the server container (EnvVar list), e.g. "
        "OTEL_EXPORTER_OTLP_ENDPOINT to turn on tracing (the chart's env).",
    )
    tls: TLSSpec = Field(default_factory=TLSSpec, json_schema_extra=_defaults(TLSSpec))
    service: ServiceSpec = Field(default_factory=ServiceSpec, json_schema_extra=_defaults(ServiceSpec))
    service_account: ServiceAccountSpec = Field(
        default_factory=ServiceAccountSpec, json_schema_extra=_defaults(ServiceAccountSpec)
    )
    inbound_auth: InboundAuthSpec = Field(
        default_factory=InboundAuthSpec, json_schema_extra=_defaults(InboundAuthSpec)
    )
    limits: LimitsSpec = Field(
        default_factory=LimitsSpec,
        json_schema_extra=_defaults(LimitsSpec),
        description="Admission limits of the server; each unset one is the server's default.",
    )
    redact_parameter_names: list[Annotated[str, Field(min_length=1, max_length=256, pattern=r"^[^,]+$")]] = (
        Field(
            default_factory=list,
            max_length=64,
            description=(
                "Regular expressions (no commas), matched inside template parameter names in any case, that mark "
                "more parameters as secret besides the server's built-in rules (pass, secret, token, key, dsn, "
                "...): their defaults and enums are never shown or completed (--redact-parameter-names)."
            ),
        )
    )
    allowed_service_accounts: list[Annotated[str, Field(max_length=318, pattern=SERVICE_ACCOUNT_ENTRY)]] = (
        Field(
            default_factory=list,
            max_length=256,
            json_schema_extra={"x-kubernetes-list-type": "set"},
            description=(
                "Service accounts the workflows, templates and cron workflows made or submitted through the server may "
                "run as, as namespace:account entries (* for every namespace or any account, e.g. team-a:runner, "
                "*:default); anything else is refused before Argo sees it. A workflow that names no account runs as "
                "default. Empty: no guard (--allowed-service-accounts)."
            ),
        )
    )
    task_key_secret_ref: TaskKeySecretRef | None = Field(
        None,
        description=(
            "Secret key holding the key every replica shares to seal confirmations and task ids (at least 32 "
            "random bytes, e.g. `head -c 48 /dev/urandom | base64`). Unset: the operator creates Secret "
            "<name>-task-key once, owned by this resource, and never rotates it (delete it to get a new key; "
            "open confirmations and tasks then become unknown)."
        ),
    )
    artifact_repository_secrets: list[
        Annotated[str, Field(min_length=1, max_length=253, pattern=DNS1123_SUBDOMAIN)]
    ] = Field(
        default_factory=list,
        max_length=64,
        json_schema_extra={"x-kubernetes-list-type": "set"},
        description=(
            "Secrets the artifact repository uses, in each target namespace: the server's identity may get "
            "exactly these (artifact downloads in Argo's client auth mode read them with the caller's token)."
        ),
    )
    cluster_workflow_templates: bool = Field(
        True,
        description="Create and bind a ClusterRole of the server's own (<namespace>-<name>-cwt-reader) that "
        "lets it read ClusterWorkflowTemplates.",
    )
    targets: list[TargetSpec] | None = Field(
        None,
        min_length=1,
        max_length=MAX_TARGETS,
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]},
        description=(
            "Several Argo Servers behind this one endpoint (the targets file, --targets-file, rendered into "
            "ConfigMap <name>-targets, which the server re-reads on change). Every tool then takes an optional "
            "`target`; each target gets a ClusterRole <namespace>-<name>-target-<target> granting verb use on "
            "targets.argo-mcp.io named after it, for callers to be bound to. Unset: one Argo Server, argoServer."
        ),
    )
    default_target: str | None = Field(
        None,
        min_length=1,
        max_length=TARGET_NAME_MAX,
        pattern=DNS1123_LABEL,
        description="The target a call without `target` goes to (required with more than one target).",
    )
    oidc_groups: dict[str, list[Annotated[str, Field(min_length=1, max_length=TARGET_NAME_MAX)]]] | None = (
        Field(
            None,
            max_length=256,
            description="inboundAuth.mode oidc: OIDC group -> the targets its members may use (with kubernetes "
            "inbound auth, RBAC grants targets instead).",
        )
    )

    @field_validator("redact_parameter_names")
    @classmethod
    def _patterns_compile(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(MSG_REDACT.format(pattern, exc)) from None
        return value

    def target_namespaces(self, own_namespace: str) -> list[str]:
        """The namespaces this server acts in: the listed ones, or the resource's own."""
        return list(self.namespaces) if self.namespaces else [own_namespace]

    def effective_default_namespace(self, own_namespace: str) -> str:
        """The namespace a tool call without one uses; always one of the target namespaces."""
        if self.default_namespace:
            return self.default_namespace
        targets = self.target_namespaces(own_namespace)
        return own_namespace if own_namespace in targets else targets[0]

    @model_validator(mode="after")
    def _default_in_namespaces(self) -> ArgoMCPServerSpec:
        if self.namespaces and self.default_namespace and self.default_namespace not in self.namespaces:
            raise ValueError(MSG_DEFAULT_NS)
        return self

    @model_validator(mode="after")
    def _targets_consistent(self) -> ArgoMCPServerSpec:
        """The rules the server applies to the targets file, so the operator never renders one it refuses."""
        names = [target.name for target in self.targets or ()]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"targets: names must be unique; repeated: {', '.join(repeated)}")
        if self.default_target is not None and self.default_target not in names:
            raise ValueError(MSG_DEFAULT_TARGET)
        if len(names) > 1 and self.default_target is None:
            raise ValueError(MSG_DEFAULT_TARGET_NEEDED)
        unknown = sorted({n for granted in (self.oidc_groups or {}).values() for n in granted} - set(names))
        if unknown:
            raise ValueError(f"{MSG_OIDC_GROUPS}; unknown: {', '.join(unknown)}")
        return self


class Condition(_Model):
    """A standard Kubernetes condition."""

    type: str
    status: Literal["True", "False", "Unknown"]
    reason: str
    message: str
    last_transition_time: str
    observed_generation: int | None = None


class TLSStatus(_Model):
    """What is known about the certificate being served."""

    not_after: str | None = Field(None, description="Expiry of the serving certificate (RFC 3339).")


class ArgoMCPServerStatus(_Model):
    """Observed state, written by the operator."""

    observed_generation: int | None = None
    conditions: list[Condition] | None = Field(
        None, json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"]}
    )
    endpoint: str | None = Field(None, description="In-cluster URL of the MCP endpoint.")
    ready_replicas: int | None = None
    tls: TLSStatus | None = None


class SpecError(ValueError):
    """A spec the operator refuses; each problem names its field (``spec.tls.secretName: ...``)."""


def _location(loc: tuple[int | str, ...]) -> str:
    """``("tls", "secretName")`` -> ``spec.tls.secretName`` (pydantic reports locations by alias)."""
    path = "spec"
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def parse_spec(raw: Any, name: str | None = None) -> ArgoMCPServerSpec:
    """Validate a CR's spec, turning pydantic's errors into one readable message that names each field."""
    problems: list[str] = []
    if name is not None and (len(name) > 63 or not re.match(r"^[a-z]([-a-z0-9]*[a-z0-9])?$", name)):
        problems.append(MSG_NAME)
    try:
        spec = ArgoMCPServerSpec.model_validate(raw if raw is not None else {})
    except ValidationError as exc:
        for error in exc.errors():
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(f"{_location(tuple(error['loc']))}: {message}")
        raise SpecError("; ".join(problems)) from None
    if problems:
        raise SpecError("; ".join(problems))
    return spec
