"""argo-mcp over stdio driven message by message: JSON-RPC requests written raw, answers read line by line.

Shared by the stdio tests (the discovery cache, the pipes) so that no test module imports another.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.processes import REPO, clean_env, stdio_command

PROTOCOL = "2025-11-25"


def initialize(request_id: Any = 1, version: str = PROTOCOL) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "initialize",
        "params": {
            "protocolVersion": version,
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "1"},
        },
    }


INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}


def version_call(request_id: Any) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "tools/call",
        "params": {"name": "get_argo_version", "arguments": {}},
    }


@dataclass
class Session:
    proc: asyncio.subprocess.Process

    async def send(self, *messages: dict[str, Any]) -> None:
        """All messages in one write, so the server reads them in one chunk (the hand-over must keep them)."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"".join(json.dumps(m).encode() + b"\n" for m in messages))
        await self.proc.stdin.drain()

    async def line(self) -> bytes:
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), 30)
        assert line, "the server closed stdout"
        return line

    async def close(self) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        return await asyncio.wait_for(self.proc.wait(), 30)


def tools_list(request_id: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/list"}


async def start_stdio(
    argo_url: str, cache: Path | str, tmp_path: Path, *flags: str, env: dict[str, str] | None = None
) -> Session:
    proc = await asyncio.create_subprocess_exec(
        *stdio_command(argo_url, *flags),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=(tmp_path / "stderr.log").open("ab"),
        env=clean_env({"ARGO_MCP_DISCOVERY_CACHE": str(cache), **(env or {})}),
        cwd=REPO,
        limit=2**24,
    )
    return Session(proc)


def stderr_log(tmp_path: Path) -> str:
    return (tmp_path / "stderr.log").read_text()
