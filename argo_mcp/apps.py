"""The workflow view for MCP Apps clients (SEP-1865, `io.modelcontextprotocol/ui`).

One `ui://` resource, argo_mcp/ui/workflow.html (a self-contained page: inline CSS and JS, no network), that a
host renders in a sandboxed frame next to the answers of `get_workflow`, `get_workflow_graph` and
`wait_for_workflow`, and next to a read of the workflow resource. The page asks the host to call argo-mcp's own
tools (get_workflow, get_workflow_graph with format=mermaid, get_workflow_logs), so every look it takes goes
down the call pipeline like an agent's: the allow-list, the caller's RBAC and the limits apply.

The link is the extension's `_meta.ui.resourceUri`, sent only to a client that negotiated the extension (with
the `text/html;profile=mcp-app` MIME type): any other client gets exactly the lists and answers it got before,
and the view costs it nothing. A client declares it in `capabilities.extensions["io.modelcontextprotocol/ui"]`
(SEP-1865): a 2026-07-28 client in every request, a 2025-11-25 client once, in `initialize`. Over stdio the
SDK keeps that for the connection. Over HTTP argo-mcp is stateless (any replica answers any request), so the
`initialize` answer to a client that declared Apps carries an `Mcp-Session-Id` that says so
(`argo-mcp-apps-<random>`), which the client sends with every later request (the 2025-11-25 transport rule):
no state on the server, no session affinity. The `initialize` answer also declares the extension back
(`capabilities.extensions`), as the spec asks of a server that supports it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import mcp_types as types
import orjson
from mcp.server.apps import APP_MIME_TYPE, EXTENSION_ID, client_supports_apps
from mcp.server.context import ServerRequestContext
from starlette.types import Message, Send

VIEW_URI = "ui://argo-mcp/workflow.html"
VIEW_TOOLS = frozenset({"get_workflow", "get_workflow_graph", "wait_for_workflow"})
"""The tools whose answers name one workflow, which the view then draws."""
VIEW_META: dict[str, Any] = {"ui": {"resourceUri": VIEW_URI}}
SERVER_EXTENSION: dict[str, Any] = {"mimeTypes": [APP_MIME_TYPE]}
SESSION_PREFIX = "argo-mcp-apps-"
"""The `Mcp-Session-Id` a handshake-era HTTP client that declared Apps gets: the negotiation, carried by the
client (stateless HTTP keeps nothing between requests). Not a secret: a client that sends it unasked only
receives the links."""

__all__ = [
    "APP_MIME_TYPE",
    "EXTENSION_ID",
    "SERVER_EXTENSION",
    "SESSION_PREFIX",
    "VIEW_META",
    "VIEW_TOOLS",
    "VIEW_URI",
    "declares_apps",
    "initialize_declares_apps",
    "is_apps_session",
    "middleware",
    "negotiated",
    "view_contents",
    "view_html",
    "view_resource",
    "with_session_mark",
    "with_view",
]


@cache
def view_html() -> str:
    """The page, read once from the package (a real file, so it is edited and reviewed as HTML)."""
    return (resources.files("argo_mcp") / "ui" / "workflow.html").read_text(encoding="utf-8")


def declares_apps(capabilities: Any) -> bool:
    """Whether client capabilities (as sent on the wire) declare MCP Apps with the view's MIME type."""
    extensions = capabilities.get("extensions") if isinstance(capabilities, Mapping) else None
    settings = extensions.get(EXTENSION_ID) if isinstance(extensions, Mapping) else None
    mime_types = settings.get("mimeTypes") if isinstance(settings, Mapping) else None
    return isinstance(mime_types, list) and APP_MIME_TYPE in mime_types


def is_apps_session(session_id: str | None) -> bool:
    return session_id is not None and session_id.startswith(SESSION_PREFIX)


def negotiated(ctx: ServerRequestContext[Any, Any]) -> bool:
    """Whether this request's client declared MCP Apps with the view's MIME type: in this request or in its
    connection's `initialize` (the SDK's check), or, over stateless HTTP, in an `initialize` whose answer gave
    it the Apps session id it sends back."""
    try:
        if client_supports_apps(ctx):
            return True
    except AttributeError:  # a request without a session (none in practice): the header may still say
        pass
    headers = getattr(ctx.request, "headers", None)
    return headers is not None and is_apps_session(headers.get("mcp-session-id"))


async def middleware(ctx: ServerRequestContext[Any, Any], call_next: Any) -> Any:
    """2025-11-25: the `initialize` answer to a client that declared Apps declares the extension back (the SDK's
    2025-era answer has no `extensions`); any other client's answer is left as it was."""
    result = await call_next(ctx)
    params = ctx.params if isinstance(ctx.params, Mapping) else {}
    if (
        ctx.method == "initialize"
        and isinstance(result, dict)
        and isinstance(result.get("capabilities"), dict)
        and declares_apps(params.get("capabilities"))
    ):
        capabilities = result["capabilities"]
        extensions = {**(capabilities.get("extensions") or {}), EXTENSION_ID: SERVER_EXTENSION}
        result = {**result, "capabilities": {**capabilities, "extensions": extensions}}
    return result


def initialize_declares_apps(body: bytes | bytearray) -> bool:
    """Whether an HTTP POST body is an `initialize` request whose client declared Apps."""
    if b"initialize" not in body or EXTENSION_ID.encode() not in body:  # every other request: no parse
        return False
    try:
        message = orjson.loads(body)
    except orjson.JSONDecodeError:
        return False
    if not isinstance(message, dict) or message.get("method") != "initialize":
        return False
    params = message.get("params")
    return isinstance(params, dict) and declares_apps(params.get("capabilities"))


def with_session_mark(send: Send) -> Send:
    """`send` with the Apps session id added to a successful answer's headers (see the module docstring)."""

    async def marked(message: Message) -> None:
        if message["type"] == "http.response.start" and message.get("status") == 200:
            session = (SESSION_PREFIX + uuid.uuid4().hex).encode()
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"mcp-session-id"]
            message = {**message, "headers": [*headers, (b"mcp-session-id", session)]}
        await send(message)

    return marked


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
