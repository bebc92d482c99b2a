"""``argo-mcp-operator`` / ``python -m argo_mcp_operator``: run the operator.

kopf runs standalone (no peering objects, so no RBAC for them): the Deployment runs one replica with the
Recreate strategy, which is what keeps two operators from reconciling the same resources at once.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from argo_mcp_operator import __version__, logs

MISSING_EXTRA = (
    "argo-mcp-operator: the operator's dependencies are not installed ({module} is missing); "
    "install them with: pip install 'argo-mcp[operator]'"
)


@dataclass(frozen=True)
class Options:
    namespaces: list[str]
    clusterwide: bool
    liveness: str | None
    resync_seconds: float
    log_level: str


def parse_args(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> Options:
    """Flags win over their environment variables; with no namespace given the operator watches all."""
    env = os.environ if env is None else env
    parser = argparse.ArgumentParser(prog="argo-mcp-operator", description=__doc__.splitlines()[0])
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument(
        "-n",
        "--namespace",
        action="append",
        default=[],
        help="Watch ArgoMCPServer objects in this namespace (repeatable, or comma-separated; "
        "env ARGO_MCP_OPERATOR_NAMESPACES). Default: all namespaces.",
    )
    scope.add_argument(
        "-A", "--all-namespaces", action="store_true", help="Watch every namespace (the default)."
    )
    parser.add_argument(
        "--liveness",
        default=env.get("ARGO_MCP_OPERATOR_LIVENESS", "http://0.0.0.0:8080/healthz"),
        help="kopf liveness endpoint URL, or 'none' (env ARGO_MCP_OPERATOR_LIVENESS). "
        "Default http://0.0.0.0:8080/healthz.",
    )
    parser.add_argument(
        "--resync-seconds",
        type=float,
        default=float(env.get("ARGO_MCP_OPERATOR_RESYNC_SECONDS", "60")),
        help="Seconds between drift and certificate checks of each resource "
        "(env ARGO_MCP_OPERATOR_RESYNC_SECONDS). Default 60.",
    )
    parser.add_argument(
        "--log-level",
        default=env.get("ARGO_MCP_OPERATOR_LOG_LEVEL", "info"),
        choices=["debug", "info", "warning", "error"],
        help="Log level (env ARGO_MCP_OPERATOR_LOG_LEVEL). Logs are JSON lines on stderr.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    args = parser.parse_args(argv)
    raw = args.namespace or ([] if args.all_namespaces else [env.get("ARGO_MCP_OPERATOR_NAMESPACES", "")])
    namespaces = [ns.strip() for item in raw for ns in item.split(",") if ns.strip()]
    if args.resync_seconds <= 0:
        parser.error("--resync-seconds must be positive")
    return Options(
        namespaces=namespaces,
        clusterwide=not namespaces,
        liveness=None if args.liveness.lower() in ("", "none") else args.liveness,
        resync_seconds=args.resync_seconds,
        log_level=args.log_level,
    )


def main(argv: Sequence[str] | None = None) -> None:
    options = parse_args(argv)
    # kopf and cryptography come with the package's `operator` extra: without it, one line instead of a trace.
    try:
        import kopf  # noqa: PLC0415

        from argo_mcp_operator.handlers import register  # noqa: PLC0415
    except ModuleNotFoundError as exc:
        sys.exit(MISSING_EXTRA.format(module=exc.name))
    logs.configure(options.log_level)
    registry = kopf.OperatorRegistry()
    register(registry, resync_seconds=options.resync_seconds)
    kopf.run(
        registry=registry,
        standalone=True,
        clusterwide=options.clusterwide,
        namespaces=options.namespaces,
        liveness_endpoint=options.liveness,
        memo=kopf.Memo(),
    )
    sys.exit(0)


if __name__ == "__main__":
    main()
