"""Operations (issue 11, defect 12): /readyz asks Argo once at a time with its own short timeout and caches the
verdict; a port in use is a one-line start-up error (exit 2); every mutating call leaves an audit line."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx2

from tests.support.fake_argo import FakeArgo, Workflow
from tests.support.processes import REPO, ServerProcess, clean_env, http_client, start_argo_mcp, text_of


async def test_readyz_is_one_short_check_shared_by_all_probes(
    argo: FakeArgo, argo_url: str, tmp_path: Path
) -> None:
    async def hangs() -> AsyncIterator[bytes]:
        await asyncio.sleep(8)  # far beyond the readiness timeout (2 s), below --argo-timeout (30 s)
        yield b"{}"

    argo.on("InfoService_GetVersion", stream=hangs)
    server = await start_argo_mcp(tmp_path, "--argo-server-url", argo_url, "--argo-auth-mode", "none")
    try:
        async with httpx2.AsyncClient(timeout=10) as http:
            started = time.perf_counter()
            probes = await asyncio.gather(*(http.get(f"{server.base}/readyz") for _ in range(20)))
            elapsed = time.perf_counter() - started
            cached = await http.get(f"{server.base}/readyz")
    finally:
        await server.stop()
    assert {p.status_code for p in probes} == {503} and cached.status_code == 503
    assert "did not answer /api/v1/version within 2s" in probes[0].json()["reason"]
    assert elapsed < 4, f"20 probes took {elapsed:.1f}s against a hanging Argo"
    assert len(argo.calls("InfoService_GetVersion")) == 1, (
        "probes must share one check and its cached verdict"
    )


def test_port_in_use_is_one_line_and_exit_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        argv = ["--host", "127.0.0.1", "--port", str(port), "--argo-server-url", "http://127.0.0.1:9"]
        done = subprocess.run(
            [sys.executable, "-m", "argo_mcp", *argv, "--argo-auth-mode", "none"],
            capture_output=True,
            text=True,
            env=clean_env(),
            cwd=REPO,
            timeout=60,
            check=False,
        )
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        f"argo-mcp: error: cannot listen on 127.0.0.1:{port}: Address already in use "
        "(another process listens there: stop it, or pass another --port)"
    ]


async def test_every_mutating_call_leaves_an_audit_line(argo: FakeArgo, shared_server: ServerProcess) -> None:
    argo.on("WorkflowService_DeleteWorkflow", {})
    argo.on("WorkflowService_SubmitWorkflow", Workflow("etl-x1").json())
    argo.error("WorkflowService_StopWorkflow", 404, 'workflows.argoproj.io "gone" not found', 5)
    argo.on("WorkflowService_GetWorkflow", Workflow("w").json())
    before = len(shared_server.logs())
    async with http_client(shared_server.url) as client:
        assert not (await client.call_tool("delete_workflow", {"name": "w", "namespace": "team-a"})).is_error
        submitted = await client.call_tool("submit_workflow", {"resourceName": "etl"})
        assert not submitted.is_error, text_of(submitted)
        assert (await client.call_tool("stop_workflow", {"name": "gone"})).is_error
        assert not (await client.call_tool("get_workflow", {"name": "w"})).is_error
    await asyncio.sleep(0.2)
    records = shared_server.logs()[before:]
    audits = [
        {k: r.get(k) for k in ("caller", "tool", "kind", "namespace", "name", "outcome")}
        for r in records
        if r.get("event") == "audit"
    ]
    assert audits == [
        {
            "caller": "anonymous",
            "tool": "delete_workflow",
            "kind": "Destructive",
            "namespace": "team-a",
            "name": "w",
            "outcome": "ok",
        },
        {
            "caller": "anonymous",
            "tool": "submit_workflow",
            "kind": "Mutating",
            "namespace": "argo",
            "name": "WorkflowTemplate/etl",
            "outcome": "ok",
        },
        {
            "caller": "anonymous",
            "tool": "stop_workflow",
            "kind": "Destructive",
            "namespace": "argo",
            "name": "gone",
            "outcome": "error",
        },
    ]
    failed = next(r for r in records if r.get("event") == "tool_call" and r.get("tool") == "stop_workflow")
    assert failed["level"] == "warning" and "not found" in failed["error"]
