"""`python -m bench`: what an agent pays for argo-mcp's answers and what argo-mcp adds to Argo, in one run.

Against the benchmark's stand-in (bench/standin.py: 500 realistic workflows of 10-50 nodes and one 50-node
workflow, with Argo's `fields` filter applied as Argo applies it), it measures:
  floor        a direct HTTP GET of the 50-node workflow (aiohttp): p50/p99 and calls/s at 1/10/50 clients
  argo-mcp     get_workflow over streamable HTTP (handshake-era requests, and 2026-07-28 ones for p50/p99, CPU per
               call and 10-client calls/s) and over stdio: p50/p99, added p50 over the floor, calls/s at
               1/10/50 HTTP clients (and errors), cold start (spawn -> tools/list answered, stdio; with
               and without the discovery cache) and spawn -> the first get_workflow answered,
               the server's CPU time per call and per cold start (read from /proc: on a busy host, wall
               times move with the other load and CPU times much less, so compare those across columns),
               RSS idle / after the calls / peak (VmHWM) after listing 500 workflows
  tokens       cl100k_base tokens over everything a result carries (every content block's text and the JSON
               of structuredContent): default get_workflow (50 nodes), default list_workflows of a namespace
               holding 500 (its first page and `continue` token), a submit answer, and tools/list (the JSON of
               its tools array, what a client puts in the model's context)
  bytes        what that default list makes Argo send (the floor's figure is the whole list, unfiltered)
  tasks        on a fresh server with a task key (2026-07-28, the Tasks extension): tasks/get of a running
               workflow next to get_workflow of it (p50, server CPU per call), Argo GETs per poll, and RSS before
               and after 1,000 tasks were made and polled once (`--only tasks` measures just these)
  lists        on a fresh server: cl100k tokens per item of list_workflows limit=500 (the list's tokens over
               500), and RSS before, at peak (VmHWM) and after a `full: true` list of the 500 workflows, which
               the 4 MiB answer cap refuses (`--only lists` measures just these)
The clients are raw JSON-RPC (no SDK client), so the figures are the server's, not a client library's.
`--compare DIR` runs the same figures for another checkout (e.g. `git archive <rev> argo_mcp | tar -x -C DIR`)
in the same run, for before/after. Figures are reported, never asserted: this is not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bench.standin import BIG_NAME, LIST_SIZE, NAMESPACE, RUNNING_NAME
from bench.tokens import count_tokens
from tests.support.processes import REPO, clean_env, free_port, stdio_command
from tests.support.raw_mcp import rpc_answer

PROTOCOL = "2025-11-25"
HEADERS = {
    "Accept": "application/json, text/event-stream",
    "Content-Type": "application/json",
    "MCP-Protocol-Version": PROTOCOL,
}
GET_BIG = {"name": "get_workflow", "arguments": {"name": BIG_NAME, "namespace": NAMESPACE}}


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def rss_mib(pid: int, key: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def cpu_ms(pid: int) -> float:
    """User + system CPU time the process has used: unlike wall time, barely moved by other load on the host."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


async def wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


MODERN = "2026-07-28"


