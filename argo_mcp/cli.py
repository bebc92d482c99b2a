"""Command line: the reference's flags, their `ARGO_*` fallbacks, and start-up validation.

Each setting is declared once in `config_table.py` (flag, variable, type, bounds, help), which builds the parser
and parses every field on its own; this module adds only what spans several fields (a TLS certificate needs its
key, each Argo auth mode needs its credential, each inbound mode what it checks tokens with). A flag always wins
over its environment variable. Every problem found here ends the process with exit code 2 and one line on
stderr that names the flag or variable to fix; no traceback is ever shown for bad input.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

from argo_mcp import __version__, config_table
from argo_mcp.sealing import Sealer
from argo_mcp.settings import (
    DEFAULT_SERVICE_ACCOUNT_TOKEN,
    AuthMode,
    ConfigError,
    InboundAuthMode,
    Settings,
)
from argo_mcp.targets import TargetsFile, read_targets, target_settings


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
    config_table.add_arguments(parser)
    return parser


def _check_readable(path: Path, what: str, fix: str) -> None:
    try:
        with path.open("rb") as handle:
            handle.read(1)
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise ConfigError(f"cannot read {what} {path}: {reason} ({fix})") from None


def _check_tls(values: Mapping[str, Any]) -> None:
    """HTTPS needs both the certificate and its key; stdio ignores them."""
    if values.get("stdio"):
        return
    cert, key = values.get("http.tls_cert"), values.get("http.tls_key")
    if (cert is None) != (key is None):
        given, missing = ("--tls-cert", "--tls-key") if cert else ("--tls-key", "--tls-cert")
        raise ConfigError(f"{given} requires {missing}: pass both to serve HTTPS, or neither for plain HTTP")
    if cert is not None and key is not None:
        _check_readable(cert, "TLS certificate file", "check --tls-cert")
        _check_readable(key, "TLS key file", "check --tls-key")


def _check_argo(values: dict[str, Any], env: Mapping[str, str]) -> None:
    """The server URL is required; the auth mode defaults by where argo-mcp runs and needs its credential."""
    if "argo.server_url" not in values:
        raise ConfigError("missing Argo Workflows server URL (pass --argo-server-url or set ARGO_SERVER_URL)")
    in_cluster = AuthMode.K8S_SERVICE_ACCOUNT if env.get("KUBERNETES_SERVICE_HOST") else AuthMode.NONE
    mode = values.setdefault("argo.auth_mode", in_cluster)
    token = values.pop("argo.token", None)  # read once at boot, and only by the mode that uses it
    token_file = values.get("argo.token_file")
    if mode is AuthMode.BEARER:
        if token is None:
            raise ConfigError('auth mode "bearer" requires a token (set the ARGO_TOKEN environment variable)')
        values["argo.token"] = token
    elif mode is AuthMode.BEARER_FILE:
        if token_file is None:
            raise ConfigError(
                'auth mode "bearer-file" requires a token file (pass --argo-token-file or set ARGO_TOKEN_FILE)'
            )
        _check_readable(token_file, "token file", "check --argo-token-file / ARGO_TOKEN_FILE")
    elif mode is AuthMode.K8S_SERVICE_ACCOUNT:
        values["argo.token_file"] = token_file = token_file or DEFAULT_SERVICE_ACCOUNT_TOKEN
        _check_readable(
            token_file,
            "service-account token file",
            "run inside a Pod with a service-account token, or pass --argo-token-file",
        )
    ca_file = values.get("argo.ca_file")
    if ca_file is not None:
        _check_readable(ca_file, "CA file", "check --argo-ca-file / ARGO_CA_FILE")


def _check_inbound(values: Mapping[str, Any], env: Mapping[str, str]) -> None:
    """oidc needs its issuer; kubernetes needs API access (a Pod's service account or a kubeconfig)."""
    mode = values.get("inbound.mode", InboundAuthMode.NONE)
    if mode is InboundAuthMode.OIDC and "inbound.oidc_issuer" not in values:
        raise ConfigError('inbound auth mode "oidc" requires --oidc-issuer (or ARGO_MCP_OIDC_ISSUER)')
    if (
        mode is InboundAuthMode.KUBERNETES
        and "inbound.kubeconfig" not in values
        and not env.get("KUBERNETES_SERVICE_HOST")
    ):
        raise ConfigError(
            'inbound auth mode "kubernetes" needs API access: run in a Pod, or pass --kubeconfig (or set KUBECONFIG)'
        )


def parse_settings(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Parse flags and environment into `Settings`; raises `ConfigError` with an operator-facing message."""
    environ = os.environ if env is None else env
    args = build_parser().parse_args(argv)
    values = config_table.read(args, environ)
    _check_tls(values)
    targets = _check_targets(values)
    _check_argo(values, environ)
    _check_inbound(values, environ)
    if values.get("task_key_file") is not None:
        Sealer.from_file(values["task_key_file"])  # readable and long enough, or one line and exit 2
    settings = Settings.model_validate(config_table.nest(values))
    if targets is not None:
        for spec in targets.targets:
            target_settings(settings, spec)  # a target's token variable unset: one line and exit 2
    return settings


def _check_targets(values: dict[str, Any]) -> TargetsFile | None:
    """A targets file is read (and refused, naming the field) at start; its default target stands in for the
    flags' Argo server, which the file makes optional."""
    path = values.get("targets_file")
    if path is None:
        return None
    targets = read_targets(path)
    if "argo.server_url" not in values:
        default = next(spec for spec in targets.targets if spec.name == targets.default)
        values["argo.server_url"] = default.argo_server.url
        values.setdefault("argo.auth_mode", AuthMode.NONE)
    return targets


def fail(message: str) -> NoReturn:
    """Print one line on stderr and exit 2, as the reference's start-up errors do."""
    print(f"argo-mcp: error: {message}", file=sys.stderr)
    raise SystemExit(2)
