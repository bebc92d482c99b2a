"""Raw MCP over streamable HTTP for the robustness suite and the soak: JSON-RPC posts, no SDK client, so what
is measured and checked is the server's own behaviour. Also a /healthz prober that runs beside a call."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp

HEADERS = {
    "Accept": "application/json, text/event-stream",
    "Content-Type": "application/json",
    "MCP-Protocol-Version": "2025-11-25",
}


def initialize_request(version: str) -> dict[str, Any]:
    """An `initialize` JSON-RPC request at protocol `version`, from a client that declares nothing."""
    return {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": version,
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "1"},
        },
    }


def rpc_answer(body: str) -> dict[str, Any]:
    """The JSON-RPC message of a plain JSON or SSE answer."""
    if body.lstrip().startswith("{"):
        return dict(json.loads(body))
    for line in body.splitlines():
        if line.startswith("data:"):
            message = json.loads(line[5:])
            if "result" in message or "error" in message:
                return dict(message)
    raise AssertionError(f"no JSON-RPC answer in {body[:200]!r}")


@dataclass
class Answer:
    status: int
    body: str
    message: dict[str, Any] | None

    @property
    def tool_error(self) -> bool:
        return bool(self.message and self.message.get("result", {}).get("isError"))

    @property
    def text(self) -> str:
        if not self.message or "result" not in self.message:
            return ""
        return "".join(block.get("text", "") for block in self.message["result"].get("content", []))


async def call_tool(
    session: aiohttp.ClientSession,
    url: str,
    name: str,
    arguments: dict[str, Any],
    *,
    headers: dict[str, str] | None = None,
    request_id: int = 1,
    timeout: float = 60,
) -> Answer:
    message = {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "tools/call",
        "params": {"name": name, "arguments": arguments},
    }
    async with session.post(
        url,
        json=message,
        headers={**HEADERS, **(headers or {})},
        timeout=aiohttp.ClientTimeout(total=timeout),
    ) as response:
        body = await response.text()
        parsed = rpc_answer(body) if response.status == 200 else None
        return Answer(response.status, body, parsed)


@dataclass
class Prober:
    """Polls /healthz every `every` seconds while running; the worst latency is the server's responsiveness."""

    base: str
    every: float = 0.1
    worst: float = 0.0
    failures: int = 0
    probes: int = 0
    _task: asyncio.Task[None] | None = field(default=None, init=False)
    _in_flight_since: float | None = field(default=None, init=False)

    async def _run(self) -> None:
        async with aiohttp.ClientSession() as session:
            while True:
                started = self._in_flight_since = time.monotonic()
                try:
                    async with session.get(
                        f"{self.base}/healthz", timeout=aiohttp.ClientTimeout(total=5)
                    ) as response:
                        await response.read()
                        ok = response.status == 200
                except (aiohttp.ClientError, TimeoutError):
                    ok = False
                self._in_flight_since = None
                self.probes += 1
                self.failures += 0 if ok else 1
                self.worst = max(self.worst, time.monotonic() - started)
                await asyncio.sleep(self.every)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Prober]:
        self._task = asyncio.create_task(self._run())
        try:
            yield self
        finally:
            # A probe still unanswered when the block ends counts for as long as it has waited: a stall longer
            # than the block itself must not go unseen.
            if self._in_flight_since is not None:
                self.worst = max(self.worst, time.monotonic() - self._in_flight_since)
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


# The headers a Streamable HTTP client sends before it knows the protocol version (initialize).
ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


class OpenStreams:
    """Adapts already-open (read, write) streams to the Client's Transport protocol."""

    def __init__(self, streams: Any) -> None:
        self.streams = streams

    async def __aenter__(self) -> Any:
        return self.streams

    async def __aexit__(self, *_exc: object) -> None:
        return None
