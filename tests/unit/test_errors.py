"""Argo failures become tool errors (isError) with actionable messages; bad input never reaches Argo."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiohttp import web

from tests.support.fake_argo import FakeArgo, Workflow
from tests.support.processes import (
    ServerProcess,
    closed_url,
    http_client,
    payload,
    serve_app,
    start_without_argo_auth,
    text_of,
    tool_error,
)


@pytest.mark.parametrize(
    ("status", "grpc", "argo_message", "expected"),
    [
        (
            404,
            5,
            'workflows.argoproj.io "nope" not found',
            ["Not found", '"nope" not found', "Check the name and the namespace"],
        ),
        (
            403,
            7,
            'workflows.argoproj.io "x" is forbidden: User "system:serviceaccount:argo:ro" cannot get resource',
            ["403 Forbidden", "cannot get resource", "Grant the missing verb"],
        ),
        (
            401,
            16,
            "token not valid",
            ["401 Unauthorized", "expired or has no RBAC permissions", "overwrite the token file"],
        ),
        (409, 6, "already exists", ["Conflict (409)", "already exists", "Pick another name"]),
        (
            500,
            13,
            "database is down",
            ["The Argo server failed", "HTTP 500", "database is down", "retry shortly"],
        ),
        (
            400,
            3,
            "spec.entrypoint is required",
            ["400 Bad Request", "spec.entrypoint is required", "Fix the arguments"],
        ),
    ],
)
async def test_argo_http_errors_are_mapped(
    argo: FakeArgo,
    shared_server: ServerProcess,
    status: int,
    grpc: int,
    argo_message: str,
    expected: list[str],
) -> None:
    argo.error("WorkflowService_GetWorkflow", status, argo_message, grpc)
    text = await tool_error(shared_server.url, "get_workflow", {"name": "nope"})
    for fragment in expected:
        assert fragment in text, text
    assert "get workflow argo/nope" in text


async def test_malformed_json_from_argo(argo: FakeArgo, shared_server: ServerProcess) -> None:
    argo.on("WorkflowService_GetWorkflow", b"<html>proxy login</html>", content_type="text/html")
    text = await tool_error(shared_server.url, "get_workflow", {"name": "x"})
    assert "expected JSON" in text
    assert "points at the Argo Server" in text


async def test_lint_reports_an_invalid_manifest_as_a_finding(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    argo.error("WorkflowService_LintWorkflow", 400, "spec.templates[0].name is required", 3)
    async with http_client(shared_server.url) as client:
        result = await client.call_tool(
            "lint_workflow", {"workflow": {"kind": "Workflow", "spec": {"templates": [{}]}}}
        )
    assert not result.is_error
    assert payload(result) == {"valid": False, "errors": "spec.templates[0].name is required"}


@pytest.mark.parametrize(
    ("tool", "args", "fragment"),
    [
        ("get_workflow", {}, "'name' is required"),
        ("get_workflow", {"name": "Bad_Name"}, "'name': 'Bad_Name' is not a valid Kubernetes name"),
        ("list_workflows", {"namespace": "Not OK"}, "'namespace': 'Not OK' is not a valid namespace"),
        ("list_workflows", {"labelSelector": "a=b,,=c"}, "is not a valid label selector requirement"),
        ("list_workflows", {"limit": 0}, "'limit': Input should be greater than or equal to 1"),
        ("get_archived_workflow", {"uid": "123"}, "'uid': '123' is not a UID"),
        (
            "set_workflow",
            {"name": "w", "nodeFieldSelector": "id=x"},
            "give at least one of phase, message or outputParameters",
        ),
        ("submit_workflow", {"resourceName": "t", "resourceKind": "Pod"}, "'resourceKind'"),
        (
            "get_workflow_output_artifact",
            {"nodeId": "n", "artifactName": "a", "destinationPath": "x"},
            "give exactly one of workflowName",
        ),
        ("lint_workflow", {"workflow": "a: [unclosed"}, "not valid YAML or JSON"),
        (
            "create_sensor",
            {"manifest": {"kind": "EventSource", "metadata": {"name": "x"}}},
            "this tool takes kind Sensor",
        ),
        (
            "update_event_source",
            {"name": "a", "manifest": {"metadata": {"name": "b"}}},
            "does not match name 'a'",
        ),
    ],
)
async def test_bad_input_is_rejected_before_any_request(
    argo: FakeArgo, shared_server: ServerProcess, tool: str, args: dict[str, object], fragment: str
) -> None:
    message = await tool_error(shared_server.url, tool, args)
    assert fragment in message, message
    assert argo.requests == []


async def test_connection_refused_names_the_url_and_the_fix(tmp_path: Path) -> None:
    dead = closed_url()
    server = await start_without_argo_auth(tmp_path, dead)
    try:
        text = await tool_error(server.url, "get_argo_version", {})
        assert "Cannot reach the Argo server" in text and dead in text and "--argo-server-url" in text
    finally:
        await server.stop()


async def test_timeout_is_reported(tmp_path: Path) -> None:
    app = web.Application()
    released = asyncio.Event()

    async def slow(_request: web.Request) -> web.Response:
        # Far beyond --argo-timeout; released when the test ends so that the stand-in's shutdown does not
        # wait for it.
        await asyncio.wait_for(released.wait(), 5)
        return web.json_response({})

    app.router.add_get("/api/v1/version", slow)
    async with serve_app(app) as url:
        server = await start_without_argo_auth(tmp_path, url, "--argo-timeout", "0.5")
        try:
            text = await tool_error(server.url, "get_argo_version", {})
            assert "did not answer in time" in text
            assert "--argo-timeout" in text
        finally:
            released.set()
            await server.stop()


async def test_calls_are_logged_with_request_id_tool_namespace_outcome(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    argo.error("WorkflowService_GetWorkflow", 404, "not found", 5)
    async with http_client(shared_server.url) as client:
        await client.call_tool("get_workflow", {"name": "logged-one", "namespace": "team-x"})
    records = [
        r for r in shared_server.logs() if r.get("event") == "tool_call" and r.get("namespace") == "team-x"
    ]
    assert records, shared_server.stderr()[-2000:]
    record = records[-1]
    assert record["tool"] == "get_workflow"
    assert record["outcome"] == "error"
    assert record["error_type"] == "ArgoNotFound"
    assert len(record["request_id"]) == 16
    assert isinstance(record["duration_ms"], float)


async def test_workflow_action_retries_a_transient_conflict(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    conflict = {
        "code": 10,
        "message": "the object has been modified; please apply your changes to the latest version",
    }
    argo.on_sequence("WorkflowService_RetryWorkflow", [conflict, Workflow("wf").json()])
    argo.sequence_status["WorkflowService_RetryWorkflow"] = [409, 200]
    async with http_client(shared_server.url) as client:
        result = await client.call_tool("retry_workflow", {"name": "wf"})
    assert not result.is_error, text_of(result)
    assert len(argo.calls("WorkflowService_RetryWorkflow")) == 2
