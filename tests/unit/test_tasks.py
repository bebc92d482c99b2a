"""Tasks with Argo as the store (issue 25, point 4), driven by raw JSON-RPC clients of both eras against the Argo
stand-in: a wait answers with a task, any replica sharing --task-key-file answers its polls (a restart changes
nothing), each poll is one Argo GET, a finished workflow completes the task with the blocking call's answer, and
an id that is forged, expired, another caller's or sealed with another key is an unknown task."""

from __future__ import annotations

import hashlib
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from argo_mcp.calls.tasks import TTL_MS, TaskRef, open_task, seal_task
from argo_mcp.sealing import Sealer
from tests.support.fake_argo import FakeArgo, Workflow, ndjson_log
from tests.support.processes import ServerProcess, start_argo_mcp
from tests.support.raw_mcp import rpc_answer

GET = "WorkflowService_GetWorkflow"
WAIT = {"name": "etl-7x2k", "namespace": "team-a", "pollSeconds": 2}
MODERN_META = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": {"extensions": {"io.modelcontextprotocol/tasks": {}}},
}


def _key(tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.key"
    path.write_text(hashlib.sha256(name.encode()).hexdigest())
    return path


async def _server(argo_url: str, tmp_path: Path, key: Path) -> ServerProcess:
    return await start_argo_mcp(
        tmp_path, "--argo-server-url", argo_url, "--argo-auth-mode", "none", "--task-key-file", str(key)
    )


@pytest.fixture
async def replicas(
    argo_url: str, tmp_path: Path
) -> AsyncIterator[tuple[ServerProcess, ServerProcess, ServerProcess]]:
    shared = _key(tmp_path, "shared")
    a, b, other = (
        await _server(argo_url, tmp_path, shared),
        await _server(argo_url, tmp_path, shared),
        await _server(argo_url, tmp_path, _key(tmp_path, "other")),
    )
    try:
        yield a, b, other
    finally:
        for server in (a, b, other):
            await server.stop()


async def _modern(url: str, method: str, params: dict[str, Any], name: str) -> dict[str, Any]:
    headers = {
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": "2026-07-28",
        "Mcp-Method": method,
        "Mcp-Name": name,
    }
    body = {"jsonrpc": "2.0", "id": 9, "method": method, "params": {**params, "_meta": MODERN_META}}
    async with httpx2.AsyncClient(timeout=30) as http:
        answer = await http.post(url, json=body, headers=headers)
    assert answer.status_code in (200, 400), answer.text
    return rpc_answer(answer.text)


async def _legacy(url: str, method: str, params: dict[str, Any]) -> dict[str, Any]:
    headers = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25"}
    body = {"jsonrpc": "2.0", "id": 4, "method": method, "params": params}
    async with httpx2.AsyncClient(timeout=30) as http:
        answer = await http.post(url, json=body, headers=headers)
    return rpc_answer(answer.text)


def _running() -> dict[str, Any]:
    workflow = Workflow("etl-7x2k", namespace="team-a", phase="Running").json()
    workflow["status"]["progress"] = "1/3"
    return workflow


async def test_a_wait_is_a_task_any_replica_polls_to_completion(
    argo: FakeArgo, replicas: tuple[ServerProcess, ServerProcess, ServerProcess]
) -> None:
    a, b, other = replicas
    argo.on(GET, _running())
    created = await _modern(
        a.url, "tools/call", {"name": "wait_for_workflow", "arguments": WAIT}, "wait_for_workflow"
    )
    task = created["result"]
    assert task["resultType"] == "task" and task["status"] == "working", task
    assert task["ttlMs"] == TTL_MS and task["pollIntervalMs"] == 2000
    assert task["statusMessage"] == "Running, 1/3 nodes done"
    task_id = task["taskId"]
    assert "etl-7x2k" not in task_id and "team-a" not in task_id, "the id is opaque"

    before = len(argo.calls(GET))
    polled = (await _modern(b.url, "tasks/get", {"taskId": task_id}, task_id))["result"]
    assert polled["status"] == "working" and polled["resultType"] == "complete", polled
    assert len(argo.calls(GET)) == before + 1, "a poll costs one Argo GET"
    assert "fields=" in str(argo.last(GET).query_dict) or argo.last(GET).query_dict.get("fields")

    finished = Workflow("etl-7x2k", namespace="team-a", phase="Succeeded").json()
    finished["metadata"]["uid"] = _running()["metadata"]["uid"]
    argo.on(GET, finished)
    done = (await _modern(b.url, "tasks/get", {"taskId": task_id}, task_id))["result"]
    assert done["status"] == "completed", done
    text = done["result"]["content"][0]["text"]
    assert '"finished":true' in text and '"phase":"Succeeded"' in text, text

    unknown = await _modern(other.url, "tasks/get", {"taskId": task_id}, task_id)
    forged = await _modern(a.url, "tasks/get", {"taskId": task_id[:-4] + "AAAA"}, "x")
    assert unknown["error"]["code"] == forged["error"]["code"] == -32602
    assert unknown["error"]["message"] == forged["error"]["message"]


async def test_a_finished_workflow_is_answered_at_once_and_clients_without_tasks_wait(
    argo: FakeArgo, replicas: tuple[ServerProcess, ServerProcess, ServerProcess]
) -> None:
    a, _, _ = replicas
    argo.on(GET, Workflow("etl-7x2k", namespace="team-a", phase="Succeeded").json())
    answer = await _modern(
        a.url, "tools/call", {"name": "wait_for_workflow", "arguments": WAIT}, "wait_for_workflow"
    )
    assert "taskId" not in answer["result"] and answer["result"]["content"], answer
    plain = await _legacy(a.url, "tools/call", {"name": "wait_for_workflow", "arguments": WAIT})
    assert "task" not in plain["result"] and plain["result"]["content"], plain


async def test_the_2025_11_25_experimental_tasks(
    argo: FakeArgo, replicas: tuple[ServerProcess, ServerProcess, ServerProcess]
) -> None:
    a, b, _ = replicas
    init = await _legacy(
        a.url,
        "initialize",
        {
            "protocolVersion": "2025-11-25",
            "capabilities": {"tasks": {}},
            "clientInfo": {"name": "t", "version": "1"},
        },
    )
    assert init["result"]["capabilities"]["tasks"]["requests"] == {"tools": {"call": {}}}
    argo.on(GET, _running())
    created = await _legacy(
        a.url, "tools/call", {"name": "wait_for_workflow", "arguments": WAIT, "task": {"ttl": 60000}}
    )
    task = created["result"]["task"]
    assert task["status"] == "working" and task["pollInterval"] == 2000 and task["ttl"] == TTL_MS, task
    polled = (await _legacy(b.url, "tasks/get", {"taskId": task["taskId"]}))["result"]
    assert polled["status"] == "working" and polled["taskId"] == task["taskId"]
    argo.on(GET, Workflow("etl-7x2k", namespace="team-a", phase="Failed").json())
    result = (await _legacy(b.url, "tasks/result", {"taskId": task["taskId"]}))["result"]
    assert '"phase":"Failed"' in result["content"][0]["text"]
    assert '"diagnosis":{"verdict":' in result["content"][0]["text"], "a failed run's answer says why"
    assert result["_meta"]["io.modelcontextprotocol/related-task"] == {"taskId": task["taskId"]}
    cancelled = (await _legacy(a.url, "tasks/cancel", {"taskId": task["taskId"]}))["result"]
    assert cancelled["status"] == "cancelled"
    again = (await _legacy(a.url, "tasks/get", {"taskId": task["taskId"]}))["result"]
    assert again["status"] == "cancelled", "a cancelled wait stays cancelled on the replica that ended it"
    assert not argo.calls("WorkflowService_TerminateWorkflow") and not argo.calls(
        "WorkflowService_StopWorkflow"
    )


def test_an_id_opens_only_for_its_caller_before_it_expires() -> None:
    sealer = Sealer(b"s" * 32, shared=True)
    ref = TaskRef("wait_for_workflow", "team-a", "etl", "uid-1", "alice", created=round(time.time(), 3))
    task_id = seal_task(sealer, ref)
    assert open_task(sealer, task_id, "alice") == ref
    assert open_task(sealer, task_id, "mallory") is None, "another caller's task is unknown"
    assert open_task(Sealer(b"t" * 32, shared=True), task_id, "alice") is None
    stale = seal_task(
        sealer,
        TaskRef("wait_for_workflow", "team-a", "etl", "u", "alice", created=time.time() - 2 * TTL_MS / 1000),
    )
    assert open_task(sealer, stale, "alice") is None, "an expired id is unknown"
    for garbage in ("", "x", "A" * 3000, task_id + "A"):
        assert open_task(sealer, garbage, "alice") is None
    assert seal_task(sealer, ref) != task_id, "each id has its own nonce"


SUBMIT = {"resourceKind": "WorkflowTemplate", "resourceName": "etl", "namespace": "team-a", "wait": True}


async def test_a_submit_that_waits_is_a_task_and_its_cancel_stops_then_terminates_the_run(
    argo: FakeArgo, replicas: tuple[ServerProcess, ServerProcess, ServerProcess]
) -> None:
    a, b, _ = replicas
    argo.on("WorkflowService_SubmitWorkflow", _running())
    argo.on(GET, _running())
    created = (
        await _modern(
            a.url, "tools/call", {"name": "submit_workflow", "arguments": SUBMIT}, "submit_workflow"
        )
    )["result"]
    assert created["resultType"] == "task" and created["status"] == "working", created
    assert len(argo.calls("WorkflowService_SubmitWorkflow")) == 1
    task_id = created["taskId"]
    polled = (await _modern(b.url, "tasks/get", {"taskId": task_id}, task_id))["result"]
    assert polled["status"] == "working"
    assert argo.last(GET).path == "/api/v1/workflows/team-a/etl-7x2k", "the task polls the workflow Argo made"

    argo.on("WorkflowService_StopWorkflow", _running())
    acknowledged = (await _modern(b.url, "tasks/cancel", {"taskId": task_id}, task_id))["result"]
    assert acknowledged["resultType"] == "complete" and "status" not in acknowledged, (
        "an empty acknowledgement"
    )
    assert len(argo.calls("WorkflowService_StopWorkflow")) == 1, (
        "the first cancel stops the run (exit handlers run)"
    )
    stopping = _running()
    stopping["spec"]["shutdown"] = "Stop"
    argo.on(GET, stopping)
    argo.on("WorkflowService_TerminateWorkflow", stopping)
    await _modern(a.url, "tasks/cancel", {"taskId": task_id}, task_id)
    assert len(argo.calls("WorkflowService_TerminateWorkflow")) == 1, (
        "a second cancel of a stopping run terminates it"
    )
    cancelled = (await _modern(a.url, "tasks/get", {"taskId": task_id}, task_id))["result"]
    assert cancelled["status"] == "cancelled"
    audits = [
        r
        for r in a.logs() + b.logs()
        if r.get("event") == "audit" and r.get("tool") in ("stop_workflow", "terminate_workflow")
    ]
    assert {(r["tool"], r["outcome"]) for r in audits} == {
        ("stop_workflow", "ok"),
        ("terminate_workflow", "ok"),
    }


async def test_without_tasks_a_submit_that_waits_answers_the_runs_end(
    argo: FakeArgo, replicas: tuple[ServerProcess, ServerProcess, ServerProcess]
) -> None:
    a, _, _ = replicas
    argo.on("WorkflowService_SubmitWorkflow", _running())
    argo.on(GET, Workflow("etl-7x2k", namespace="team-a", phase="Succeeded").json())
    answer = (await _legacy(a.url, "tools/call", {"name": "submit_workflow", "arguments": SUBMIT}))["result"]
    text = answer["content"][0]["text"]
    assert '"result":"submitted workflow team-a/etl-7x2k"' in text and '"waited":{"finished":true' in text, (
        text
    )
    plain = await _legacy(
        a.url, "tools/call", {"name": "submit_workflow", "arguments": {**SUBMIT, "wait": False}}
    )
    assert "waited" not in plain["result"]["content"][0]["text"]


async def test_under_confirm_destructive_a_task_cancel_stops_nothing_and_names_stop_workflow(
    argo: FakeArgo, argo_url: str, tmp_path: Path
) -> None:
    server = await start_argo_mcp(
        tmp_path, "--argo-server-url", argo_url, "--argo-auth-mode", "none", "--confirm-destructive",
        "--task-key-file", str(_key(tmp_path, "k")),
    )  # fmt: skip
    try:
        argo.on("WorkflowService_SubmitWorkflow", _running())
        argo.on(GET, _running())
        created = (
            await _modern(
                server.url, "tools/call", {"name": "submit_workflow", "arguments": SUBMIT}, "submit_workflow"
            )
        )["result"]
        refused = await _modern(server.url, "tasks/cancel", {"taskId": created["taskId"]}, created["taskId"])
    finally:
        await server.stop()
    assert (
        "stop_workflow" in refused["error"]["message"]
        and "--confirm-destructive" in refused["error"]["message"]
    )
    assert not argo.calls("WorkflowService_StopWorkflow") and not argo.calls(
        "WorkflowService_TerminateWorkflow"
    )


async def test_a_log_follow_is_a_task_answered_with_the_logs_once_the_run_ended(
    argo: FakeArgo, replicas: tuple[ServerProcess, ServerProcess, ServerProcess]
) -> None:
    a, b, _ = replicas
    argo.on(GET, _running())
    argo.on(
        "WorkflowService_WorkflowLogs", stream=ndjson_log([("etl-7x2k-1", "loading"), ("etl-7x2k-1", "done")])
    )
    follow = {"name": "etl-7x2k", "namespace": "team-a", "follow": True, "grep": "lo|do"}
    created = (
        await _modern(
            a.url, "tools/call", {"name": "get_workflow_logs", "arguments": follow}, "get_workflow_logs"
        )
    )["result"]
    assert created["resultType"] == "task" and created["status"] == "working", created
    assert "logOptions.follow" not in argo.last("WorkflowService_WorkflowLogs").query_dict, (
        "no stream is held open"
    )
    argo.on(GET, Workflow("etl-7x2k", namespace="team-a", phase="Succeeded").json())
    done = (await _modern(b.url, "tasks/get", {"taskId": created["taskId"]}, created["taskId"]))["result"]
    assert done["status"] == "completed", done
    assert (
        "loading" in done["result"]["content"][0]["text"] and "done" in done["result"]["content"][0]["text"]
    )
    assert argo.last("WorkflowService_WorkflowLogs").query_dict.get("grep") == "lo|do", "its own filters"


async def test_the_2025_11_25_result_of_a_submitted_run_is_its_end(
    argo: FakeArgo, replicas: tuple[ServerProcess, ServerProcess, ServerProcess]
) -> None:
    a, b, _ = replicas
    argo.on("WorkflowService_SubmitWorkflow", _running())
    argo.on(GET, _running())
    created = await _legacy(a.url, "tools/call", {"name": "submit_workflow", "arguments": SUBMIT, "task": {}})
    task_id = created["result"]["task"]["taskId"]
    argo.on(GET, Workflow("etl-7x2k", namespace="team-a", phase="Succeeded").json())
    result = (await _legacy(b.url, "tasks/result", {"taskId": task_id}))["result"]
    assert (
        '"finished":true' in result["content"][0]["text"]
        and '"phase":"Succeeded"' in result["content"][0]["text"]
    )
    assert len(argo.calls("WorkflowService_SubmitWorkflow")) == 1, "the run was started once"
