"""Every setting of the command line once: flag, environment variable, type, bounds, help, and its `Settings` field.

The argparse parser, the environment fallback, the per-field validation (with the messages operators and tests
rely on) and the README's "Command line and environment" table are all generated from `OPTIONS`, so a setting
cannot say one default in `--help`, another in the README and a third in the code. Defaults are not repeated
here: they are read from the `Settings` models, the one place the running server takes them from. What needs
more than one field (a TLS certificate needs its key, `bearer` needs a token, `oidc` an issuer) stays as code in
`cli.py`, after this table has parsed each field on its own.
"""

from __future__ import annotations

import argparse
import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from pydantic import BaseModel

from argo_mcp import redaction
from argo_mcp.settings import (
    MIB,
    AuthMode,
    ConfigError,
    InboundAuthMode,
    LogLevel,
    Settings,
    ToolGroup,
)

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})


class Kind(Protocol):
    """How one setting's text becomes its value; `label` names the flag in the error message."""

    def parse(self, raw: str, label: str) -> Any: ...

    def show(self, default: Any) -> str:
        """The field's default as the operator writes it on the command line (MiB, not bytes)."""
        ...


@dataclass(frozen=True)
class Text:
    def parse(self, raw: str, label: str) -> Any:
        return raw

    def show(self, default: Any) -> str:
        return str(default)


@dataclass(frozen=True)
class Switch:
    """A boolean: `--flag` / `--no-flag`, or 1/true/yes/on (0/false/no/off) in the environment."""

    def parse(self, raw: str, label: str) -> Any:
        word = raw.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ConfigError(f"invalid {label}={word!r}: expected 1, true or yes (or 0, false, no)")

    def show(self, default: Any) -> str:
        return "on" if default else "off"


@dataclass(frozen=True)
class Number:
    """A number within [low, high] (`low` itself excluded when `open_low`), stored times `unit` (1024: KiB)."""

    low: float
    high: float
    whole: bool = False
    unit: int = 1
    what: str = ""  # how the message names the expected value; "a number" / "a whole number" by default
    open_low: bool = False

    def parse(self, raw: str, label: str) -> Any:
        try:
            value = int(raw) if self.whole else float(raw)
            if not (self.low < value if self.open_low else self.low <= value) or value > self.high:
                raise ValueError
        except ValueError:
            what = self.what or ("a whole number" if self.whole else "a number")
            low, high = (str(int(b)) if self.whole else f"{b:g}" for b in (self.low, self.high))
            raise ConfigError(f"invalid {label} {raw!r}: expected {what} between {low} and {high}") from None
        return value * self.unit

    def show(self, default: Any) -> str:
        return f"{default / self.unit:g}"


@dataclass(frozen=True)
class Mebibytes:
    """A size given in MiB (fractions allowed), stored in bytes; between 1 KiB and 4 GiB."""

    def parse(self, raw: str, label: str) -> Any:
        try:
            size = int(float(raw) * MIB)
            if not 1024 <= size <= 4096 * MIB:
                raise ValueError
        except ValueError:
            raise ConfigError(
                f"invalid {label} {raw!r}: expected a size in MiB between 0.001 and 4096"
            ) from None
        return size

    def show(self, default: Any) -> str:
        return f"{default / MIB:g}"


@dataclass(frozen=True)
class Choice:
    """One value of an enum; `many` when it is an item of a comma list (the message then says "some of")."""

    values: type[enum.StrEnum]
    noun: str
    expected: str = ""  # the message's list of choices; "expected one of: a, b, c" by default
    lower: bool = False
    many: bool = False

    def parse(self, raw: str, label: str) -> Any:
        try:
            return self.values(raw.lower() if self.lower else raw)
        except ValueError:
            if self.many:
                choices = ",".join(self.values)
                raise ConfigError(
                    f'unknown {self.noun} "{raw}" in {label} (expected some of: {choices})'
                ) from None
            expected = self.expected or "expected one of: " + ", ".join(self.values)
            raise ConfigError(f'unknown {self.noun} "{raw}" ({expected})') from None

    def show(self, default: Any) -> str:
        return str(default)


