"""Notices a client's hang-up on every HTTP road (the single-exchange fast path, the SDK's JSON and SSE paths)
and tells the call it started (calls/hangup.py), so the call is cancelled within a moment instead of holding
its slot and polling Argo for a client that is gone.

Once a request's body is in, the only message the server can still receive for it is `http.disconnect`; uvicorn
also sends it when the answer is complete, so a disconnect after the answer's last byte is not a hang-up.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from argo_mcp.calls.hangup import RequestLife, request_life


class HangUpWatch:
    """ASGI wrapper: marks each HTTP request's life and watches for its client leaving."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with request_life() as life:
            exchange = _Exchange(life, receive, send)
            try:
                await self.app(scope, exchange.receive, exchange.send)
            finally:
                exchange.stop()


class _Exchange:
    def __init__(self, life: RequestLife, receive: Receive, send: Send) -> None:
        self.life, self._receive, self._send = life, receive, send
        self.answered = False
        self.watcher: asyncio.Task[None] | None = None

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.disconnect":
            self._left()
        elif (
            message["type"] == "http.request" and not message.get("more_body", False) and self.watcher is None
        ):
            self.watcher = asyncio.create_task(self._watch())
        return message

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            self.answered = True  # before the send: uvicorn reports the completed answer as a disconnect
        await self._send(message)

    async def _watch(self) -> None:
        message = await self._receive()
        if message["type"] == "http.disconnect":
            self._left()

    def _left(self) -> None:
        if not self.answered:
            self.life.hang_up()

    def stop(self) -> None:
        if self.watcher is not None:
            self.watcher.cancel()
