"""`python -m bench.soak` (`./dev soak`): many concurrent MCP sessions against one argo-mcp, on loopback.

Two phases against the chaos stand-in (tests/support/chaos_argo.py), each SESSIONS concurrent sessions (one HTTP
connection pool each, `initialize` first) x CALLS tool calls (get_workflow, list_workflows, get_pod_logs,
get_argo_version in turn):
  steady   Argo answers everything: every call must succeed (0 errors)
  flaky    FAIL_RATE of Argo's answers fail (500, reset mid-body, not JSON): every call still gets a JSON-RPC
           result, and each failure is a clean tool error (no "failed unexpectedly", no traceback)
RSS of the argo-mcp process is read after a warm-up and at the end of each phase: growth must stay under 10 %.
Planted secrets (argo-mcp's Argo token, each caller's token) are grepped in every answer and every log line.
Figures are printed as a table (and JSON with --json); the exit code is 1 when a goal is missed. Every loop is
bounded (calls, and a deadline per phase); argo-mcp is stopped by its pid.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bench.__main__ import percentile, rss_mib
from tests.support.chaos_argo import ChaosArgo, Mode
from tests.support.processes import start_argo_mcp
from tests.support.raw_mcp import HEADERS, call_tool

ARGO_TOKEN = "soak-planted-argo-token-d41c8e2f"
CALLER_TOKEN = "soak-planted-caller-token-%d-7f3a"
MIX: list[tuple[str, dict[str, Any]]] = [
    ("get_workflow", {"name": "wf-1"}),
    ("list_workflows", {"limit": 5}),
    ("get_pod_logs", {"name": "wf-1", "podName": "wf-1", "timeLimitSeconds": 5}),
    ("get_argo_version", {}),
]
WARMUP_CALLS = 40  # per session: the allocator and caches settle in the first few thousand calls
RSS_GROWTH_GOAL = 10.0  # percent
PHASE_DEADLINE = 600.0  # seconds: a phase that has not finished by then is stopped and reported


@dataclass
class Phase:
    name: str
    sessions: int
    calls: int
    ok: int = 0
    tool_errors: int = 0  # clean tool errors (expected only in the flaky phase)
    errors: int = 0  # anything else: HTTP errors, JSON-RPC errors, unclean tool errors, steady-phase failures
    argo_failures_sent: int = 0
    seconds: float = 0.0
    calls_per_second: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    rss_start_mib: float = 0.0
    rss_end_mib: float = 0.0
    rss_growth_pct: float = 0.0
    secrets_in_answers: int = 0
    examples: list[str] = field(default_factory=list)

    def goals_met(self) -> bool:
        return (
            self.errors == 0
            and self.ok + self.tool_errors == self.sessions * self.calls
            and self.rss_growth_pct < RSS_GROWTH_GOAL
            and self.secrets_in_answers == 0
        )


def _unclean(text: str) -> bool:
    return "failed unexpectedly" in text or "Traceback" in text or not text.strip()


async def _session(
    url: str, index: int, calls: int, phase: Phase, latencies: list[float], flaky: bool
) -> None:
    caller = {"Authorization": f"Bearer {CALLER_TOKEN % index}"}
    connector = aiohttp.TCPConnector(limit=1)
    async with aiohttp.ClientSession(connector=connector) as session:
        init = {
            "jsonrpc": "2.0",
            "id": 0,
            "method": "initialize",
            "params": {
                "protocolVersion": HEADERS["MCP-Protocol-Version"],
                "capabilities": {},
                "clientInfo": {"name": f"soak-{index}", "version": "1"},
            },
        }
        async with session.post(url, json=init, headers={**HEADERS, **caller}) as response:
            await response.read()
            if response.status != 200:
                phase.errors += 1
        for call in range(calls):
            name, arguments = MIX[(index + call) % len(MIX)]
            started = time.perf_counter()
            try:
                answer = await call_tool(session, url, name, arguments, headers=caller, request_id=call + 1)
            except (aiohttp.ClientError, TimeoutError) as exc:
                phase.errors += 1
                phase.examples.append(f"{name}: {type(exc).__name__}")
                continue
            latencies.append(time.perf_counter() - started)
            if ARGO_TOKEN in answer.body or "soak-planted-caller-token" in answer.body:
                phase.secrets_in_answers += 1
            if answer.message is None or "result" not in answer.message:
                phase.errors += 1
                phase.examples.append(f"{name}: HTTP {answer.status} {answer.body[:200]}")
            elif not answer.tool_error:
                phase.ok += 1
            elif flaky and not _unclean(answer.text):
                phase.tool_errors += 1
            else:
                phase.errors += 1
                phase.examples.append(f"{name}: {answer.text[:200]}")


async def _run_phase(
    name: str, chaos: ChaosArgo, url: str, pid: int, sessions: int, calls: int, flaky: bool
) -> Phase:
    phase = Phase(name, sessions, calls)
    chaos.mode = Mode.FLAKY if flaky else Mode.OK
    warm = Phase("warmup", sessions, WARMUP_CALLS)
    await asyncio.gather(*[_session(url, i, WARMUP_CALLS, warm, [], flaky) for i in range(sessions)])
    phase.rss_start_mib = rss_mib(pid)
    sent_before = chaos.failures_sent
    latencies: list[float] = []
    started = time.monotonic()
    runs = asyncio.gather(*[_session(url, i, calls, phase, latencies, flaky) for i in range(sessions)])
    try:
        await asyncio.wait_for(runs, PHASE_DEADLINE)
    except TimeoutError:
        phase.examples.append(f"phase stopped at its {PHASE_DEADLINE:.0f} s deadline")
        phase.errors += 1
    elapsed = time.monotonic() - started
    phase.seconds = round(elapsed, 1)
    phase.rss_end_mib = rss_mib(pid)
    phase.rss_growth_pct = round(100 * (phase.rss_end_mib - phase.rss_start_mib) / phase.rss_start_mib, 1)
    phase.argo_failures_sent = chaos.failures_sent - sent_before
    phase.calls_per_second = round(len(latencies) / elapsed, 1)
    if latencies:
        phase.p50_ms = round(percentile(latencies, 50) * 1000, 1)
        phase.p99_ms = round(percentile(latencies, 99) * 1000, 1)
    phase.examples = phase.examples[:5]
    return phase


@dataclass
class Soak:
    phases: list[Phase]
    log_lines: int
    secrets_in_logs: int
    internal_errors_in_logs: int

    def goals_met(self) -> bool:
        return (
            all(phase.goals_met() for phase in self.phases)
            and self.secrets_in_logs == 0
            and self.internal_errors_in_logs == 0
        )


async def run(sessions: int = 50, calls: int = 200, fail_rate: float = 0.1) -> Soak:
    chaos = ChaosArgo(mode=Mode.OK, fail_rate=fail_rate)
    await chaos.start()
    with tempfile.TemporaryDirectory(prefix="argo-mcp-soak-") as tmp:
        server = await start_argo_mcp(
            Path(tmp),
            "--argo-server-url",
            chaos.url,
            "--argo-auth-mode",
            "bearer",
            "--argo-timeout",
            "5",
            env={"ARGO_TOKEN": ARGO_TOKEN},
        )
        try:
            pid = server.proc.pid
            phases = [
                await _run_phase("steady", chaos, server.url, pid, sessions, calls, flaky=False),
                await _run_phase(
                    f"flaky {fail_rate:.0%}", chaos, server.url, pid, sessions, calls, flaky=True
                ),
            ]
        finally:
            await server.stop()
            await chaos.stop()
        log = server.stderr().splitlines()
    return Soak(
        phases=phases,
        log_lines=len(log),
        secrets_in_logs=sum(ARGO_TOKEN in line or "soak-planted-caller-token" in line for line in log),
        internal_errors_in_logs=sum("tool_failed_unexpectedly" in line for line in log),
    )


def table(soak: Soak) -> str:
    rows = [
        "| phase | sessions x calls | ok | clean tool errors | errors | Argo answers failed | calls/s | p50 ms "
        "| p99 ms | RSS start -> end MiB | RSS growth |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for p in soak.phases:
        rows.append(
            f"| {p.name} | {p.sessions} x {p.calls} | {p.ok} | {p.tool_errors} | {p.errors} | "
            f"{p.argo_failures_sent} | {p.calls_per_second} | {p.p50_ms} | {p.p99_ms} | "
            f"{p.rss_start_mib} -> {p.rss_end_mib} | {p.rss_growth_pct} % |"
        )
    rows.append(
        f"\n{soak.log_lines} log lines: {soak.secrets_in_logs} with a planted secret, "
        f"{soak.internal_errors_in_logs} internal errors; answers with a planted secret: "
        f"{sum(p.secrets_in_answers for p in soak.phases)}"
    )
    for p in soak.phases:
        for example in p.examples:
            rows.append(f"  {p.name} error: {example}")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--fail-rate", type=float, default=0.1)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args()
    soak = asyncio.run(run(args.sessions, args.calls, args.fail_rate))
    print(table(soak))
    if args.json:
        print(json.dumps(asdict(soak), indent=2))
    print("goals met" if soak.goals_met() else "GOALS MISSED")
    sys.exit(0 if soak.goals_met() else 1)


if __name__ == "__main__":
    main()
