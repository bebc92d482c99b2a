"""Tool inputs are strict and exact: nothing is coerced, nothing the user wrote is changed on its way to Argo.

The lint examples under data/lint-examples are small manifests written for these tests, each shaped like a
case from Argo's own examples that argo-mcp once changed or refused (a block scalar's final newline, a
`|+` manifest's trailing lines, a fully indented document, several documents in one file).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.fake_argo import FakeArgo, Workflow
from tests.support.processes import ServerProcess, http_client, text_of

EXAMPLES = Path(__file__).parent / "data" / "lint-examples"
WF = Workflow("hello-abc12").json()


@pytest.mark.parametrize(
    ("tool", "args", "field", "sent"),
    [
        ("list_workflows", {"full": "yes"}, "full", '"yes"'),
        ("list_workflows", {"limit": "5"}, "limit", '"5"'),
        ("list_workflows", {"limit": 5.0}, "limit", "5.0"),
        ("list_workflows", {"createdAfter": 0}, "createdAfter", "0"),
        ("get_workflow_logs", {"name": "w", "sinceTime": 0}, "sinceTime", "0"),
        ("get_workflow_logs", {"name": "w", "sinceTime": "2026-11-25"}, "sinceTime", '"2026-11-25"'),
        ("get_workflow", {"name": 12}, "name", "12"),
        ("delete_workflow", {"name": "w", "force": 1}, "force", "1"),
    ],
)
async def test_no_coercion_the_error_names_the_field_and_what_was_sent(
    argo: FakeArgo, shared_server: ServerProcess, tool: str, args: dict[str, Any], field: str, sent: str
) -> None:
    async with http_client(shared_server.url) as client:
        result = await client.call_tool(tool, args)
    assert result.is_error
    text = text_of(result)
    assert text.startswith(f"Invalid arguments for {tool}: '{field}':"), text
    assert f"(got {sent})" in text, text
    assert not argo.requests, "nothing may be sent to Argo for invalid input"


async def test_json_native_types_still_work(argo: FakeArgo, shared_server: ServerProcess) -> None:
    argo.on("WorkflowService_ListWorkflows", {"metadata": {}, "items": [WF]})
    async with http_client(shared_server.url) as client:
        result = await client.call_tool(
            "list_workflows", {"limit": 5, "full": True, "createdAfter": "2026-11-25T10:00:00Z"}
        )
    assert not result.is_error, text_of(result)
    request = argo.last("WorkflowService_ListWorkflows")
    assert request.q("listOptions.limit") == "5"


def _lint_bodies(argo: FakeArgo) -> list[dict[str, Any]]:
    return [r.body["workflow"] for r in argo.calls("WorkflowService_LintWorkflow")]


def _as_sent(manifest: dict[str, Any]) -> dict[str, Any]:
    return {**manifest, "metadata": {**manifest["metadata"], "namespace": "argo"}}


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
async def test_lint_sends_the_manifest_exactly_as_written(
    argo: FakeArgo, shared_server: ServerProcess, example: str
) -> None:
    text = (EXAMPLES / example).read_text()
    documents = [doc for doc in yaml.safe_load_all(text) if doc is not None]
    argo.on("WorkflowService_LintWorkflow", WF)
    async with http_client(shared_server.url) as client:
        result = await client.call_tool("lint_workflow", {"workflow": text})
    assert not result.is_error, text_of(result)
    assert json.loads(text_of(result))["valid"] is True
    assert _lint_bodies(argo) == [_as_sent(doc) for doc in documents]
    if len(documents) > 1:
        names = [d["name"] for d in json.loads(text_of(result))["documents"]]
        assert names == [doc["metadata"]["generateName"] for doc in documents]


async def test_script_newline_and_padded_values_survive(argo: FakeArgo, shared_server: ServerProcess) -> None:
    argo.on("WorkflowService_LintWorkflow", WF)
    text = (EXAMPLES / "keep-trailing-lines.yaml").read_text()
    async with http_client(shared_server.url) as client:
        await client.call_tool("lint_workflow", {"workflow": text})
    sent = _lint_bodies(argo)[0]
    assert sent["spec"]["templates"][0]["resource"]["manifest"].endswith("generateName: cm-\n\n")
    assert sent["spec"]["arguments"]["parameters"][0]["value"] == "  padded value  "


async def test_parameters_and_messages_reach_argo_unchanged(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    argo.on("WorkflowService_SubmitWorkflow", WF)
    argo.on(
        "WorkflowTemplateService_GetWorkflowTemplate",
        {"metadata": {"name": "t"}, "spec": {"arguments": {"parameters": [{"name": "greeting"}]}}},
    )
    argo.on("WorkflowService_StopWorkflow", WF)
    async with http_client(shared_server.url) as client:
        submitted = await client.call_tool(
            "submit_workflow", {"resourceName": "t", "parameters": {"greeting": "  two  spaces \n"}}
        )
        stopped = await client.call_tool("stop_workflow", {"name": "w", "message": " because \t"})
    assert not submitted.is_error and not stopped.is_error
    options = argo.last("WorkflowService_SubmitWorkflow").body["submitOptions"]
    assert options["parameters"] == ["greeting=  two  spaces \n"]
    assert argo.last("WorkflowService_StopWorkflow").body["message"] == " because \t"


async def test_lint_refuses_a_manifest_namespace_other_than_the_tools(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    manifest = {"kind": "Workflow", "metadata": {"name": "x", "namespace": "default"}, "spec": {}}
    async with http_client(shared_server.url) as client:
        result = await client.call_tool("lint_workflow", {"workflow": manifest, "namespace": "argo"})
    assert result.is_error
    assert "metadata.namespace 'default' does not match namespace 'argo'" in text_of(result)
    assert not argo.requests


async def test_lint_of_a_missing_referenced_template_is_a_finding(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    argo.error("WorkflowService_LintWorkflow", 404, 'workflowtemplates.argoproj.io "absent" not found', 5)
    manifest = {
        "kind": "Workflow",
        "metadata": {"name": "x"},
        "spec": {"workflowTemplateRef": {"name": "absent"}},
    }
    async with http_client(shared_server.url) as client:
        result = await client.call_tool("lint_workflow", {"workflow": manifest})
    assert not result.is_error, text_of(result)
    assert json.loads(text_of(result)) == {
        "valid": False,
        "errors": 'workflowtemplates.argoproj.io "absent" not found',
    }
