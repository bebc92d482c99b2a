"""Run argo-mcp as a separate process, the way users and MCP clients do, and talk to it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import ssl
import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import psutil
from aiohttp import web
from mcp import Client
from mcp.client.extension import ClientExtension
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

from tests.support.raw_mcp import OpenStreams

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def closed_url() -> str:
    """An http URL on a free local port that nothing listens on: an Argo server or issuer that cannot be reached."""
    return f"http://127.0.0.1:{free_port()}"


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The parent's environment without any ARGO_* or in-cluster variables, plus `extra`.

    The stdio discovery cache is off unless `extra` turns it on: a test's server answers from its own code."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ARGO_", "KUBERNETES_SERVICE")) and k != "PYTHONPATH"
    }
    env["PYTHONPATH"] = str(REPO)
    env["PYTHONUNBUFFERED"] = "1"
    env["ARGO_MCP_DISCOVERY_CACHE"] = "off"
    env.update(extra or {})
    return env


@dataclass
class ServerProcess:
    proc: asyncio.subprocess.Process
    port: int
    stderr_path: Path
    scheme: str = "http"
    args: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.base}/mcp"

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def logs(self) -> list[dict[str, Any]]:
        records = []
        for line in self.stderr().splitlines():
            with contextlib.suppress(ValueError):
                records.append(json.loads(line))
        return records

    async def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int:
        if self.proc.returncode is None:
            self.proc.send_signal(sig)
            try:
                await asyncio.wait_for(self.proc.wait(), timeout)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        assert self.proc.returncode is not None
        return self.proc.returncode


async def start_argo_mcp(
    tmp: Path,
    *args: str,
    env: dict[str, str] | None = None,
    ca: ssl.SSLContext | None = None,
    wait: bool = True,
) -> ServerProcess:
    port = free_port()
    stderr_path = tmp / f"argo-mcp-{port}.log"
    argv = [sys.executable, "-m", "argo_mcp", "--host", "127.0.0.1", "--port", str(port), *args]
    with stderr_path.open("wb") as err:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=err,
            env=clean_env(env),
            cwd=REPO,
        )
    server = ServerProcess(
        proc, port, stderr_path, scheme="https" if "--tls-cert" in args else "http", args=list(args)
    )
    if wait:
        await wait_healthy(server, ca)
    return server


async def start_without_argo_auth(tmp_path: Path, argo_url: str, *flags: str) -> ServerProcess:
    """argo-mcp over HTTP against the Argo at `argo_url` with no Argo credentials (`--argo-auth-mode none`, what
    the stand-ins accept), plus `flags`."""
    return await start_argo_mcp(tmp_path, "--argo-server-url", argo_url, "--argo-auth-mode", "none", *flags)


async def wait_healthy(server: ServerProcess, ca: ssl.SSLContext | None = None, timeout: float = 20) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    async with httpx2.AsyncClient(verify=ca if ca is not None else True) as http:
        while True:
            if server.proc.returncode is not None:
                raise AssertionError(f"argo-mcp exited with {server.proc.returncode}:\n{server.stderr()}")
            with contextlib.suppress(httpx2.HTTPError):
                response = await http.get(f"{server.base}/healthz")
                if response.status_code == 200:
                    return
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"argo-mcp did not become healthy:\n{server.stderr()}")
            await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def http_client(
    url: str,
    *,
    headers: dict[str, str] | None = None,
    verify: Any = True,
    mode: str = "auto",
    extensions: Sequence[ClientExtension] | None = None,
) -> AsyncIterator[Client]:
    http = httpx2.AsyncClient(headers=headers or {}, verify=verify, timeout=httpx2.Timeout(30, read=120))
    async with http:
        transport = streamable_http_client(url, http_client=http)
        async with Client(transport, mode=mode, extensions=extensions) as client:
            yield client


def stdio_command(argo_url: str, *flags: str) -> list[str]:
    """The command line of argo-mcp over stdio against `argo_url`, as the stdio tests and the bench spawn it."""
    return [sys.executable, "-m", "argo_mcp", "--stdio", "--argo-server-url", argo_url, *flags]


def stdio_params(argo_url: str, extra_env: dict[str, str] | None = None) -> StdioServerParameters:
    """argo-mcp over stdio for the SDK's client, with no Argo credentials (`--argo-auth-mode none`)."""
    command, *args = stdio_command(argo_url, "--argo-auth-mode", "none")
    return StdioServerParameters(command=command, args=args, env=clean_env(extra_env), cwd=REPO)


@contextlib.asynccontextmanager
async def stdio_mcp_client(argo_url: str, errlog: Path) -> AsyncIterator[Client]:
    """An SDK client (legacy mode) of argo-mcp over stdio; the server's stderr is written to `errlog` so that a
    test can read its log lines once the client is closed."""
    with errlog.open("w") as log:
        async with (
            stdio_client(stdio_params(argo_url), errlog=log) as streams,
            Client(OpenStreams(streams), mode="legacy") as client,
        ):
            yield client


async def peak_rss(pid: int, stop: asyncio.Event) -> int:
    """The highest resident memory of process `pid`, sampled every 20 ms until `stop` is set: what a memory
    bound is checked against (a final reading would miss a peak the process has already given back)."""
    process = psutil.Process(pid)
    peak = 0
    while not stop.is_set():
        with contextlib.suppress(psutil.Error):
            peak = max(peak, process.memory_info().rss)
        await asyncio.sleep(0.02)
    return peak


@contextlib.asynccontextmanager
async def serve_app(app: web.Application) -> AsyncIterator[str]:
    """`app` served on a free local port for the block's duration; yields its base URL (`http://127.0.0.1:port`)."""
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    port = free_port()
    try:
        await web.TCPSite(runner, "127.0.0.1", port).start()
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def tool_error(url: str, tool: str, args: dict[str, Any]) -> str:
    """The text of the error that `tool` answers `args` with, called by a new client of the server at `url`; the
    test fails if the call succeeds."""
    async with http_client(url) as client:
        result = await client.call_tool(tool, args)
    assert result.is_error, text_of(result)
    return text_of(result)


def text_of(result: Any) -> str:
    """The text of a tool result's first content block (tools here always answer with text)."""
    block = result.content[0]
    assert block.type == "text", block
    return str(block.text)


def payload(result: Any) -> Any:
    """A tool result's data: a JSON answer is one JSON text block (argo-mcp sends no structuredContent copy of
    it); a text answer (logs, graphs) carries its small metadata as structuredContent."""
    if result.structured_content is not None:
        return result.structured_content
    return json.loads(text_of(result))
