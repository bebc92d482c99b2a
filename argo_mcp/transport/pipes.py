"""stdin and stdout on the event loop: newline-delimited messages without a thread hop per line.

The SDK's stdio transport reads and writes through anyio's file wrappers, which run every `readline`, `write` and
`flush` in a worker thread: three thread hand-offs per tool call, a measurable part of a small call's latency.
A pipe or a socket can be watched by the event loop instead (`connect_read_pipe` / `connect_write_pipe`); a
regular file or a terminal keeps the thread.

The loop makes the descriptor non-blocking, a flag that belongs to the open file description and so is shared
with whoever else holds the same pipe: it is put back when the stream closes.

A line is at most `MAX_LINE_BYTES` (4 MiB, as an HTTP request's body): a longer one is dropped up to its newline
and handed on as one unparseable line (the session logs it), so one message cannot grow the buffer without bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
from collections.abc import AsyncIterator

import anyio
from mcp.server.transport_security import DEFAULT_MAX_REQUEST_BODY_SIZE

MAX_LINE_BYTES = DEFAULT_MAX_REQUEST_BODY_SIZE  # the same bound as an HTTP request's body
OVERLONG_LINE = b"<a line longer than the limit was dropped>\n"


def watchable(fd: int) -> bool:
    """A pipe or a socket: what every MCP client gives a stdio server. Files and terminals keep the thread
    (uvloop aborts the process on a regular file; interactive use needs no speed)."""
    mode = os.fstat(fd).st_mode
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


async def lines(fd: int) -> AsyncIterator[bytes]:
    """Each line of `fd`, newline included (the last one may lack it); ends at end of input."""
    loop = asyncio.get_running_loop()
    if not watchable(fd):
        async with anyio.wrap_file(os.fdopen(os.dup(fd), "rb")) as file:
            async for line in file:
                yield line
        return
    reader = asyncio.StreamReader(limit=MAX_LINE_BYTES)
    # The transport gets a duplicate of its own: uvloop closes the descriptor it was given.
    pipe = os.fdopen(os.dup(fd), "rb", buffering=0)
    was_blocking = os.get_blocking(fd)
    transport, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), pipe)
    dropping = False  # inside a line over the limit, until its newline
    try:
        while True:
            try:
                line = await reader.readuntil(b"\n")
            except asyncio.IncompleteReadError as exc:  # end of input
                if exc.partial and not dropping:
                    yield exc.partial
                return
            except asyncio.LimitOverrunError as exc:  # no newline within the limit: drop what is held
                await reader.readexactly(exc.consumed)
                dropping = True
                continue
            if dropping:
                dropping = False
                yield OVERLONG_LINE
                continue
            yield line
    finally:
        transport.close()
        with contextlib.suppress(OSError):
            os.set_blocking(fd, was_blocking)


class Output:
    """Writes to `fd` from the event loop, with back-pressure (`drain`) when the reader is slow."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.was_blocking = os.get_blocking(fd)
        self.writer: asyncio.StreamWriter | None = None
        self.file: anyio.AsyncFile[bytes] | None = None

    async def open(self) -> Output:
        loop = asyncio.get_running_loop()
        pipe = os.fdopen(os.dup(self.fd), "wb", buffering=0)  # its own descriptor, as in lines()
        if not watchable(self.fd):  # written from a thread, as the SDK does
            self.file = anyio.wrap_file(pipe)
            return self
        transport, protocol = await loop.connect_write_pipe(asyncio.streams.FlowControlMixin, pipe)
        self.writer = asyncio.StreamWriter(transport, protocol, None, loop)
        return self

    async def write(self, data: bytes) -> None:
        if self.writer is not None:
            self.writer.write(data)
            await self.writer.drain()
            return
        assert self.file is not None, "open() first"
        await self.file.write(data)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.transport.close()
        if self.file is not None:
            self.file.wrapped.close()
        with contextlib.suppress(OSError):
            os.set_blocking(self.fd, self.was_blocking)
