"""Benchmark: the latency argo-mcp adds to one Argo request, and its idle memory.

Both paths are measured in the same run against the same Argo stand-in (a separate process serving
`GET /api/v1/version` from Argo's swagger.json routes):
  direct  - aiohttp GET /api/v1/version
  via MCP - an MCP client calling `get_argo_version` on argo-mcp over streamable HTTP
and reported as p50/p99 in milliseconds and as a ratio (via MCP / direct). Run: `python -m bench.latency`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import aiohttp
import psutil

from bench.__main__ import latencies, percentile, wait_port
from tests.support.processes import REPO, clean_env, free_port, http_client, start_argo_mcp

STANDIN = """
import asyncio, sys
from aiohttp import web
from tests.support.fake_argo import FakeArgo
fake = FakeArgo()
fake.on("InfoService_GetVersion", {
    "version": "v3.7.6", "buildDate": "2026-10-01T00:00:00Z", "gitCommit": "abc", "gitTag": "v3.7.6",
    "gitTreeState": "clean", "goVersion": "go1.24", "compiler": "gc", "platform": "linux/amd64"})
web.run_app(fake.app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""


async def run(count: int, warmup: int) -> dict[str, Any]:
    port = free_port()
    standin = await asyncio.create_subprocess_exec(
        sys.executable, "-c", STANDIN, str(port), env=clean_env(), cwd=REPO
    )
    argo_url = f"http://127.0.0.1:{port}"
    try:
        await wait_port(port, timeout=20)
        server = await start_argo_mcp(
            Path(tempfile.mkdtemp()), "--argo-server-url", argo_url, "--argo-auth-mode", "none"
        )
        try:
            await asyncio.sleep(1.0)
            idle_rss = psutil.Process(server.proc.pid).memory_info().rss
            async with aiohttp.ClientSession() as session:

                async def direct() -> None:
                    async with session.get(f"{argo_url}/api/v1/version") as response:
                        await response.json()

                direct_ms = await latencies(direct, count, warmup)
            async with http_client(server.url) as client:

                async def via_mcp() -> None:
                    result = await client.call_tool("get_argo_version", {})
                    assert not result.is_error

                mcp_ms = await latencies(via_mcp, count, warmup)
            busy_rss = psutil.Process(server.proc.pid).memory_info().rss
        finally:
            await server.stop()
    finally:
        standin.terminate()
        await standin.wait()
    report: dict[str, Any] = {"calls": count}
    for name, samples in (("direct", direct_ms), ("via_mcp", mcp_ms)):
        report[name] = {
            "p50_ms": round(statistics.median(samples), 2),
            "p99_ms": round(percentile(samples, 99), 2),
            "mean_ms": round(statistics.fmean(samples), 2),
        }
    report["added_p50_ms"] = round(report["via_mcp"]["p50_ms"] - report["direct"]["p50_ms"], 2)
    report["added_p99_ms"] = round(report["via_mcp"]["p99_ms"] - report["direct"]["p99_ms"], 2)
    report["ratio_p50"] = round(report["via_mcp"]["p50_ms"] / report["direct"]["p50_ms"], 2)
    report["idle_rss_mib"] = round(idle_rss / 2**20, 1)
    report["rss_after_calls_mib"] = round(busy_rss / 2**20, 1)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.calls, args.warmup)), indent=2))


if __name__ == "__main__":
    main()