class HttpMcp:
    """Raw streamable-HTTP JSON-RPC calls (stateless server: no session to set up).

    `modern` sends 2026-07-28 requests (the version in a header and in each request's `_meta`, the method and
    tool name in headers) instead of handshake-era ones: the SDK answers the two eras by different paths."""

    def __init__(
        self, session: aiohttp.ClientSession, url: str, *, modern: bool = False, tasks: bool = False
    ) -> None:
        self.session, self.url, self.next_id, self.modern, self.tasks = session, url, 0, modern, tasks

    def _envelope(self, method: str, params: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        if not self.modern:
            return params, HEADERS
        capabilities: dict[str, Any] = (
            {"extensions": {"io.modelcontextprotocol/tasks": {}}} if self.tasks else {}
        )
        meta = {
            "io.modelcontextprotocol/protocolVersion": MODERN,
            "io.modelcontextprotocol/clientCapabilities": capabilities,
        }
        headers = {**HEADERS, "MCP-Protocol-Version": MODERN, "Mcp-Method": method}
        if method == "tools/call":
            headers["Mcp-Name"] = params["name"]
        elif method.startswith("tasks/"):
            headers["Mcp-Name"] = params["taskId"]
        return {**params, "_meta": meta}, headers

    async def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self.next_id += 1
        params, headers = self._envelope(method, params)
        message = {"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}
        async with self.session.post(self.url, json=message, headers=headers) as response:
            body = await response.text()
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status}: {body[:200]}")
        answer = rpc_answer(body)
        if "error" in answer or answer["result"].get("isError"):
            raise RuntimeError(str(answer)[:300])
        return dict(answer["result"])


class StdioMcp:
    """Raw newline-delimited JSON-RPC over a spawned `argo-mcp --stdio`."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc, self.next_id = proc, 0

    @classmethod
    async def spawn(cls, root: Path, argo_url: str, discovery_cache: str = "off") -> StdioMcp:
        proc = await asyncio.create_subprocess_exec(
            *stdio_command(argo_url, "--argo-auth-mode", "none"),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            env=clean_env({"PYTHONPATH": str(root), "ARGO_MCP_DISCOVERY_CACHE": discovery_cache}),
            cwd=root,
            limit=64 * 2**20,
        )
        client = cls(proc)
        await client.request(
            "initialize",
            {
                "protocolVersion": PROTOCOL,
                "capabilities": {},
                "clientInfo": {"name": "bench", "version": "1"},
            },
        )
        await client.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return client

    async def send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")
        await self.proc.stdin.drain()

    async def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdout is not None
        self.next_id += 1
        await self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                raise RuntimeError("argo-mcp closed stdout")
            message = json.loads(line)
            if message.get("id") == self.next_id:
                if "error" in message or message["result"].get("isError"):
                    raise RuntimeError(str(message)[:300])
                return dict(message["result"])

    async def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            await asyncio.wait_for(self.proc.wait(), 10)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()


async def latencies(call: Callable[[], Awaitable[Any]], count: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        await call()
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


async def record_latency(
    values: dict[str, Any],
    prefix: str,
    call: Callable[[], Awaitable[Any]],
    pid: int,
    floor_p50: float,
    args: argparse.Namespace,
) -> None:
    """`{prefix}_p50_ms`, `_p99_ms`, `_added_p50_ms` (over the floor) and the server's CPU per call."""
    cpu_before = cpu_ms(pid)
    samples = await latencies(call, args.calls, args.warmup)
    values[f"{prefix}_cpu_ms_per_call"] = round((cpu_ms(pid) - cpu_before) / (args.calls + args.warmup), 2)
    values[f"{prefix}_p50_ms"] = round(statistics.median(samples), 2)
    values[f"{prefix}_p99_ms"] = round(percentile(samples, 99), 2)
    values[f"{prefix}_added_p50_ms"] = round(values[f"{prefix}_p50_ms"] - floor_p50, 2)


async def throughput(call: Callable[[], Awaitable[Any]], clients: int, seconds: float) -> tuple[float, int]:
    """Calls per second with `clients` concurrent callers for `seconds`, and how many calls failed."""
    done = errors = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done, errors
        while time.perf_counter() < deadline:
            try:
                await call()
                done += 1
            except Exception:
                errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return done / (time.perf_counter() - started), errors


def result_tokens(result: dict[str, Any]) -> int:
    """Tokens over everything a tool result carries: each content block's text and the structured content."""
    total = sum(count_tokens(block.get("text", "")) for block in result.get("content", []))
    if result.get("structuredContent") is not None:
        total += count_tokens(json.dumps(result["structuredContent"], separators=(",", ":")))
    return total


@dataclass
class Figures:
    label: str
    values: dict[str, Any] = field(default_factory=dict)


async def argo_bytes(session: aiohttp.ClientSession, argo_url: str, reset: bool = False) -> int:
    path = "/bench/reset" if reset else "/bench/stats"
    async with session.request("POST" if reset else "GET", argo_url + path) as response:
        return int((await response.json())["bytes_sent"])


async def cold_start(
    root: Path, argo_url: str, discovery_cache: str = "off", runs: int = 3
) -> tuple[float, float, float]:
    """Medians from spawning `argo-mcp --stdio`: ms to its tools/list answer, its CPU ms by then, and ms to the
    answer of a first tool call (get_workflow) right after tools/list.

    With a discovery cache (see argo_mcp/discovery.py) tools/list comes before the server is loaded and the
    first call waits for the load; without one both wait."""
    samples, cpu, first_call = [], [], []
    for _ in range(runs):
        started = time.perf_counter()
        client = await StdioMcp.spawn(root, argo_url, discovery_cache)
        await client.request("tools/list", {})
        samples.append((time.perf_counter() - started) * 1000)
        cpu.append(cpu_ms(client.proc.pid))
        await client.request("tools/call", GET_BIG)
        first_call.append((time.perf_counter() - started) * 1000)
        await client.close()
    return statistics.median(samples), statistics.median(cpu), statistics.median(first_call)


async def first_tool_answer(
    root: Path, argo_url: str, discovery_cache: str = "off", runs: int = 5
) -> tuple[float, float]:
    """Median ms from spawning `argo-mcp --stdio` to the answer of a tool call sent right after initialize (a
    client that calls a tool at once, without tools/list): what a desktop user waits for before the first
    answer, the figure issue 29 sets a goal for; and the server's CPU ms by then (steadier on a busy host)."""
    samples, cpu = [], []
    for _ in range(runs):
        started = time.perf_counter()
        client = await StdioMcp.spawn(root, argo_url, discovery_cache)
        await client.request("tools/call", GET_BIG)
        samples.append((time.perf_counter() - started) * 1000)
        cpu.append(cpu_ms(client.proc.pid))
        await client.close()
    return statistics.median(samples), statistics.median(cpu)


async def measure_start(label: str, root: Path, argo_url: str) -> Figures:
    """The start-up figures alone (`--only start`): cold start with and without the discovery cache, and spawn
    to the first tool answer over stdio (after tools/list, and right after initialize)."""
    figures = Figures(label)
    values = figures.values
    wall, cpu, first = await cold_start(root, argo_url)
    values["cold_start_ms"], values["cold_start_cpu_ms"] = round(wall, 1), round(cpu)
    values["first_call_ms"] = round(first, 1)
    wall, cpu = await first_tool_answer(root, argo_url)
    values["first_tool_answer_ms"], values["first_tool_answer_cpu_ms"] = round(wall, 1), round(cpu)
    with tempfile.TemporaryDirectory(prefix="argo-mcp-discovery-") as cache:
        await cold_start(root, argo_url, cache, runs=1)  # records the answers
        wall, cpu, first = await cold_start(root, argo_url, cache)
        answer_wall, answer_cpu = await first_tool_answer(root, argo_url, cache)
    values["first_tool_answer_cached_ms"] = round(answer_wall, 1)
    values["first_tool_answer_cached_cpu_ms"] = round(answer_cpu)
    values["cold_start_cached_ms"], values["cold_start_cached_cpu_ms"] = round(wall, 1), round(cpu)
    values["first_call_cached_ms"] = round(first, 1)
    return figures


async def start_http_server(
    root: Path, argo_url: str, log: Path, *flags: str
) -> tuple[asyncio.subprocess.Process, str]:
    """argo-mcp from `root` over streamable HTTP on a free port, ready; and its MCP URL."""
    port = free_port()
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "argo_mcp",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--argo-server-url",
        argo_url,
        "--argo-auth-mode",
        "none",
        *flags,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=log.open("wb"),
        env=clean_env({"PYTHONPATH": str(root)}),
        cwd=root,
    )
    await wait_port(port)
    return server, f"http://127.0.0.1:{port}/mcp"


