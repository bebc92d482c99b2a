"""stdio transport: MCP on stdin/stdout; every diagnostic goes to stderr.

The client normally ends the session by closing stdin; SIGTERM/SIGINT also end it cleanly (exit 0).

The SDK's `stdio_server` does the JSON-RPC framing; this module hands it the streams: stdin continues where the
discovery cache's fast path stopped (its replayed lines first), and stdout drops the server's answer to the
replayed initialize and records the discovery answers for the next start (see `argo_mcp/discovery.py`). Like
the SDK, it serves from private duplicates of fd 0 and 1 and points those at /dev/null and stderr while
serving, so a stray print cannot corrupt the wire.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import signal
from collections.abc import AsyncIterator, Iterator
from typing import Any, cast

from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server

from argo_mcp import discovery
from argo_mcp.argo.client import ArgoClient
from argo_mcp.argo.errors import ArgoError
from argo_mcp.logging import get_logger
from argo_mcp.metrics import record_argo_up
from argo_mcp.transport import pipes

log = get_logger("argo_mcp.stdio")
WATCHED_MESSAGES = 8  # the discovery requests come first; later lines are not inspected
ARGO_CHECK_SECONDS = 5.0


async def check_argo(argo: ArgoClient, timeout: float = ARGO_CHECK_SECONDS) -> None:
    """One look at Argo at start, in the background, so a desktop user's log says at once whether Argo
    answers (not at the first call): `argo_answered` with its version, or `argo_not_answering` with the reason
    and the flag to check. The log line names the URL, never the token."""
    try:
        version = await asyncio.wait_for(
            argo.request("GET", "/api/v1/version", what="start-up check"), timeout
        )
    except TimeoutError:
        record_argo_up(argo.base_url, False)
        reason = f"no answer from /api/v1/version within {timeout:g}s"
    except ArgoError as exc:
        reason = str(exc)
    else:
        log.info("argo_answered", argo=argo.base_url, version=version.get("version", "unknown"))
        return
    log.warning(
        "argo_not_answering",
        argo=argo.base_url,
        reason=reason,
        message="tool calls fail until Argo answers: check --argo-server-url, the token and the CA",
    )


class DiscoveryRecorder:
    """Notes the ids of the first initialize and tools/list requests and keeps the server's answers to them."""

    def __init__(self, start: discovery.StdioStart) -> None:
        self.path = start.path if start.handover is None or not start.handover.answered else None
        self.pending: dict[Any, str] = {}
        self.version: str | None = None
        self.answers: dict[str, str] = {}
        self.seen = 0

    @property
    def watching(self) -> bool:
        return self.path is not None and self.seen < WATCHED_MESSAGES

    def incoming(self, line: str) -> None:
        self.seen += 1
        try:
            message = json.loads(line)
        except ValueError:
            return
        if not isinstance(message, dict) or "id" not in message:
            return
        params = message.get("params")
        if message.get("method") == "initialize" and isinstance(params, dict):
            version = params.get("protocolVersion")
            if discovery.declares_extensions(params):
                self.path = None  # answers for this client only: not recorded for the next
            elif isinstance(version, str):
                self.version = version
                self.pending[message["id"]] = "initialize"
        elif discovery.is_plain_tools_list(message):
            self.pending[message["id"]] = "tools/list"

    def outgoing(self, message: dict[str, Any]) -> None:
        method = self.pending.pop(message.get("id"), None)
        if method is None or "result" not in message:
            return
        # Compact and unescaped, as the SDK serialises (pydantic's model_dump_json).
        self.answers[method] = json.dumps(message["result"], separators=(",", ":"), ensure_ascii=False)
        if self.version and {"initialize", "tools/list"} <= set(self.answers) and self.path is not None:
            path, version, answers = self.path, self.version, dict(self.answers)
            self.path = None
            asyncio.get_running_loop().run_in_executor(None, discovery.store, path, version, answers)


