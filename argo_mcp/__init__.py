"""argo-mcp: an MCP server that lets AI agents operate Argo Workflows.

`__version__` is looked up on first use (PEP 562): importlib.metadata costs tens of milliseconds, and the stdio
discovery fast path (discovery.py) runs before anything needs the version.
"""

from typing import Any


def __getattr__(name: str) -> Any:
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        found = version("argo-mcp")
    except PackageNotFoundError:  # running from a source tree that was never installed
        found = "0.0.0+unknown"
    globals()["__version__"] = found
    return found