async def measure_lists(label: str, root: Path, argo_url: str) -> Figures:
    """List item tokens, and the memory a refused `full: true` list of 500 workflows costs, on a fresh server
    (VmHWM is a high-water mark: nothing bigger may run before it)."""
    figures = Figures(label)
    values = figures.values
    tmp = Path(tempfile.mkdtemp(prefix="argo-mcp-bench-"))
    server, url = await start_http_server(root, argo_url, tmp / "server.log")
    try:
        async with aiohttp.ClientSession() as session:
            mcp = HttpMcp(session, url)
            whole = {"name": "list_workflows", "arguments": {"limit": LIST_SIZE}}
            await mcp.request("tools/call", whole)  # warm: imports and the first Argo connection
            values["list_item_tokens"] = round(
                result_tokens(await mcp.request("tools/call", whole)) / LIST_SIZE, 1
            )
            await asyncio.sleep(0.5)
            values["full_list_rss_before_mib"] = rss_mib(server.pid)
            full = {"name": "list_workflows", "arguments": {"limit": LIST_SIZE, "full": True}}
            try:
                await mcp.request("tools/call", full)
                values["full_list_refused"] = False
            except RuntimeError as exc:
                values["full_list_refused"] = "--max-answer-mib" in str(exc)
            values["full_list_rss_peak_mib"] = rss_mib(server.pid, "VmHWM")
            await asyncio.sleep(1.0)
            values["full_list_rss_after_mib"] = rss_mib(server.pid)
    finally:
        server.terminate()
        await server.wait()
    return figures