class ReplayingStdin:
    """The lines the fast path read but did not answer, then the rest of fd 0 (an async iterator of lines)."""

    def __init__(self, fd: int, handover: discovery.Handover | None, recorder: DiscoveryRecorder) -> None:
        self.handover = handover or discovery.Handover()
        self.fd = fd
        self.recorder = recorder

    def __aiter__(self) -> AsyncIterator[str]:
        return self._lines()

    async def _lines(self) -> AsyncIterator[str]:
        for raw in self.handover.replay:
            line = raw.decode("utf-8", errors="replace") + "\n"
            if self.recorder.watching:
                self.recorder.incoming(line)
            yield line
        if self.handover.eof:
            if self.handover.leftover.strip():
                yield self.handover.leftover.decode("utf-8", errors="replace")
            return
        prefix = self.handover.leftover
        async for read in pipes.lines(self.fd):
            line = (prefix + read).decode("utf-8", errors="replace")
            prefix = b""
            if self.recorder.watching:
                self.recorder.incoming(line)
            yield line
        if prefix.strip():
            yield prefix.decode("utf-8", errors="replace")


class FilteringStdout:
    """fd 1's writer for the SDK: drops the answer to the replayed initialize and shows answers to the recorder."""

    def __init__(
        self, out: pipes.Output, handover: discovery.Handover | None, recorder: DiscoveryRecorder
    ) -> None:
        self.out = out
        self.pending = b""
        self.drop_answer_to = handover.drop_answer_to if handover is not None else None
        self.recorder = recorder

    async def write(self, text: str) -> None:
        if self.drop_answer_to is not None or self.recorder.pending:
            message = json.loads(text)
            if isinstance(message, dict):
                if self.drop_answer_to is not None and message.get("id") == self.drop_answer_to:
                    self.drop_answer_to = None
                    return
                self.recorder.outgoing(message)
        self.pending += text.encode()

    async def flush(self) -> None:
        """The SDK flushes after each message: one write of it, with back-pressure."""
        data, self.pending = self.pending, b""
        if data:
            await self.out.write(data)


@contextlib.contextmanager
def claimed_stdio() -> Iterator[tuple[int, int]]:
    """Private duplicates of fd 0 and 1 for the wire; fd 0 reads /dev/null and fd 1 goes to stderr meanwhile."""
    wire_in = fcntl.fcntl(0, fcntl.F_DUPFD_CLOEXEC, 3)
    wire_out = fcntl.fcntl(1, fcntl.F_DUPFD_CLOEXEC, 3)
    null = os.open(os.devnull, os.O_RDONLY)
    try:
        os.dup2(null, 0)
        os.dup2(2, 1)
    finally:
        os.close(null)
    try:
        yield wire_in, wire_out
    finally:
        os.dup2(wire_in, 0)
        os.dup2(wire_out, 1)
        # Not closed: a worker thread may still block reading wire_in; the process is ending anyway.


async def serve_stdio(
    server: Server[Any], argo: ArgoClient, start: discovery.StdioStart | None = None
) -> None:
    start = start or discovery.StdioStart(None)
    if start.warning:
        log.warning("discovery_cache_refused", message=start.warning)
    if start.handover is not None and start.handover.answered:
        log.info("discovery_answered_from_cache", methods=start.handover.answered, cache=str(start.path))

    async def serve() -> None:
        recorder = DiscoveryRecorder(start)
        with claimed_stdio() as (wire_in, wire_out):
            stdin = ReplayingStdin(wire_in, start.handover, recorder)
            out = await pipes.Output(wire_out).open()
            stdout = FilteringStdout(out, start.handover, recorder)
            try:
                async with stdio_server(cast(Any, stdin), cast(Any, stdout)) as (read_stream, write_stream):
                    await server.run(read_stream, write_stream, server.create_initialization_options())
            finally:
                out.close()

    task = asyncio.create_task(serve())
    check = asyncio.create_task(check_argo(argo))  # never in initialize's way: it only logs
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)
    try:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        check.cancel()
        await argo.close()
