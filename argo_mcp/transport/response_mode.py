"""Plain JSON answers for requests that need no stream; SSE only for those that do.

The streamable HTTP spec lets a server answer a POST either with one `application/json` body or with an SSE
stream. A stream is only needed when something is sent before the answer, and the only thing argo-mcp sends
early is progress, which a client asks for by putting a `progressToken` in the request's `_meta`. Framing
every answer as SSE cost a third of a call's time (sse-starlette's task group, pings and chunked writes), so
each POST is routed by its body: without a progress token to the SDK's JSON-response mode, with one (or when
the body cannot be read as one request) to the SSE mode. GET and DELETE go to the SSE mode, as before. A plain
handshake-era request without a progress token skips the SDK's per-request session machinery altogether
(single_exchange.py).

The routing looks for the bytes `"progressToken"` instead of parsing the JSON: a false positive (the word in an
argument) only means the answer streams as it always did.
"""

from __future__ import annotations

from collections import deque

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from argo_mcp import apps
from argo_mcp.transport.single_exchange import SingleExchange, plain_request

PROGRESS_TOKEN = b'"progressToken"'


class ResponseModeRouter:
    """ASGI app: POSTs without a progress token to `json_app`, everything else to `stream_app`."""

    def __init__(
        self, json_app: ASGIApp, stream_app: ASGIApp, *, max_body: int, single: SingleExchange | None = None
    ) -> None:
        self.json_app, self.stream_app, self.max_body, self.single = json_app, stream_app, max_body, single

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.stream_app(scope, receive, send)
            return
        body = bytearray()
        buffered: deque[Message] = deque()
        complete = False
        while len(body) <= self.max_body:
            message = await receive()
            buffered.append(message)
            if message["type"] != "http.request":
                break
            body.extend(message.get("body", b""))
            if not message.get("more_body", False):
                complete = True
                break

        async def replay() -> Message:
            return buffered.popleft() if buffered else await receive()

        # An oversized or interrupted body goes to the stream app unchanged, which answers it as the SDK does.
        needs_stream = not complete or PROGRESS_TOKEN in body
        if complete and apps.initialize_declares_apps(body):
            send = apps.with_session_mark(send)  # stateless HTTP: the client carries its Apps negotiation
        if not needs_stream and self.single is not None and len(body) <= self.max_body:
            plain = plain_request(scope, bytes(body))
            if plain is not None:
                await self.single.answer(*plain, scope, replay, send)
                return
        await (self.stream_app if needs_stream else self.json_app)(scope, replay, send)