OPEN_TASKS = 1000


async def measure_tasks(label: str, root: Path, argo_url: str, args: argparse.Namespace) -> Figures:
    """What a task poll costs next to a get_workflow (2026-07-28 both: latency, server CPU, Argo GETs), and the
    memory of many open tasks (a task is a sealed id, so the server should hold nothing per task)."""
    figures = Figures(label)
    values = figures.values
    tmp = Path(tempfile.mkdtemp(prefix="argo-mcp-bench-"))
    key = tmp / "task.key"
    key.write_text(os.urandom(32).hex())
    server, url = await start_http_server(root, argo_url, tmp / "server.log", "--task-key-file", str(key))
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as session:
            mcp = HttpMcp(session, url, modern=True, tasks=True)
            get = {"name": "get_workflow", "arguments": {"name": RUNNING_NAME, "namespace": NAMESPACE}}
            wait = {"name": "wait_for_workflow", "arguments": {"name": RUNNING_NAME, "namespace": NAMESPACE}}
            task_id = (await mcp.request("tools/call", wait))["taskId"]

            async def call_get() -> None:
                await mcp.request("tools/call", get)

            async def poll() -> None:
                await mcp.request("tasks/get", {"taskId": task_id})

            for name, call in (("task_get_workflow", call_get), ("task_poll", poll)):
                before = cpu_ms(server.pid)
                samples = await latencies(call, args.calls, args.warmup)
                values[f"{name}_p50_ms"] = round(statistics.median(samples), 2)
                values[f"{name}_cpu_ms"] = round(
                    (cpu_ms(server.pid) - before) / (args.calls + args.warmup), 2
                )
            await argo_bytes(session, argo_url, reset=True)
            for _ in range(20):
                await poll()
            async with session.get(f"{argo_url}/bench/stats") as response:
                values["task_poll_argo_gets"] = (await response.json())["workflow_gets"] / 20
            await asyncio.sleep(0.5)
            values["tasks_rss_before_mib"] = rss_mib(server.pid)
            ids = [(await mcp.request("tools/call", wait))["taskId"] for _ in range(OPEN_TASKS)]
            for one in ids:
                await mcp.request("tasks/get", {"taskId": one})
            values["tasks_rss_after_mib"] = rss_mib(server.pid)
    finally:
        server.terminate()
        await server.wait()
    return figures


