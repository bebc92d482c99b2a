"""submit_workflow refuses a parameter the template does not declare (issue 26: `mesage` was accepted silently,
Argo adds any name to the workflow's arguments), naming the declared ones and the closest."""

from __future__ import annotations

from typing import Any

import pytest

from argo_mcp.tools.lifecycle import declared_parameters
from tests.support.fake_argo import FakeArgo, Workflow
from tests.support.processes import ServerProcess, http_client, text_of

WF = Workflow("hello-abc12").json()


def template(*names: str, entry_inputs: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "metadata": {"name": "hello", "namespace": "argo"},
        "spec": {
            "entrypoint": "main",
            "arguments": {"parameters": [{"name": n, "value": "x"} for n in names]},
            "templates": [
                {
                    "name": "main",
                    "inputs": {"parameters": [{"name": n} for n in entry_inputs]},
                    "container": {"image": "busybox"},
                },
                {
                    "name": "other",
                    "inputs": {"parameters": [{"name": "hidden"}]},
                    "container": {"image": "b"},
                },
            ],
        },
    }


def test_declared_names_are_the_arguments_and_the_entry_templates_inputs() -> None:
    wt = template("message", entry_inputs=("count",))
    assert declared_parameters(wt, "WorkflowTemplate", None) == ["message", "count"]
    assert declared_parameters(wt, "WorkflowTemplate", "other") == ["message", "hidden"]
    cron = {"metadata": {"name": "c"}, "spec": {"schedules": ["* * * * *"], "workflowSpec": wt["spec"]}}
    assert declared_parameters(cron, "CronWorkflow", None) == ["message", "count"]
    by_ref = {"spec": {"workflowTemplateRef": {"name": "base"}}}
    assert declared_parameters(by_ref, "WorkflowTemplate", None) is None  # not knowable here: not checked
    assert declared_parameters({"spec": {}}, "WorkflowTemplate", None) == []


@pytest.mark.parametrize(
    ("kind", "operation", "path"),
    [
        (
            "WorkflowTemplate",
            "WorkflowTemplateService_GetWorkflowTemplate",
            "/api/v1/workflow-templates/argo/hello",
        ),
        (
            "ClusterWorkflowTemplate",
            "ClusterWorkflowTemplateService_GetClusterWorkflowTemplate",
            "/api/v1/cluster-workflow-templates/hello",
        ),
    ],
)
async def test_a_misspelt_parameter_is_refused_before_anything_is_created(
    argo: FakeArgo, shared_server: ServerProcess, kind: str, operation: str, path: str
) -> None:
    argo.on(operation, template("message", "count"))
    async with http_client(shared_server.url) as client:
        result = await client.call_tool(
            "submit_workflow",
            {"resourceKind": kind, "resourceName": "hello", "parameters": {"mesage": "hi", "count": 2}},
        )
    assert result.is_error
    text = text_of(result)
    assert f"{kind} hello declares no parameter 'mesage' (did you mean 'message'?)" in text, text
    assert "its parameters: count, message" in text
    assert argo.last(operation).path == path
    assert argo.calls("WorkflowService_SubmitWorkflow") == []


async def test_a_cron_workflows_parameters_come_from_its_workflow_spec(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    cron = {
        "metadata": {"name": "nightly", "namespace": "argo"},
        "spec": {"schedules": ["0 0 * * *"], "workflowSpec": template("day")["spec"]},
    }
    argo.on("CronWorkflowService_GetCronWorkflow", cron)
    argo.on("WorkflowService_SubmitWorkflow", WF)
    args = {"resourceKind": "CronWorkflow", "resourceName": "nightly"}
    async with http_client(shared_server.url) as client:
        ok = await client.call_tool("submit_workflow", {**args, "parameters": {"day": "mon"}})
        wrong = await client.call_tool("submit_workflow", {**args, "parameters": {"zzz": "1"}})
    assert not ok.is_error, text_of(ok)
    assert argo.last("WorkflowService_SubmitWorkflow").body["submitOptions"]["parameters"] == ["day=mon"]
    assert wrong.is_error and "declares no parameter 'zzz'; its parameters: day" in text_of(wrong)


async def test_a_template_that_declares_none_takes_none(argo: FakeArgo, shared_server: ServerProcess) -> None:
    argo.on("WorkflowTemplateService_GetWorkflowTemplate", template())
    async with http_client(shared_server.url) as client:
        result = await client.call_tool(
            "submit_workflow", {"resourceName": "hello", "parameters": {"x": "1"}}
        )
    assert result.is_error
    assert "WorkflowTemplate hello declares no parameters: submit it without parameters" in text_of(result)
    assert argo.calls("WorkflowService_SubmitWorkflow") == []


async def test_without_parameters_the_template_is_not_read(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    argo.on("WorkflowService_SubmitWorkflow", WF)
    async with http_client(shared_server.url) as client:
        result = await client.call_tool("submit_workflow", {"resourceName": "hello"})
    assert not result.is_error, text_of(result)
    assert argo.calls("WorkflowTemplateService_GetWorkflowTemplate") == []


async def test_a_template_argo_does_not_find_is_argos_answer_to_give(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    argo.error("WorkflowTemplateService_GetWorkflowTemplate", 404, 'workflowtemplates "nope" not found', 5)
    argo.error("WorkflowService_SubmitWorkflow", 404, 'workflowtemplates "nope" not found', 5)
    async with http_client(shared_server.url) as client:
        result = await client.call_tool("submit_workflow", {"resourceName": "nope", "parameters": {"a": "1"}})
    assert result.is_error and 'workflowtemplates "nope" not found' in text_of(result)
    assert len(argo.calls("WorkflowService_SubmitWorkflow")) == 1