@dataclass(frozen=True)
class Url:
    def parse(self, raw: str, label: str) -> Any:
        parts = urlsplit(raw)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(
                f"invalid {label} {raw!r}: expected an http:// or https:// URL such as https://argo.example.com"
            )
        return raw.rstrip("/")

    def show(self, default: Any) -> str:
        return str(default)


@dataclass(frozen=True)
class Namespace:
    def parse(self, raw: str, label: str) -> Any:
        if not DNS1123_LABEL.match(raw):
            raise ConfigError(
                f"invalid {label} {raw!r}: a namespace is a DNS-1123 label (lowercase letters, digits, '-', at most 63)"
            )
        return raw

    def show(self, default: Any) -> str:
        return str(default)


SERVICE_ACCOUNT = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")


@dataclass(frozen=True)
class AccountEntry:
    """`namespace:account`: a namespace (or `*`, every namespace) and a service account in it (or `*`, any)."""

    def parse(self, raw: str, label: str) -> Any:
        namespace, colon, account = raw.partition(":")
        if (
            not colon
            or not (namespace == "*" or DNS1123_LABEL.match(namespace))
            or not (account == "*" or SERVICE_ACCOUNT.match(account))
        ):
            raise ConfigError(
                f"invalid {label} {raw!r}: expected namespace:serviceaccount, e.g. team-a:runner, "
                "*:default (every namespace) or team-b:* (any account in team-b)"
            )
        return f"{namespace}:{account}"

    def show(self, default: Any) -> str:
        return str(default)


@dataclass(frozen=True)
class File:
    """A path; `~` is expanded, and `resolve` makes it absolute (a directory later joined with names)."""

    resolve: bool = False

    def parse(self, raw: str, label: str) -> Any:
        path = Path(raw).expanduser()
        return path.resolve() if self.resolve else path

    def show(self, default: Any) -> str:
        return str(default)


@dataclass(frozen=True)
class Pattern:
    """A regular expression, checked to compile."""

    def parse(self, raw: str, label: str) -> Any:
        try:
            return redaction.parse_secret_name_fragments(raw, label)[0]
        except ValueError as exc:
            raise ConfigError(str(exc)) from None

    def show(self, default: Any) -> str:
        return str(default)


@dataclass(frozen=True)
class CommaList:
    """Comma-separated items, each parsed by `item`; `noun` names one item in messages. No items: the default."""

    item: Kind = Text()
    noun: str = ""

    def parse(self, raw: str, label: str) -> Any:
        item_label = f"{self.noun} in {label}" if self.noun else label
        items = tuple(self.item.parse(piece.strip(), item_label) for piece in raw.split(",") if piece.strip())
        return items or None

    def show(self, default: Any) -> str:
        return ",".join(str(item) for item in default)


@dataclass(frozen=True)
class Option:
    """One setting, written in `OPTIONS` as (flag, variable, field, kind, help, group, keywords...).

    `flag` None: environment only. `field` is the dotted place in `Settings` ("http.idle_timeout"); None when
    only code reads it (the discovery cache, read before `Settings` exists). `shown` replaces the default
    derived from `Settings` in `--help` and the README ("loopback only"); `more` is README-only detail.
    """

    flag: str | None
    env: str | None
    field: str | None
    kind: Kind
    help: str
    group: str | None = None
    shown: str | None = None
    more: str = ""
    required: bool = False

    @property
    def dest(self) -> str:
        assert self.flag is not None
        return self.flag.removeprefix("--").replace("-", "_")

    @property
    def label(self) -> str:
        """How an error message names this setting: its flag (even when the variable gave the value)."""
        return self.flag or str(self.env)

    def default(self) -> Any:
        """The field's default, as `Settings` declares it (None when the field has none or there is no field)."""
        if self.field is None:
            return None
        model: type[BaseModel] = Settings
        *sections, name = self.field.split(".")
        for section in sections:
            annotation = model.model_fields[section].annotation
            assert isinstance(annotation, type) and issubclass(annotation, BaseModel), self.field
            model = annotation
        info = model.model_fields[name]
        return None if info.is_required() else info.default

    def default_text(self) -> str:
        """The default as `--help` and the README show it; empty when there is none worth stating."""
        if self.required:
            return "required"
        if self.shown is not None:
            return self.shown
        default = self.default()
        if isinstance(self.kind, Switch):
            return self.kind.show(bool(default))
        return "" if default in (None, ()) else self.kind.show(default)

    def help_text(self) -> str:
        text = self.help + (f" (env {self.env})" if self.env else "")
        if self.required:
            return f"{text}. Required."
        default = self.default_text()
        return f"{text}. Default {default}." if default else f"{text}."