async def targets_tools_list_tokens(root: Path, argo_url: str, tmp: Path, count: int) -> int:
    """tools/list tokens of a server serving `count` targets (issue 28: every tool gains `target`, plus
    list_targets), all pointing at the same stand-in."""
    entries = "".join(
        f"  - {{name: t{i}, argoServer: {{url: '{argo_url}'}}, auth: {{mode: none}}}}\n" for i in range(count)
    )
    path = tmp / f"targets-{count}.yaml"
    path.write_text(f"defaultTarget: t0\ntargets:\n{entries}")
    server, url = await start_http_server(
        root, argo_url, tmp / f"targets-{count}.log", "--targets-file", str(path)
    )
    try:
        async with aiohttp.ClientSession() as session:
            tools = (await HttpMcp(session, url).request("tools/list", {}))["tools"]
        return count_tokens(json.dumps(tools, separators=(",", ":")))
    finally:
        server.terminate()
        await server.wait()


async def measure_server(
    label: str, root: Path, argo_url: str, floor_p50: float, args: argparse.Namespace
) -> Figures:
    figures = await measure_start(label, root, argo_url)
    values = figures.values

    tmp = Path(tempfile.mkdtemp(prefix="argo-mcp-bench-"))
    server, url = await start_http_server(root, argo_url, tmp / "server.log")
    try:
        await asyncio.sleep(1.0)
        values["idle_rss_mib"] = rss_mib(server.pid)
        connector = aiohttp.TCPConnector(limit=100)
        async with aiohttp.ClientSession(connector=connector) as session:
            mcp = HttpMcp(session, url)
            tools = (await mcp.request("tools/list", {}))["tools"]
            values["tools"] = len(tools)
            values["tools_list_tokens"] = count_tokens(json.dumps(tools, separators=(",", ":")))
            for count in (2, 10):
                many = await targets_tools_list_tokens(root, argo_url, tmp, count)
                values[f"targets_{count}_growth_tokens"] = many - values["tools_list_tokens"]
            values["get_workflow_tokens"] = result_tokens(await mcp.request("tools/call", GET_BIG))
            submit = {
                "name": "submit_workflow",
                "arguments": {"resourceKind": "WorkflowTemplate", "resourceName": "etl"},
            }
            values["submit_tokens"] = result_tokens(await mcp.request("tools/call", submit))
            await argo_bytes(session, argo_url, reset=True)
            listed = await mcp.request("tools/call", {"name": "list_workflows", "arguments": {}})
            values["list_500_tokens"] = result_tokens(listed)
            values["list_500_argo_mb"] = round(await argo_bytes(session, argo_url) / 1e6, 2)
            whole = {"name": "list_workflows", "arguments": {"limit": LIST_SIZE}}
            values["list_all_500_tokens"] = result_tokens(await mcp.request("tools/call", whole))
            values["list_item_tokens"] = round(values["list_all_500_tokens"] / LIST_SIZE, 1)
            values["peak_rss_mib"] = rss_mib(server.pid, "VmHWM")

            async def call_http() -> None:
                await mcp.request("tools/call", GET_BIG)

            await record_latency(values, "http", call_http, server.pid, floor_p50, args)
            for clients in (1, 10, 50):
                rate, errors = await throughput(call_http, clients, args.seconds)
                values[f"http_calls_s_{clients}"] = round(rate)
                values[f"http_errors_{clients}"] = errors

            modern = HttpMcp(session, mcp.url, modern=True)

            async def call_modern() -> None:
                await modern.request("tools/call", GET_BIG)

            await record_latency(values, "modern", call_modern, server.pid, floor_p50, args)
            values["modern_calls_s_10"] = round((await throughput(call_modern, 10, args.seconds))[0])
            values["rss_after_calls_mib"] = rss_mib(server.pid)
    finally:
        server.terminate()
        await server.wait()

    stdio = await StdioMcp.spawn(root, argo_url)
    try:

        async def call_stdio() -> None:
            await stdio.request("tools/call", GET_BIG)

        await record_latency(values, "stdio", call_stdio, stdio.proc.pid, floor_p50, args)
    finally:
        await stdio.close()
    return figures


