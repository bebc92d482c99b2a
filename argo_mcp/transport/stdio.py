"""stdio transport: MCP on stdin/stdout; every diagnostic goes to stderr."""

from __future__ import annotations

from typing import Any

from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server

from argo_mcp.argo.client import ArgoClient


async def serve_stdio(server: Server[Any], argo: ArgoClient) -> None:
    try:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())
    finally:
        await argo.close()
