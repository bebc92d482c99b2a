"""argo-mcp: an MCP server that lets AI agents operate Argo Workflows."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("argo-mcp")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