TRANSPORT = "transport"
ARGO = "Argo Workflows connection"
SCOPE = "scope (which tools are exposed, where they may act)"
INBOUND = "inbound authentication (HTTP transport)"
SECONDS = Number(0.1, 3600)

OPTIONS: tuple[Option, ...] = (
    Option(
        "--stdio",
        None,
        "stdio",
        Switch(),
        "Speak MCP over stdio instead of HTTP (for embedding in an MCP client); ignores --host/--port/--tls-*",
        TRANSPORT,
    ),
    Option(
        None,
        "ARGO_MCP_DISCOVERY_CACHE",
        None,
        Text(),
        "stdio only: where a started server records its initialize and tools/list answers, so the next start "
        "with the same code, flags and ARGO_* variables answers them in ~50 ms, before loading the server (a "
        "changed input is a new entry; nothing secret is stored); off disables it, an unwritable directory just "
        "means no cache",
        shown="$XDG_CACHE_HOME/argo-mcp/discovery",
    ),
    Option("--host", None, "http.host", Text(), "Bind address (HTTP transport only)", TRANSPORT),
    Option(
        "--port",
        None,
        "http.port",
        Number(1, 65535, whole=True, what="a TCP port number"),
        "TCP port (HTTP transport only)",
        TRANSPORT,
    ),
    Option(
        "--tls-cert",
        None,
        "http.tls_cert",
        File(),
        "Path to a PEM-encoded TLS certificate (requires --tls-key)",
        TRANSPORT,
    ),
    Option(
        "--tls-key",
        None,
        "http.tls_key",
        File(),
        "Path to a PEM-encoded TLS private key (requires --tls-cert)",
        TRANSPORT,
    ),
    Option(
        "--allowed-hosts",
        "ARGO_MCP_ALLOWED_HOSTS",
        "http.allowed_hosts",
        CommaList(),
        "Comma-separated Host header values accepted on /mcp; '*.example.com' matches subdomains, a port suffix "
        "is ignored. IP literals and single-label names are always accepted",
        TRANSPORT,
        more="Others get 421.",
    ),
    Option(
        "--allowed-origins",
        "ARGO_MCP_ALLOWED_ORIGINS",
        "http.allowed_origins",
        CommaList(),
        "Comma-separated browser Origins allowed to call /mcp, patterns like https://*.example.com:* allowed. "
        "Requests without an Origin header (MCP clients, agents) are unaffected; loopback origins "
        "(http://localhost:<port>, 127.0.0.1, [::1]) are always accepted",
        TRANSPORT,
        shown="loopback only",
        more="Other Origins get 403.",
    ),
    Option(
        "--http-idle-timeout",
        "ARGO_MCP_HTTP_IDLE_TIMEOUT",
        "http.idle_timeout",
        SECONDS,
        "Seconds a keep-alive connection may sit without a request before it is closed",
        TRANSPORT,
    ),
    Option(
        "--http-header-timeout",
        "ARGO_MCP_HTTP_HEADER_TIMEOUT",
        "http.header_timeout",
        SECONDS,
        "Seconds a client has to send a request's headers, from connecting or from the request's first byte; "
        "slower ones (slowloris) are disconnected",
        TRANSPORT,
    ),
    Option(
        "--http-body-timeout",
        "ARGO_MCP_HTTP_BODY_TIMEOUT",
        "http.body_timeout",
        SECONDS,
        "Seconds a client has to send a request's body once its headers are in; slower ones are disconnected",
        TRANSPORT,
    ),
    Option(
        "--max-connections",
        "ARGO_MCP_MAX_CONNECTIONS",
        "http.max_connections",
        Number(1, 1_000_000, whole=True),
        "Open HTTP connections at most; beyond it a new connection evicts the longest-idle one, or gets 503 when "
        "all are busy",
        TRANSPORT,
        more="argo-mcp raises its open-files soft limit to fit it (and warns when the hard limit, `ulimit -Hn`, "
        "is too low).",
    ),
    Option(
        "--max-inflight-calls",
        "ARGO_MCP_MAX_INFLIGHT_CALLS",
        "max_inflight_calls",
        Number(1, 100_000, whole=True),
        "Short calls reaching Argo at once (tool calls, resource reads, completions); one more is refused with a "
        "retry hint before anything is sent to Argo, and while callers wait each gets its share",
        TRANSPORT,
    ),
    Option(
        "--max-long-calls",
        "ARGO_MCP_MAX_LONG_CALLS",
        "max_long_calls",
        Number(1, 100_000, whole=True),
        "Long calls running at once (wait_for_workflow, log tools with follow, artifact downloads): a budget of "
        "their own, so waits never take the slots short calls need",
        TRANSPORT,
    ),
    Option(
        "--max-long-calls-per-caller",
        "ARGO_MCP_MAX_LONG_CALLS_PER_CALLER",
        "max_long_calls_per_caller",
        Number(1, 100_000, whole=True),
        "Long calls one caller (its inbound identity, or its address with --auth-inbound none) may run at once",
        TRANSPORT,
    ),
    Option(
        "--argo-server-url",
        "ARGO_SERVER_URL",
        "argo.server_url",
        Url(),
        "Argo Workflows server URL, e.g. https://argo.example.com",
        ARGO,
        required=True,
    ),
    Option(
        "--argo-auth-mode",
        "ARGO_AUTH_MODE",
        "argo.auth_mode",
        Choice(AuthMode, "auth mode"),
        "Auth mode: bearer, bearer-file, k8s-service-account, or none. bearer reads the token from ARGO_TOKEN "
        "once at boot",
        ARGO,
        shown="k8s-service-account in-cluster (KUBERNETES_SERVICE_HOST set), otherwise none",
    ),
    Option(
        None,
        "ARGO_TOKEN",
        "argo.token",
        Text(),
        "Token for bearer mode, read once at boot (never a flag, so it stays out of process lists)",
    ),
    Option(
        "--argo-token-file",
        "ARGO_TOKEN_FILE",
        "argo.token_file",
        File(),
        "Path to a token file: required for bearer-file; overrides the default path for k8s-service-account "
        "(/var/run/secrets/kubernetes.io/serviceaccount/token). Re-read on every request",
        ARGO,
    ),
    Option(
        "--argo-default-namespace",
        "ARGO_DEFAULT_NAMESPACE",
        "argo.default_namespace",
        Namespace(),
        "Default Kubernetes namespace used when a tool call omits one",
        ARGO,
    ),
    Option(
        "--argo-insecure-skip-tls-verify",
        "ARGO_INSECURE_SKIP_TLS_VERIFY",
        "argo.insecure_skip_tls_verify",
        Switch(),
        "Skip TLS verification for outbound Argo requests (debug only; the variable takes 1, true or yes). "
        "Scoped to the Argo client; other connections still verify TLS",
        ARGO,
    ),
    Option(
        "--argo-ca-file",
        "ARGO_CA_FILE",
        "argo.ca_file",
        File(),
        "PEM bundle of the CA that signed the Argo server's certificate",
        ARGO,
        shown="system trust",
    ),
    Option(
        "--argo-timeout",
        "ARGO_MCP_ARGO_TIMEOUT",
        "argo.request_timeout",
        Number(0, 3600, what="seconds", open_low=True),
        "Seconds to wait for one Argo request before giving up",
        ARGO,
    ),
    Option(
        "--argo-max-response-mib",
        "ARGO_MCP_ARGO_MAX_RESPONSE_MIB",
        "argo.max_response_bytes",
        Mebibytes(),
        "Largest non-streamed Argo answer argo-mcp reads, in MiB; a larger one is refused with advice to narrow "
        "the request",
        ARGO,
        more="Logs and artifacts stream and are not affected.",
    ),
    Option(
        "--max-buffered-mib",
        "ARGO_MCP_MAX_BUFFERED_MIB",
        "argo.max_buffered_bytes",
        Mebibytes(),
        "Bytes of Argo answers argo-mcp holds at once across all concurrent calls, in MiB; a call whose answer "
        "would pass it is refused as busy, with a retry hint",
        ARGO,
    ),
    Option(
        "--read-only", "ARGO_MCP_READ_ONLY", "scope.read_only", Switch(), "Expose only read-only tools", SCOPE
    ),
    Option(
        "--disable-destructive",
        "ARGO_MCP_DISABLE_DESTRUCTIVE",
        "scope.disable_destructive",
        Switch(),
        "Hide destructive tools (retry, stop, terminate, delete, ...)",
        SCOPE,
    ),
    Option(
        "--task-key-file",
        "ARGO_MCP_TASK_KEY_FILE",
        "task_key_file",
        File(),
        "File of at least 32 random bytes that every replica shares: it seals what argo-mcp hands to clients (a "
        "confirmation's requestState, task ids), so any replica recognises it; without it each process has its "
        "own key",
        SCOPE,
        more="The chart and the operator create it as a Secret. Create one by hand with "
        "`head -c 48 /dev/urandom | base64 > FILE`.",
    ),
    Option(
        "--targets-file",
        "ARGO_MCP_TARGETS_FILE",
        "targets_file",
        File(),
        "YAML file of several Argo servers (targets) served by one endpoint, each with its own URL, credentials, "
        "namespaces and mode; every tool then takes `target`. Re-read when it changes",
        SCOPE,
        more="See [Several clusters](#several-clusters). Without it, the flags above define the one Argo server.",
    ),
    Option(
        "--confirm-destructive",
        "ARGO_MCP_CONFIRM_DESTRUCTIVE",
        "confirm_destructive",
        Switch(),
        "Ask the client to confirm each destructive call through elicitation before anything is sent to Argo; "
        "clients without elicitation get error -32021",
        SCOPE,
        more="A declined or cancelled confirmation sends nothing. See "
        "[Confirming destructive calls](#confirming-destructive-calls).",
    ),
    Option(
        "--toolsets",
        "ARGO_MCP_TOOLSETS",
        "scope.toolsets",
        CommaList(Choice(ToolGroup, "toolset", many=True)),
        f"Comma-separated tool groups to expose: {','.join(ToolGroup)}",
        SCOPE,
        shown="all",
    ),
    Option(
        "--redact-parameter-names",
        "ARGO_MCP_REDACT_PARAMETER_NAMES",
        "scope.redact_parameter_names",
        CommaList(Pattern(), "pattern"),
        "Comma-separated regular expressions, matched inside parameter names (any case), that mark more "
        "parameters as secret, besides the built-in rules (pass, secret, token, key, dsn, ...)",
        SCOPE,
        shown="none",
        more="A secret parameter's default and enum values are never shown or offered as completions; values "
        "that look secret (URLs with a password, PEM blocks, JWTs, long random strings) are redacted whatever "
        "the name.",
    ),
    Option(
        "--namespaces",
        "ARGO_MCP_NAMESPACES",
        "scope.namespaces",
        CommaList(Namespace(), "namespace"),
        "Comma-separated namespaces every tool is confined to. A call outside them is refused before any request",
        SCOPE,
        shown="any namespace",
    ),
    Option(
        "--allowed-service-accounts",
        "ARGO_MCP_ALLOWED_SERVICE_ACCOUNTS",
        "scope.allowed_service_accounts",
        CommaList(AccountEntry(), "entry"),
        "Comma-separated namespace:serviceaccount entries (* for every namespace or any account, e.g. "
        "team-a:runner,*:default) that workflows, templates and cron workflows created, updated or submitted "
        "through argo-mcp may run as; anything else is refused before any request",
        SCOPE,
        shown="any account",
        more="Checked: every `serviceAccountName` in the manifest (workflow, template, executor, `podSpecPatch`) "
        "and submit's `serviceAccount`. A workflow spec that names none runs as the namespace's `default` account, "
        "so it is checked as `default` (allow it with `*:default`), unless it runs a `workflowTemplateRef` (the "
        "template's account, checked when the template was made through argo-mcp). A ClusterWorkflowTemplate runs "
        "in every namespace: only `*:` entries allow its accounts. See [Service-account guard](#service-account-guard).",
    ),
    Option(
        "--artifact-dir",
        "ARGO_MCP_ARTIFACT_DIR",
        "artifact_dir",
        File(resolve=True),
        "Directory that artifact downloads are confined to",
        SCOPE,
        shown="$TMPDIR/argo-mcp/artifacts",
    ),
    Option(
        "--inline-artifact-kib",
        "ARGO_MCP_INLINE_ARTIFACT_KIB",
        "inline_artifact_bytes",
        Number(0, 2048, whole=True, unit=1024),
        "Artifacts up to this many KiB come back in the answer when no destinationPath is given, larger ones are "
        "saved under --artifact-dir; 0: always saved",
        SCOPE,
        more="Inline: valid UTF-8 (no NUL bytes) as text, anything else as an embedded resource blob (base64), "
        "with `bytes` and `sha256`. Larger ones (and any whose base64 would not fit `--max-answer-mib`) are saved "
        "as `<namespace>/<workflow>/<nodeId>/<direction>/<artifactName>`; a call with `destinationPath` always "
        "saves to that file.",
    ),
    Option(
        "--auth-inbound",
        "ARGO_MCP_INBOUND_AUTH",
        "inbound.mode",
        Choice(InboundAuthMode, "inbound auth mode"),
        "Who may call the HTTP endpoint: none, kubernetes (TokenReview + per-call SubjectAccessReview) or oidc "
        "(JWT checked against the issuer's JWKS)",
        INBOUND,
        more="See [Security](#security).",
    ),
    Option(
        "--inbound-audience",
        "ARGO_MCP_INBOUND_AUDIENCE",
        "inbound.audience",
        Text(),
        "Audience callers' tokens must carry",
        INBOUND,
    ),
    Option(
        "--resource-url",
        "ARGO_MCP_RESOURCE_URL",
        "inbound.resource_url",
        Url(),
        "Public URL of this MCP endpoint, advertised in the OAuth protected resource metadata",
        INBOUND,
        shown="derived from the request",
    ),
    Option(
        "--kubeconfig",
        "KUBECONFIG",
        "inbound.kubeconfig",
        Text(),
        "kubeconfig for the TokenReview/SubjectAccessReview calls of --auth-inbound kubernetes when running "
        "outside a cluster. In a Pod the service account is used",
        INBOUND,
    ),
    Option(
        "--oidc-issuer",
        "ARGO_MCP_OIDC_ISSUER",
        "inbound.oidc_issuer",
        Url(),
        "OIDC issuer URL for --auth-inbound oidc",
        INBOUND,
    ),
    Option(
        "--oidc-jwks-url",
        "ARGO_MCP_OIDC_JWKS_URL",
        "inbound.oidc_jwks_url",
        Url(),
        "JWKS URL for --auth-inbound oidc",
        INBOUND,
        shown="discovered from the issuer's openid-configuration",
    ),
    Option(
        "--max-answer-mib",
        "ARGO_MCP_MAX_ANSWER_MIB",
        "max_answer_bytes",
        Mebibytes(),
        "Largest tool answer argo-mcp returns, in MiB; a larger one is an error that names the arguments to "
        "narrow it (limit, selectors, fields, full=false)",
    ),
    Option(
        "--log-level",
        "ARGO_MCP_LOG_LEVEL",
        "log_level",
        Choice(LogLevel, "log level", expected="expected debug, info, warning or error", lower=True),
        "Log level: debug, info, warning, error. Logs are JSON lines on stderr",
    ),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """One argument per flag of the table, in its argparse group; a switch gets its `--no-` form."""
    groups: dict[str | None, Any] = {None: parser}
    for option in OPTIONS:
        if option.flag is None:
            continue
        if option.group not in groups:
            groups[option.group] = parser.add_argument_group(option.group)
        if isinstance(option.kind, Switch):
            action: Any = argparse.BooleanOptionalAction if option.env else "store_true"
            groups[option.group].add_argument(
                option.flag, action=action, default=None, help=option.help_text()
            )
        else:
            groups[option.group].add_argument(option.flag, help=option.help_text())


def raw_value(option: Option, args: argparse.Namespace, env: Mapping[str, str]) -> str | None:
    """The flag wins; an empty flag or variable counts as absent. A switch's flag becomes "true"/"false"."""
    given = getattr(args, option.dest, None) if option.flag else None
    if isinstance(given, bool):
        return "true" if given else "false"
    if given:
        return str(given)
    value = env.get(option.env, "").strip() if option.env else ""
    return value or None


def read(args: argparse.Namespace, env: Mapping[str, str]) -> dict[str, Any]:
    """Each given setting parsed and checked on its own, keyed by its `Settings` field; absent ones are left out
    so that `Settings` supplies the default."""
    values: dict[str, Any] = {}
    for option in OPTIONS:
        if option.field is None:
            continue
        raw = raw_value(option, args, env)
        if raw is None:
            continue
        # A switch's flag is already a bool, so only its variable can be wrong: the message names the variable.
        label = option.env if isinstance(option.kind, Switch) and option.env else option.label
        value = option.kind.parse(raw, label)
        if value is not None:
            values[option.field] = value
    return values


def nest(values: Mapping[str, Any]) -> dict[str, Any]:
    """{"http.port": 1} as {"http": {"port": 1}}: the shape `Settings.model_validate` takes."""
    nested: dict[str, Any] = {}
    for path, value in values.items():
        *sections, name = path.split(".")
        target = nested
        for section in sections:
            target = target.setdefault(section, {})
        target[name] = value
    return nested


# In the README, flags, URLs and ARGO_* of the plain help text become code spans, so that Markdown shows them
# as typed (the `*` of `--tls-*` or `https://*.example.com:*` is not emphasis, `<port>` is not an HTML tag).
CODE_IN_HELP = re.compile(r"(?<![\w`])(--[a-z][\w/*-]*|[a-z]+://[^\s,;)]+|ARGO_\*|/mcp\b)")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _markdown(help_text: str) -> str:
    return CODE_IN_HELP.sub(lambda match: f"`{match.group(1)}`", help_text)


def flag_table() -> str:
    """The README's "Command line and environment" table (`python -m argo_mcp.docs` writes it)."""
    lines = ["| Flag | Variable | Default | Description |", "| --- | --- | --- | --- |"]
    for option in OPTIONS:
        flag = f"`{option.flag}`" if option.flag else "(environment only)"
        variable = f"`{option.env}`" if option.env else ""
        default = option.default_text()
        if default and option.shown is None and not option.required and not isinstance(option.kind, Switch):
            default = f"`{default}`"
        description = _markdown(option.help) + "." + (f" {option.more}" if option.more else "")
        lines.append(f"| {flag} | {variable} | {_cell(default)} | {_cell(description)} |")
    return "\n".join(lines) + "\n"
