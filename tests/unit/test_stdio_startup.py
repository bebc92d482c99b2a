"""A stdio server says at start whether Argo answered (one background look), without delaying initialize."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from tests.support.fake_argo import FakeArgo
from tests.support.processes import REPO, clean_env, stdio_command
from tests.support.raw_mcp import initialize_request
from tests.support.samples import VERSION

TOKEN = "start-up-secret-token-5e1f"


async def _start(argo_url: str, stderr: Path) -> tuple[asyncio.subprocess.Process, dict[str, Any]]:
    """argo-mcp --stdio with a bearer token; its answer to initialize."""
    with stderr.open("wb") as err:
        proc = await asyncio.create_subprocess_exec(
            *stdio_command(argo_url, "--argo-auth-mode", "bearer"),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=err,
            env=clean_env({"ARGO_TOKEN": TOKEN, "ARGO_MCP_DISCOVERY_CACHE": "off"}),
            cwd=REPO,
        )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(json.dumps(initialize_request("2025-11-25")).encode() + b"\n")
    await proc.stdin.drain()
    answer = json.loads(await asyncio.wait_for(proc.stdout.readline(), 60))
    return proc, answer


async def _stop(proc: asyncio.subprocess.Process) -> None:
    assert proc.stdin is not None
    proc.stdin.close()
    await asyncio.wait_for(proc.wait(), 30)


def _events(stderr: Path) -> dict[str, dict[str, Any]]:
    lines = [json.loads(line) for line in stderr.read_text().splitlines() if line.startswith("{")]
    return {line["event"]: line for line in lines}


async def test_stdio_logs_at_start_that_argo_answered(argo: FakeArgo, argo_url: str, tmp_path: Path) -> None:
    argo.on("InfoService_GetVersion", VERSION)
    stderr = tmp_path / "stderr.log"
    proc, answer = await _start(argo_url, stderr)
    assert answer["result"]["serverInfo"]["name"]
    for _ in range(100):
        if "argo_answered" in _events(stderr):
            break
        await asyncio.sleep(0.1)
    await _stop(proc)
    line = _events(stderr)["argo_answered"]
    assert (line["argo"], line["version"]) == (argo_url, "v3.7.6")
    assert argo.last("InfoService_GetVersion").headers["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in stderr.read_text()


async def test_stdio_logs_argo_not_answering_without_delaying_initialize(tmp_path: Path) -> None:
    """Argo accepts the connection and never answers: initialize is answered at once, the warning comes when
    the look gives up (5 s), and names the URL and what to check, never the token."""
    connections: list[asyncio.StreamWriter] = []

    async def hang(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)

    server = await asyncio.start_server(hang, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    stderr = tmp_path / "stderr.log"
    try:
        proc, answer = await _start(url, stderr)
        assert "result" in answer
        assert "argo_not_answering" not in _events(stderr), "initialize must not wait for the look at Argo"
        for _ in range(150):
            if "argo_not_answering" in _events(stderr):
                break
            await asyncio.sleep(0.1)
        await _stop(proc)
    finally:
        for writer in connections:
            writer.close()
        server.close()
    line = _events(stderr)["argo_not_answering"]
    assert line["argo"] == url and "within 5s" in line["reason"]
    assert "--argo-server-url" in line["message"]
    assert TOKEN not in stderr.read_text()
