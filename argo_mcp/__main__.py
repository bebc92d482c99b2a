"""Entry point: `argo-mcp` / `python -m argo_mcp`."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    start = None
    if "--stdio" in args:
        # Before anything heavy is imported: a client's discovery may be answered from the cache right away.
        from argo_mcp import discovery  # noqa: PLC0415

        start = discovery.fast_start(args)
    from argo_mcp.cli import fail, parse_settings  # noqa: PLC0415 - after the fast path: loads pydantic
    from argo_mcp.settings import ConfigError  # noqa: PLC0415

    try:
        settings = parse_settings(args)
    except ConfigError as exc:
        fail(str(exc))
    from argo_mcp import telemetry  # noqa: PLC0415 - imports no OpenTelemetry unless OTEL_* asks for traces

    try:
        telemetry.configure()
    except telemetry.TelemetryError as exc:
        fail(str(exc))
    # Imported after validation so a configuration error is reported without loading the MCP SDK; no garbage
    # collection while the SDK loads (runtime.settle() turns it back on, tuned, before serving).
    from argo_mcp import runtime  # noqa: PLC0415 - after the fast path, like everything heavier than it

    runtime.start_up()
    from argo_mcp.app import run  # noqa: PLC0415

    try:
        with contextlib.suppress(KeyboardInterrupt):
            runtime.run(run(settings, stdio_start=start))
    except ConfigError as exc:  # found while starting (the port is taken): the same one line and exit 2
        fail(str(exc))
    sys.exit(0)


if __name__ == "__main__":
    main()
