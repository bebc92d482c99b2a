"""Entry point: `argo-mcp` / `python -m argo_mcp`."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Sequence

from argo_mcp import runtime
from argo_mcp.cli import ConfigError, fail, parse_settings


def main(argv: Sequence[str] | None = None) -> None:
    try:
        settings = parse_settings(argv)
    except ConfigError as exc:
        fail(str(exc))
    from argo_mcp import telemetry  # noqa: PLC0415 - imports no OpenTelemetry unless OTEL_* asks for traces

    try:
        telemetry.configure()
    except telemetry.TelemetryError as exc:
        fail(str(exc))
    # Imported after validation so a configuration error is reported without loading the MCP SDK; no garbage
    # collection while the SDK loads (runtime.settle() turns it back on, tuned, before serving).
    runtime.start_up()
    from argo_mcp.app import run  # noqa: PLC0415

    try:
        with contextlib.suppress(KeyboardInterrupt):
            runtime.run(run(settings))
    except ConfigError as exc:  # found while starting (the port is taken): the same one line and exit 2
        fail(str(exc))
    sys.exit(0)


if __name__ == "__main__":
    main()
