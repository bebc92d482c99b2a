"""stdio transport: MCP on stdin/stdout; every diagnostic goes to stderr.

The client normally ends the session by closing stdin; SIGTERM/SIGINT also end it cleanly (exit 0).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from typing import Any

from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server

from argo_mcp.argo.client import ArgoClient


async def serve_stdio(server: Server[Any], argo: ArgoClient) -> None:
    async def serve() -> None:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())

    task = asyncio.create_task(serve())
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)
    try:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        await argo.close()
