"""Log answers: the last N lines by default, grep before tailLines, a bad grep refused locally, unknown pods."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from argo_mcp.argo.streams import DEFAULT_TAIL_LINES
from argo_mcp.tools.shaping import pod_name
from tests.support.fake_argo import FakeArgo, ndjson_log
from tests.support.processes import ServerProcess, http_client, text_of
from tests.support.samples import NAME, failed_workflow


async def test_default_answer_is_the_last_lines_whole(argo: FakeArgo, shared_server: ServerProcess) -> None:
    lines = [("wf-pod", f"line {i}") for i in range(DEFAULT_TAIL_LINES + 50)]
    argo.on("WorkflowService_PodLogs", stream=ndjson_log(lines))
    async with http_client(shared_server.url) as client:
        result = await client.call_tool("get_pod_logs", {"name": "wf", "podName": "wf-pod"})
    assert not result.is_error, text_of(result)
    request = argo.last("WorkflowService_PodLogs")
    assert request.q("logOptions.tailLines") == str(DEFAULT_TAIL_LINES)
    # the stand-in ignores tailLines and sends everything: argo-mcp still answers only the last lines
    assert text_of(result).splitlines() == [f"line {i}" for i in range(50, DEFAULT_TAIL_LINES + 50)]
    assert result.structured_content is not None
    assert result.structured_content["lines"] == DEFAULT_TAIL_LINES
    assert result.structured_content["linesRead"] == DEFAULT_TAIL_LINES + 50
    assert result.structured_content["truncated"] is False


async def test_grep_is_applied_before_tail_lines(argo: FakeArgo, shared_server: ServerProcess) -> None:
    # Argo greps the stream it is given; with a grep argo-mcp sends no tailLines and tails the matches.
    lines = [("p", f"ERROR {i}" if i % 10 == 0 else f"ok {i}") for i in range(100)]
    matching = [pair for pair in lines if pair[1].startswith("ERROR")]
    argo.on("WorkflowService_WorkflowLogs", stream=ndjson_log(matching))
    async with http_client(shared_server.url) as client:
        result = await client.call_tool("get_workflow_logs", {"name": "wf", "grep": "ERROR", "tailLines": 3})
    assert not result.is_error, text_of(result)
    request = argo.last("WorkflowService_WorkflowLogs")
    assert request.q("grep") == "ERROR"
    assert request.q("logOptions.tailLines") is None
    assert text_of(result) == "p: ERROR 70\np: ERROR 80\np: ERROR 90\n"


@pytest.mark.parametrize(
    ("grep", "reason"),
    [
        ("[unclosed", "is not a valid regular expression"),
        ("error(?!s)", "Go RE2 syntax"),
        ("(a)\\1", "Go RE2 syntax"),
        ("", "must not be empty"),
    ],
)
async def test_bad_grep_is_refused_before_any_request(
    argo: FakeArgo, shared_server: ServerProcess, grep: str, reason: str
) -> None:
    async with http_client(shared_server.url) as client:
        result = await client.call_tool("get_pod_logs", {"name": "wf", "podName": "p", "grep": grep})
    assert result.is_error
    assert "'grep'" in text_of(result) and reason in text_of(result)
    assert argo.calls("WorkflowService_PodLogs") == []


async def test_unknown_pod_is_reported_as_not_found(argo: FakeArgo, shared_server: ServerProcess) -> None:
    async def not_found() -> AsyncIterator[bytes]:
        error = {"grpc_code": 5, "http_code": 404, "message": 'pods "wf-nope" not found'}
        yield json.dumps({"error": error}).encode() + b"\n"

    argo.on("WorkflowService_PodLogs", stream=not_found)
    async with http_client(shared_server.url) as client:
        result = await client.call_tool("get_pod_logs", {"name": "wf", "podName": "wf-nope"})
    assert result.is_error
    text = text_of(result)
    assert text.startswith('Not found: pods "wf-nope" not found'), text
    assert "get_workflow" in text  # says where the pod names are


# ---- a pod the workflow does not have (issue 26) ----------------------------------------------------------------
async def test_a_pod_the_workflow_does_not_have_is_named_with_its_pods(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    wf = failed_workflow()
    nodes = wf["status"]["nodes"]
    pods = sorted({pod_name(NAME, n) for n in nodes.values() if n.get("type") == "Pod"})
    typo = pods[0][:-1] + ("x" if pods[0][-1] != "x" else "y")
    argo.on("WorkflowService_WorkflowLogs", stream=ndjson_log([]))  # Argo: nothing for a pod it does not know
    argo.on("WorkflowService_GetWorkflow", wf)
    async with http_client(shared_server.url) as client:
        result = await client.call_tool("get_workflow_logs", {"name": NAME, "podName": typo})
        quiet = await client.call_tool("get_workflow_logs", {"name": NAME, "podName": pods[1]})
    assert result.is_error, text_of(result)
    text = text_of(result)
    assert f"has no pod {typo!r} (did you mean {pods[0]!r}?)" in text, text
    assert all(pod in text for pod in pods)
    assert argo.last("WorkflowService_GetWorkflow").q("fields") == "metadata.annotations,status.nodes"
    # One of its pods that logged nothing yet is the plain empty answer.
    assert not quiet.is_error and text_of(quiet).startswith("(no log lines")


async def test_a_pod_that_logged_is_never_checked(argo: FakeArgo, shared_server: ServerProcess) -> None:
    argo.on("WorkflowService_WorkflowLogs", stream=ndjson_log([("wf-a-1", "hello")]))
    async with http_client(shared_server.url) as client:
        result = await client.call_tool("get_workflow_logs", {"name": "wf", "podName": "wf-a-1"})
    assert text_of(result) == "wf-a-1: hello\n"
    assert argo.calls("WorkflowService_GetWorkflow") == []  # no extra request when the log answered