async def run(args: argparse.Namespace) -> list[Figures]:
    port = free_port()
    standin = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.standin", str(port), env=clean_env(), cwd=REPO
    )
    argo_url = f"http://127.0.0.1:{port}"
    servers = [("argo-mcp", REPO), *((f"compare: {root.name}", root) for root in args.compare)]
    try:
        await wait_port(port)
        if args.only == "lists":
            return [await measure_lists(label, root, argo_url) for label, root in servers]
        if args.only == "tasks":
            return [await measure_tasks(label, root, argo_url, args) for label, root in servers]
        if args.only == "start":
            return [await measure_start(label, root, argo_url) for label, root in servers]
        floor = Figures("floor (direct GET)")
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as session:

            async def direct() -> None:
                async with session.get(f"{argo_url}/api/v1/workflows/{NAMESPACE}/{BIG_NAME}") as response:
                    await response.read()

            samples = await latencies(direct, args.calls, args.warmup)
            floor.values["http_p50_ms"] = round(statistics.median(samples), 2)
            floor.values["http_p99_ms"] = round(percentile(samples, 99), 2)
            for clients in (1, 10, 50):
                rate, errors = await throughput(direct, clients, args.seconds)
                floor.values[f"http_calls_s_{clients}"] = round(rate)
                floor.values[f"http_errors_{clients}"] = errors
            await argo_bytes(session, argo_url, reset=True)
            async with session.get(f"{argo_url}/api/v1/workflows/{NAMESPACE}") as response:
                await response.read()
            floor.values["list_500_argo_mb"] = round(await argo_bytes(session, argo_url) / 1e6, 2)
        results = [floor]
        for label, root in servers:
            figures = await measure_server(label, root, argo_url, floor.values["http_p50_ms"], args)
            figures.values |= (await measure_lists(label, root, argo_url)).values
            with contextlib.suppress(RuntimeError, KeyError):  # a checkout without tasks has no such figures
                figures.values |= (await measure_tasks(label, root, argo_url, args)).values
            results.append(figures)
        return results
    finally:
        standin.terminate()
        await standin.wait()


