"""One handshake-era JSON POST answered in the request's own task, as the SDK answers a 2026-07-28 POST.

For a 2025-era client the SDK's stateless mode builds, per POST, a transport, two memory streams, a JSON-RPC
dispatcher and a task group, runs the request through them and tears them down: about a third of the server's
time per call, for a request that needs none of it (no session, no stream, nothing sent before the answer, no
request to the client). The SDK's own 2026-07-28 entry skips all that with its single-exchange driver,
`serve_one`; this module drives the same kernel for the plain handshake-era requests, so both eras share the
handlers, the middleware and the exception-to-error mapping, and answer the same bytes.

Only the plain case comes here: one JSON-RPC request (not `initialize`, not a notification or a batch) with the
media types the SDK's JSON mode accepts, a handshake-era `MCP-Protocol-Version` (or none), no session id but the
MCP Apps one (apps.py: stateless, it only says the client negotiated the view) and no 2026-07-28 envelope.
Everything else, and every malformed request, is handed to the SDK unchanged, which answers it as it always did.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import anyio
import orjson
import structlog
from mcp.server.connection import Connection
from mcp.server.lowlevel import Server
from mcp.server.runner import serve_one
from mcp.shared.dispatcher import CallOptions
from mcp.shared.exceptions import NoBackChannelError
from mcp.shared.jsonrpc_dispatcher import handler_exception_to_error_data
from mcp.shared.message import MessageMetadata, ServerMessageMetadata
from mcp.shared.transport_context import TransportContext
from mcp_types import DEFAULT_NEGOTIATED_VERSION, PROTOCOL_VERSION_META_KEY
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from argo_mcp import apps

log = structlog.get_logger("argo_mcp.http")

_JSON_HEADERS = [(b"content-type", b"application/json")]
_STATELESS = TransportContext(kind="streamable-http", can_send_request=False)


@dataclass
class _OneRequest:
    """The dispatch context of one request with no back-channel: what the SDK's stateless JSON mode gives a
    handler (no server-to-client request can be answered, and a notification has no wire to travel on)."""

    request_id: str | int
    message_metadata: MessageMetadata
    transport: TransportContext = _STATELESS
    can_send_request: bool = False
    cancel_requested: anyio.Event = field(default_factory=anyio.Event)

    async def send_raw_request(
        self, method: str, params: Mapping[str, Any] | None, opts: CallOptions | None = None
    ) -> dict[str, Any]:
        raise NoBackChannelError(method)

    async def notify(
        self, method: str, params: Mapping[str, Any] | None, opts: CallOptions | None = None
    ) -> None:
        return None

    async def progress(self, progress: float, total: float | None = None, message: str | None = None) -> None:
        return None


def _accepts_json(header: str) -> bool:
    """The SDK's JSON-response rule (RFC 7231 wildcards included): the client must accept application/json."""
    types = {part.split(";", 1)[0].strip().lower() for part in header.split(",")}
    return not types.isdisjoint({"application/json", "application/*", "*/*"})


def plain_request(scope: Scope, body: bytes) -> tuple[str, dict[str, Any]] | None:
    """(protocol version, request) when `body` is one plain handshake-era request; None sends it to the SDK."""
    version = accept = content_type = None
    for name, value in scope["headers"]:
        if name == b"mcp-protocol-version":
            if version is not None:
                return None
            version = value.decode("latin-1")
        elif name == b"accept" and accept is None:  # the first, as Starlette's headers.get reads it
            accept = value.decode("latin-1")
        elif name == b"content-type" and content_type is None:
            content_type = value.decode("latin-1")
        elif name == b"mcp-session-id" and not apps.is_apps_session(value.decode("latin-1")):
            return None
    if version is not None and version not in HANDSHAKE_PROTOCOL_VERSIONS:
        return None
    if not _accepts_json(accept or "") or (content_type or "").split(";", 1)[0].strip() != "application/json":
        return None
    try:
        message = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(message, dict) or message.keys() - {"jsonrpc", "id", "method", "params"}:
        return None
    request_id, method, params = message.get("id"), message.get("method"), message.get("params", {})
    if (
        message.get("jsonrpc") != "2.0"
        or not isinstance(request_id, str | int)
        or isinstance(request_id, bool)
        or not isinstance(method, str)
        or method == "initialize"
        or not isinstance(params, dict)
    ):
        return None
    meta = params.get("_meta")
    if meta is not None and (not isinstance(meta, dict) or PROTOCOL_VERSION_META_KEY in meta):
        return None
    return version or DEFAULT_NEGOTIATED_VERSION, message


class SingleExchange:
    """Answers a plain handshake-era request (see `plain_request`) through the SDK's `serve_one`."""

    def __init__(self, server: Server[Any]) -> None:
        self.server = server
        self.lifespan_state: Any = None

    async def answer(
        self, version: str, message: dict[str, Any], scope: Scope, receive: Receive, send: Send
    ) -> None:
        request_id = message["id"]
        context = _OneRequest(request_id, ServerMessageMetadata(request_context=Request(scope, receive)))
        connection = Connection.from_envelope(version, None, None)
        reply: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id}
        try:
            reply["result"] = await serve_one(
                self.server,
                context,
                message["method"],
                message.get("params"),
                connection=connection,
                lifespan_state=self.lifespan_state,
            )
        except Exception as exc:
            error = handler_exception_to_error_data(exc)
            if error is None:
                # The SDK's dispatcher answers an unmapped exception with code 0 and its message; so does this.
                log.exception("handler_raised", method=message["method"])
                reply["error"] = {"code": 0, "message": str(exc)}
            else:
                reply["error"] = error.model_dump(mode="json", by_alias=True, exclude_unset=True)
        body = orjson.dumps(reply)
        headers = [*_JSON_HEADERS, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
