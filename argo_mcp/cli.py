"""Command line: the reference's flags, their `ARGO_*` fallbacks, and start-up validation.

A flag always wins over its environment variable. Every problem found here ends the process with exit code 2
and one line on stderr that names the flag or variable to fix; no traceback is ever shown for bad input.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

from argo_mcp import __version__
from argo_mcp.settings import (
    DEFAULT_ALLOWED_HOSTS,
    DEFAULT_ARTIFACT_DIR,
    DEFAULT_INLINE_ARTIFACT_BYTES,
    DEFAULT_MAX_ANSWER_BYTES,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_SERVICE_ACCOUNT_TOKEN,
    MIB,
    ArgoSettings,
    AuthMode,
    ConfigError,
    HttpSettings,
    InboundAuthMode,
    InboundAuthSettings,
    LogLevel,
    ScopeSettings,
    Settings,
    ToolGroup,
)

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="argo-mcp",
        description=(
            "MCP server for Argo Workflows. Serves streamable HTTP on --host/--port at /mcp (HTTPS when "
            "--tls-cert and --tls-key are given), or MCP over stdin/stdout with --stdio. Each --argo-* flag "
            "falls back to its ARGO_* environment variable; a flag always wins."
        ),
    )
    parser.add_argument("--version", action="version", version=f"argo-mcp {__version__}")
    transport = parser.add_argument_group("transport")
    transport.add_argument(
        "--stdio",
        action="store_true",
        help="Speak MCP over stdio instead of HTTP (for embedding in an MCP client); ignores --host/--port/--tls-*.",
    )
    transport.add_argument(
        "--host", default="0.0.0.0", help="Bind address (HTTP transport only). Default 0.0.0.0."
    )
    transport.add_argument("--port", default="8081", help="TCP port (HTTP transport only). Default 8081.")
    transport.add_argument("--tls-cert", help="Path to a PEM-encoded TLS certificate (requires --tls-key).")
    transport.add_argument("--tls-key", help="Path to a PEM-encoded TLS private key (requires --tls-cert).")
    transport.add_argument(
        "--allowed-hosts",
        help=(
            "Comma-separated Host header values accepted on /mcp (env ARGO_MCP_ALLOWED_HOSTS); '*.example.com' "
            "matches subdomains, a port suffix is ignored. IP literals and single-label names are always "
            f"accepted. Default: {','.join(DEFAULT_ALLOWED_HOSTS)}."
        ),
    )
    transport.add_argument(
        "--allowed-origins",
        help=(
            "Comma-separated browser Origins allowed to call /mcp (env ARGO_MCP_ALLOWED_ORIGINS). Requests "
            "without an Origin header (MCP clients, agents) are unaffected; loopback origins (http://localhost:<port>, "
            "127.0.0.1, [::1]) are always accepted. Default: loopback only."
        ),
    )
    transport.add_argument(
        "--http-idle-timeout",
        help="Seconds a keep-alive connection may sit without a request before it is closed "
        "(env ARGO_MCP_HTTP_IDLE_TIMEOUT). Default 15.",
    )
    transport.add_argument(
        "--http-header-timeout",
        help="Seconds a client has to send a request's headers, from connecting or from the request's first "
        "byte (env ARGO_MCP_HTTP_HEADER_TIMEOUT); slower ones are disconnected. Default 10.",
    )
    transport.add_argument(
        "--http-body-timeout",
        help="Seconds a client has to send a request's body once its headers are in "
        "(env ARGO_MCP_HTTP_BODY_TIMEOUT); slower ones are disconnected. Default 60.",
    )
    transport.add_argument(
        "--max-connections",
        help="Open HTTP connections at most (env ARGO_MCP_MAX_CONNECTIONS); beyond it a new connection evicts "
        "the longest-idle one, or gets 503 when all are busy. Default 1000.",
    )
    transport.add_argument(
        "--max-inflight-calls",
        help="Tool calls running at once (env ARGO_MCP_MAX_INFLIGHT_CALLS); a call beyond it is refused with a "
        "retry hint before anything is sent to Argo. Default 64.",
    )

    argo = parser.add_argument_group("Argo Workflows connection")
    argo.add_argument(
        "--argo-server-url",
        help="Argo Workflows server URL, e.g. https://argo.example.com (env ARGO_SERVER_URL).",
    )
    argo.add_argument(
        "--argo-auth-mode",
        help=(
            "Auth mode: bearer, bearer-file, k8s-service-account, or none (env ARGO_AUTH_MODE). Defaults to "
            "k8s-service-account in-cluster (KUBERNETES_SERVICE_HOST set), otherwise none. bearer reads the "
            "token from ARGO_TOKEN once at boot."
        ),
    )
    argo.add_argument(
        "--argo-token-file",
        help=(
            "Path to a token file (env ARGO_TOKEN_FILE): required for bearer-file; overrides the default path "
            f"for k8s-service-account ({DEFAULT_SERVICE_ACCOUNT_TOKEN}). Re-read on every request."
        ),
    )
    argo.add_argument(
        "--argo-default-namespace",
        help="Default Kubernetes namespace used when a tool call omits one (env ARGO_DEFAULT_NAMESPACE). Default argo.",
    )
    argo.add_argument(
        "--argo-insecure-skip-tls-verify",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=(
            "Skip TLS verification for outbound Argo requests (debug only; env ARGO_INSECURE_SKIP_TLS_VERIFY=1|"
            "true|yes). Scoped to the Argo client; other connections still verify TLS."
        ),
    )
    argo.add_argument(
        "--argo-ca-file",
        help="PEM bundle of the CA that signed the Argo server's certificate (env ARGO_CA_FILE).",
    )
    argo.add_argument(
        "--argo-timeout",
        help="Seconds to wait for one Argo request before giving up (env ARGO_MCP_ARGO_TIMEOUT). Default 30.",
    )

    argo.add_argument(
        "--argo-max-response-mib",
        help=(
            "Largest non-streamed Argo answer argo-mcp reads, in MiB (env ARGO_MCP_ARGO_MAX_RESPONSE_MIB); a larger "
            f"one is refused with advice to narrow the request. Default {DEFAULT_MAX_RESPONSE_BYTES // MIB}."
        ),
    )

    scope = parser.add_argument_group("scope (which tools are exposed, where they may act)")
    scope.add_argument(
        "--read-only",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="Expose only read-only tools (env ARGO_MCP_READ_ONLY).",
    )
    scope.add_argument(
        "--disable-destructive",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="Hide destructive tools (retry, stop, terminate, delete, ...) (env ARGO_MCP_DISABLE_DESTRUCTIVE).",
    )
    scope.add_argument(
        "--confirm-destructive",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=(
            "Ask the client to confirm each destructive call through elicitation before anything is sent to "
            "Argo (env ARGO_MCP_CONFIRM_DESTRUCTIVE); clients without elicitation get error -32021."
        ),
    )
    scope.add_argument(
        "--toolsets",
        help=(
            "Comma-separated tool groups to expose (env ARGO_MCP_TOOLSETS): "
            f"{','.join(g.value for g in ToolGroup)}. Default: all."
        ),
    )
    scope.add_argument(
        "--namespaces",
        help=(
            "Comma-separated namespaces every tool is confined to (env ARGO_MCP_NAMESPACES). A call outside "
            "them is refused before any request. Default: any namespace."
        ),
    )
    scope.add_argument(
        "--artifact-dir",
        help=(
            "Directory that artifact downloads are confined to (env ARGO_MCP_ARTIFACT_DIR). "
            f"Default: {DEFAULT_ARTIFACT_DIR}."
        ),
    )
    scope.add_argument(
        "--inline-artifact-kib",
        help=(
            "Artifacts up to this many KiB come back in the answer when no destinationPath is given, larger "
            "ones are saved under --artifact-dir (env ARGO_MCP_INLINE_ARTIFACT_KIB; 0: always saved). "
            f"Default {DEFAULT_INLINE_ARTIFACT_BYTES // 1024}."
        ),
    )

    inbound = parser.add_argument_group("inbound authentication (HTTP transport)")
    inbound.add_argument(
        "--auth-inbound",
        help=(
            "Who may call the HTTP endpoint (env ARGO_MCP_INBOUND_AUTH): none (default), kubernetes "
            "(TokenReview + per-call SubjectAccessReview) or oidc (JWT checked against the issuer's JWKS)."
        ),
    )
    inbound.add_argument(
        "--inbound-audience",
        help="Audience callers' tokens must carry (env ARGO_MCP_INBOUND_AUDIENCE). Default argo-mcp.",
    )
    inbound.add_argument(
        "--resource-url",
        help=(
            "Public URL of this MCP endpoint, advertised in the OAuth protected resource metadata "
            "(env ARGO_MCP_RESOURCE_URL). Default: derived from the request."
        ),
    )
    inbound.add_argument(
        "--kubeconfig",
        help=(
            "kubeconfig for the TokenReview/SubjectAccessReview calls of --auth-inbound kubernetes when running "
            "outside a cluster (env KUBECONFIG). In a Pod the service account is used."
        ),
    )
    inbound.add_argument(
        "--oidc-issuer", help="OIDC issuer URL for --auth-inbound oidc (env ARGO_MCP_OIDC_ISSUER)."
    )
    inbound.add_argument(
        "--oidc-jwks-url",
        help="JWKS URL (env ARGO_MCP_OIDC_JWKS_URL). Default: discovered from the issuer's openid-configuration.",
    )

    parser.add_argument(
        "--max-answer-mib",
        help=(
            "Largest tool answer argo-mcp returns, in MiB (env ARGO_MCP_MAX_ANSWER_MIB); a larger one is an error "
            f"that names the arguments to narrow it. Default {DEFAULT_MAX_ANSWER_BYTES // MIB}."
        ),
    )
    parser.add_argument(
        "--log-level",
        help="Log level: debug, info, warning, error (env ARGO_MCP_LOG_LEVEL). Default info. Logs go to stderr.",
    )
    return parser


def _pick(flag: str | None, env: Mapping[str, str], name: str) -> str | None:
    """A flag wins; an empty flag or variable counts as absent."""
    if flag:
        return flag
    value = env.get(name, "").strip()
    return value or None


def _pick_bool(flag: bool | None, env: Mapping[str, str], name: str) -> bool:
    if flag is not None:
        return flag
    raw = env.get(name, "").strip().lower()
    if raw in TRUE_WORDS:
        return True
    if raw in FALSE_WORDS:
        return False
    raise ConfigError(f"invalid {name}={raw!r}: expected 1, true or yes (or 0, false, no)")


def _split(raw: str | None) -> tuple[str, ...]:
    if raw is None:
        return ()
    return tuple(item.strip() for item in raw.split(",") if item.strip())


def _check_readable(path: Path, what: str, fix: str) -> None:
    try:
        with path.open("rb") as handle:
            handle.read(1)
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise ConfigError(f"cannot read {what} {path}: {reason} ({fix})") from None


def _mib_setting(raw: str | None, default: int, flag: str) -> int:
    """A size flag given in MiB (fractions allowed), as bytes; between 1 KiB and 4 GiB."""
    if raw is None:
        return default
    try:
        size = int(float(raw) * MIB)
        if not 1024 <= size <= 4096 * MIB:
            raise ValueError
    except ValueError:
        raise ConfigError(f"invalid {flag} {raw!r}: expected a size in MiB between 0.001 and 4096") from None
    return size


def _number(
    raw: str | None, default: float, flag: str, low: float, high: float, *, whole: bool = False
) -> float:
    """A numeric flag within [low, high]; `whole` numbers only when it counts things."""
    if raw is None:
        return default
    try:
        value = int(raw) if whole else float(raw)
        if not low <= value <= high:
            raise ValueError
    except ValueError:
        kind = "a whole number" if whole else "a number"
        raise ConfigError(f"invalid {flag} {raw!r}: expected {kind} between {low:g} and {high:g}") from None
    return value


def _check_url(url: str, what: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"invalid {what} {url!r}: expected an http:// or https:// URL such as https://argo.example.com"
        )
    return url.rstrip("/")


def _check_namespace(value: str, what: str) -> str:
    if not DNS1123_LABEL.match(value):
        raise ConfigError(
            f"invalid {what} {value!r}: a namespace is a DNS-1123 label (lowercase letters, digits, '-', at most 63)"
        )
    return value


def _argo_settings(args: argparse.Namespace, env: Mapping[str, str]) -> ArgoSettings:
    url = _pick(args.argo_server_url, env, "ARGO_SERVER_URL")
    if url is None:
        raise ConfigError("missing Argo Workflows server URL (pass --argo-server-url or set ARGO_SERVER_URL)")
    url = _check_url(url, "--argo-server-url")

    raw_mode = _pick(args.argo_auth_mode, env, "ARGO_AUTH_MODE")
    if raw_mode is None:
        mode = AuthMode.K8S_SERVICE_ACCOUNT if env.get("KUBERNETES_SERVICE_HOST") else AuthMode.NONE
    else:
        try:
            mode = AuthMode(raw_mode)
        except ValueError:
            choices = ", ".join(m.value for m in AuthMode)
            raise ConfigError(f'unknown auth mode "{raw_mode}" (expected one of: {choices})') from None

    token: str | None = None
    token_file_raw = _pick(args.argo_token_file, env, "ARGO_TOKEN_FILE")
    token_file = Path(token_file_raw).expanduser() if token_file_raw else None
    if mode is AuthMode.BEARER:
        token = env.get("ARGO_TOKEN", "").strip() or None
        if token is None:
            raise ConfigError('auth mode "bearer" requires a token (set the ARGO_TOKEN environment variable)')
    elif mode is AuthMode.BEARER_FILE:
        if token_file is None:
            raise ConfigError(
                'auth mode "bearer-file" requires a token file (pass --argo-token-file or set ARGO_TOKEN_FILE)'
            )
        _check_readable(token_file, "token file", "check --argo-token-file / ARGO_TOKEN_FILE")
    elif mode is AuthMode.K8S_SERVICE_ACCOUNT:
        token_file = token_file or DEFAULT_SERVICE_ACCOUNT_TOKEN
        _check_readable(
            token_file,
            "service-account token file",
            "run inside a Pod with a service-account token, or pass --argo-token-file",
        )

    namespace = _check_namespace(
        _pick(args.argo_default_namespace, env, "ARGO_DEFAULT_NAMESPACE") or "argo",
        "--argo-default-namespace",
    )
    ca_raw = _pick(args.argo_ca_file, env, "ARGO_CA_FILE")
    ca_file = Path(ca_raw).expanduser() if ca_raw else None
    if ca_file is not None:
        _check_readable(ca_file, "CA file", "check --argo-ca-file / ARGO_CA_FILE")
    timeout_raw = _pick(args.argo_timeout, env, "ARGO_MCP_ARGO_TIMEOUT") or "30"
    try:
        timeout = float(timeout_raw)
        if not 0 < timeout <= 3600:
            raise ValueError
    except ValueError:
        raise ConfigError(
            f"invalid --argo-timeout {timeout_raw!r}: expected seconds between 0 and 3600"
        ) from None
    return ArgoSettings(
        server_url=url,
        auth_mode=mode,
        token=token,
        token_file=token_file,
        default_namespace=namespace,
        insecure_skip_tls_verify=_pick_bool(
            args.argo_insecure_skip_tls_verify, env, "ARGO_INSECURE_SKIP_TLS_VERIFY"
        ),
        ca_file=ca_file,
        request_timeout=timeout,
        max_response_bytes=_mib_setting(
            _pick(args.argo_max_response_mib, env, "ARGO_MCP_ARGO_MAX_RESPONSE_MIB"),
            DEFAULT_MAX_RESPONSE_BYTES,
            "--argo-max-response-mib",
        ),
    )


def _http_settings(args: argparse.Namespace, env: Mapping[str, str], *, stdio: bool) -> HttpSettings:
    try:
        port = int(args.port)
        if not 0 < port < 65536:
            raise ValueError
    except ValueError:
        raise ConfigError(
            f"invalid --port {args.port!r}: expected a TCP port number between 1 and 65535"
        ) from None
    cert = Path(args.tls_cert).expanduser() if args.tls_cert else None
    key = Path(args.tls_key).expanduser() if args.tls_key else None
    if not stdio:
        if (cert is None) != (key is None):
            given, missing = ("--tls-cert", "--tls-key") if cert else ("--tls-key", "--tls-cert")
            raise ConfigError(
                f"{given} requires {missing}: pass both to serve HTTPS, or neither for plain HTTP"
            )
        if cert is not None and key is not None:
            _check_readable(cert, "TLS certificate file", "check --tls-cert")
            _check_readable(key, "TLS key file", "check --tls-key")
    hosts = _split(_pick(args.allowed_hosts, env, "ARGO_MCP_ALLOWED_HOSTS")) or DEFAULT_ALLOWED_HOSTS
    origins = _split(_pick(args.allowed_origins, env, "ARGO_MCP_ALLOWED_ORIGINS"))
    return HttpSettings(
        host=args.host,
        port=port,
        tls_cert=cert,
        tls_key=key,
        allowed_hosts=hosts,
        allowed_origins=origins,
        idle_timeout=_number(
            _pick(args.http_idle_timeout, env, "ARGO_MCP_HTTP_IDLE_TIMEOUT"),
            15,
            "--http-idle-timeout",
            0.1,
            3600,
        ),
        header_timeout=_number(
            _pick(args.http_header_timeout, env, "ARGO_MCP_HTTP_HEADER_TIMEOUT"),
            10,
            "--http-header-timeout",
            0.1,
            3600,
        ),
        body_timeout=_number(
            _pick(args.http_body_timeout, env, "ARGO_MCP_HTTP_BODY_TIMEOUT"),
            60,
            "--http-body-timeout",
            0.1,
            3600,
        ),
        max_connections=int(
            _number(
                _pick(args.max_connections, env, "ARGO_MCP_MAX_CONNECTIONS"),
                1000,
                "--max-connections",
                1,
                1_000_000,
                whole=True,
            )
        ),
    )


def _scope_settings(args: argparse.Namespace, env: Mapping[str, str]) -> ScopeSettings:
    groups_raw = _split(_pick(args.toolsets, env, "ARGO_MCP_TOOLSETS"))
    groups: set[ToolGroup] = set()
    for name in groups_raw:
        try:
            groups.add(ToolGroup(name))
        except ValueError:
            choices = ",".join(g.value for g in ToolGroup)
            raise ConfigError(
                f'unknown toolset "{name}" in --toolsets (expected some of: {choices})'
            ) from None
    namespaces = tuple(
        _check_namespace(ns, "namespace in --namespaces")
        for ns in _split(_pick(args.namespaces, env, "ARGO_MCP_NAMESPACES"))
    )
    return ScopeSettings(
        read_only=_pick_bool(args.read_only, env, "ARGO_MCP_READ_ONLY"),
        disable_destructive=_pick_bool(args.disable_destructive, env, "ARGO_MCP_DISABLE_DESTRUCTIVE"),
        toolsets=frozenset(groups) if groups else frozenset(ToolGroup),
        namespaces=namespaces,
    )


def _inbound_settings(args: argparse.Namespace, env: Mapping[str, str]) -> InboundAuthSettings:
    raw = _pick(args.auth_inbound, env, "ARGO_MCP_INBOUND_AUTH") or "none"
    try:
        mode = InboundAuthMode(raw)
    except ValueError:
        choices = ", ".join(m.value for m in InboundAuthMode)
        raise ConfigError(f'unknown inbound auth mode "{raw}" (expected one of: {choices})') from None
    issuer = _pick(args.oidc_issuer, env, "ARGO_MCP_OIDC_ISSUER")
    jwks = _pick(args.oidc_jwks_url, env, "ARGO_MCP_OIDC_JWKS_URL")
    if mode is InboundAuthMode.OIDC and issuer is None:
        raise ConfigError('inbound auth mode "oidc" requires --oidc-issuer (or ARGO_MCP_OIDC_ISSUER)')
    resource = _pick(args.resource_url, env, "ARGO_MCP_RESOURCE_URL")
    kubeconfig = _pick(args.kubeconfig, env, "KUBECONFIG")
    if mode is InboundAuthMode.KUBERNETES and kubeconfig is None and not env.get("KUBERNETES_SERVICE_HOST"):
        raise ConfigError(
            'inbound auth mode "kubernetes" needs API access: run in a Pod, or pass --kubeconfig (or set KUBECONFIG)'
        )
    return InboundAuthSettings(
        mode=mode,
        audience=_pick(args.inbound_audience, env, "ARGO_MCP_INBOUND_AUDIENCE") or "argo-mcp",
        resource_url=_check_url(resource, "--resource-url") if resource else None,
        oidc_issuer=_check_url(issuer, "--oidc-issuer") if issuer else None,
        oidc_jwks_url=_check_url(jwks, "--oidc-jwks-url") if jwks else None,
        kubeconfig=kubeconfig,
    )


def parse_settings(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Parse flags and environment into `Settings`; raises `ConfigError` with an operator-facing message."""
    environ = os.environ if env is None else env
    args = build_parser().parse_args(argv)
    level_raw = _pick(args.log_level, environ, "ARGO_MCP_LOG_LEVEL") or "info"
    try:
        level = LogLevel(level_raw.lower())
    except ValueError:
        raise ConfigError(
            f'unknown log level "{level_raw}" (expected debug, info, warning or error)'
        ) from None
    artifact_raw = _pick(args.artifact_dir, environ, "ARGO_MCP_ARTIFACT_DIR")
    return Settings(
        stdio=args.stdio,
        http=_http_settings(args, environ, stdio=args.stdio),
        argo=_argo_settings(args, environ),
        scope=_scope_settings(args, environ),
        inbound=_inbound_settings(args, environ),
        artifact_dir=Path(artifact_raw).expanduser().resolve() if artifact_raw else DEFAULT_ARTIFACT_DIR,
        max_answer_bytes=_mib_setting(
            _pick(args.max_answer_mib, environ, "ARGO_MCP_MAX_ANSWER_MIB"),
            DEFAULT_MAX_ANSWER_BYTES,
            "--max-answer-mib",
        ),
        max_inflight_calls=int(
            _number(
                _pick(args.max_inflight_calls, environ, "ARGO_MCP_MAX_INFLIGHT_CALLS"),
                64,
                "--max-inflight-calls",
                1,
                100_000,
                whole=True,
            )
        ),
        inline_artifact_bytes=int(
            _number(
                _pick(args.inline_artifact_kib, environ, "ARGO_MCP_INLINE_ARTIFACT_KIB"),
                DEFAULT_INLINE_ARTIFACT_BYTES // 1024,
                "--inline-artifact-kib",
                0,
                2048,
                whole=True,
            )
        )
        * 1024,
        confirm_destructive=_pick_bool(args.confirm_destructive, environ, "ARGO_MCP_CONFIRM_DESTRUCTIVE"),
        log_level=level,
    )


def fail(message: str) -> NoReturn:
    """Print one line on stderr and exit 2, as the reference's start-up errors do."""
    print(f"argo-mcp: error: {message}", file=sys.stderr)
    raise SystemExit(2)
