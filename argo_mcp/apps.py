"""The workflow view for MCP Apps clients (SEP-1865, `io.modelcontextprotocol/ui`).

One `ui://` resource, argo_mcp/ui/workflow.html (a self-contained page: inline CSS and JS, no network), that a
host renders in a sandboxed frame next to the answers of `get_workflow`, `get_workflow_graph` and
`wait_for_workflow`, and next to a read of the workflow resource. The page asks the host to call argo-mcp's own
tools (get_workflow, get_workflow_graph with format=mermaid, get_workflow_logs), so every look it takes goes
down the call pipeline like an agent's: the allow-list, the caller's RBAC and the limits apply.

The link is the extension's `_meta.ui.resourceUri`, sent only to a client that negotiated the extension in
`initialize` (with the `text/html;profile=mcp-app` MIME type, as `client_supports_apps` checks): any other
client gets exactly the lists and answers it got before, and the view costs it nothing.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import mcp_types as types
from mcp.server.apps import APP_MIME_TYPE, EXTENSION_ID, client_supports_apps
from mcp.server.context import ServerRequestContext

VIEW_URI = "ui://argo-mcp/workflow.html"
VIEW_TOOLS = frozenset({"get_workflow", "get_workflow_graph", "wait_for_workflow"})
"""The tools whose answers name one workflow, which the view then draws."""
VIEW_META: dict[str, Any] = {"ui": {"resourceUri": VIEW_URI}}
SERVER_EXTENSION: dict[str, Any] = {"mimeTypes": [APP_MIME_TYPE]}

__all__ = [
    "APP_MIME_TYPE",
    "EXTENSION_ID",
    "SERVER_EXTENSION",
    "VIEW_META",
    "VIEW_TOOLS",
    "VIEW_URI",
    "negotiated",
    "view_contents",
    "view_html",
    "view_resource",
    "with_view",
]


@cache
def view_html() -> str:
    """The page, read once from the package (a real file, so it is edited and reviewed as HTML)."""
    return (resources.files("argo_mcp") / "ui" / "workflow.html").read_text(encoding="utf-8")


def negotiated(ctx: ServerRequestContext[Any, Any]) -> bool:
    """Whether this request's client declared MCP Apps with the view's MIME type."""
    try:
        return client_supports_apps(ctx)
    except AttributeError:  # a request without a session (none in practice): no view
        return False


def with_view(listing: types.ListToolsResult) -> types.ListToolsResult:
    """`tools/list` for an Apps client: the same tools, the workflow ones linked to the view."""
    return types.ListToolsResult(
        tools=[
            tool.model_copy(update={"meta": VIEW_META}) if tool.name in VIEW_TOOLS else tool
            for tool in listing.tools
        ]
    )


def view_resource() -> types.Resource:
    """The view as `resources/list` names it to an Apps client."""
    return types.Resource(
        uri=VIEW_URI,
        name="workflow-view",
        title="Workflow view",
        description="The workflow's DAG or steps, coloured by phase, with each node's logs a click away.",
        mime_type=APP_MIME_TYPE,
    )


def view_contents() -> types.TextResourceContents:
    return types.TextResourceContents(uri=VIEW_URI, mime_type=APP_MIME_TYPE, text=view_html())