ROWS = [
    ("get_workflow p50 ms (HTTP)", "http_p50_ms"),
    ("get_workflow added p50 ms (HTTP)", "http_added_p50_ms"),
    ("get_workflow p99 ms (HTTP)", "http_p99_ms"),
    ("server CPU ms per get_workflow (HTTP)", "http_cpu_ms_per_call"),
    ("get_workflow p50 ms (HTTP, 2026-07-28)", "modern_p50_ms"),
    ("get_workflow added p50 ms (HTTP, 2026-07-28)", "modern_added_p50_ms"),
    ("get_workflow p99 ms (HTTP, 2026-07-28)", "modern_p99_ms"),
    ("server CPU ms per get_workflow (HTTP, 2026-07-28)", "modern_cpu_ms_per_call"),
    ("calls/s, 10 clients (HTTP, 2026-07-28)", "modern_calls_s_10"),
    ("get_workflow p50 ms (stdio)", "stdio_p50_ms"),
    ("get_workflow added p50 ms (stdio)", "stdio_added_p50_ms"),
    ("get_workflow p99 ms (stdio)", "stdio_p99_ms"),
    ("server CPU ms per get_workflow (stdio)", "stdio_cpu_ms_per_call"),
    ("calls/s, 1 client", "http_calls_s_1"),
    ("calls/s, 10 clients", "http_calls_s_10"),
    ("calls/s, 50 clients", "http_calls_s_50"),
    ("errors at 50 clients", "http_errors_50"),
    ("cold start ms (spawn -> tools/list)", "cold_start_ms"),
    ("cold start CPU ms", "cold_start_cpu_ms"),
    ("spawn -> first call answered ms", "first_call_ms"),
    ("cold start ms, discovery cached", "cold_start_cached_ms"),
    ("cold start CPU ms, discovery cached", "cold_start_cached_cpu_ms"),
    ("spawn -> first call answered ms, cached", "first_call_cached_ms"),
    ("spawn -> first tool answer over stdio ms (call right after initialize)", "first_tool_answer_ms"),
    ("server CPU ms by then", "first_tool_answer_cpu_ms"),
    ("spawn -> first tool answer over stdio ms, discovery cached", "first_tool_answer_cached_ms"),
    ("server CPU ms by then, discovery cached", "first_tool_answer_cached_cpu_ms"),
    ("idle RSS MiB", "idle_rss_mib"),
    ("RSS after the calls MiB", "rss_after_calls_mib"),
    ("peak RSS MiB (VmHWM, listed 500)", "peak_rss_mib"),
    ("tokens: get_workflow (50 nodes)", "get_workflow_tokens"),
    ("tokens: default list_workflows (500 exist)", "list_500_tokens"),
    ("tokens: list_workflows limit=500", "list_all_500_tokens"),
    ("list item tokens (list_workflows, 500 items)", "list_item_tokens"),
    ("full list of 500 refused by the answer cap", "full_list_refused"),
    ("RSS before a full list of 500 MiB", "full_list_rss_before_mib"),
    ("peak RSS during it MiB (VmHWM)", "full_list_rss_peak_mib"),
    ("RSS 1 s after it MiB", "full_list_rss_after_mib"),
    ("get_workflow p50 ms (2026-07-28, a running workflow)", "task_get_workflow_p50_ms"),
    ("tasks/get p50 ms (the same workflow, as a task)", "task_poll_p50_ms"),
    ("server CPU ms per get_workflow (running workflow)", "task_get_workflow_cpu_ms"),
    ("server CPU ms per tasks/get", "task_poll_cpu_ms"),
    ("Argo GETs per tasks/get", "task_poll_argo_gets"),
    (f"RSS before {OPEN_TASKS} open tasks MiB", "tasks_rss_before_mib"),
    (f"RSS after {OPEN_TASKS} tasks made and polled MiB", "tasks_rss_after_mib"),
    ("tokens: submit answer", "submit_tokens"),
    ("tokens: tools/list", "tools_list_tokens"),
    ("tokens: tools/list growth with 2 targets", "targets_2_growth_tokens"),
    ("tokens: tools/list growth with 10 targets", "targets_10_growth_tokens"),
    ("tools", "tools"),
    ("MB read from Argo: default list (500 exist)", "list_500_argo_mb"),
]


def table(results: list[Figures]) -> str:
    floor = results[0].values
    lines = ["| figure | " + " | ".join(r.label for r in results) + " |", "|---" * (len(results) + 1) + "|"]
    for title, key in ROWS:
        if any(key in r.values for r in results):
            cells = [str(r.values.get(key, "")) for r in results]
            lines.append(f"| {title} | " + " | ".join(cells) + " |")
    for r in results[1:] if "http_calls_s_10" in floor else []:
        ratio = r.values["http_calls_s_10"] / max(floor["http_calls_s_10"], 1)
        lines.append(f"| {r.label}: calls/s at 10 clients vs floor | | {ratio:.0%} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=300, help="sequential calls per latency figure")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of each throughput figure")
    parser.add_argument(
        "--compare",
        action="append",
        default=[],
        type=lambda p: Path(p).resolve(),
        help="another checkout to measure too",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    parser.add_argument(
        "--only",
        choices=["all", "lists", "tasks", "start"],
        default="all",
        help="lists: only the list figures (item tokens, memory of a refused full list), in seconds; tasks: only "
        "the task figures (tasks/get next to get_workflow, memory of open tasks); start: only the start-up figures "
        "(cold start, spawn to the first tool answer over stdio)",
    )
    args = parser.parse_args()
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    results = asyncio.run(run(args))
    print(
        f"argo-mcp benchmark ({LIST_SIZE} workflows in the stand-in; {args.calls} calls per latency figure)"
    )
    print(table(results))
    if args.json:
        with contextlib.suppress(BrokenPipeError):
            print(json.dumps({r.label: r.values for r in results}, indent=2))


if __name__ == "__main__":
    main()
