"""completion/complete through a real MCP client: namespaces from the allow-list, workflow names from Argo
(asked through list_workflows, so the allow-list applies), nothing for arguments it cannot complete."""

from __future__ import annotations

from pathlib import Path

import mcp_types as types

from argo_mcp.tools.shaping import WORKFLOW_LIST_FIELDS
from tests.support.fake_argo import FakeArgo, Workflow
from tests.support.processes import ServerProcess, http_client, start_without_argo_auth

DEBUG = types.PromptReference(type="ref/prompt", name="debug_failed_workflow")
SUMMARY = types.PromptReference(type="ref/prompt", name="summarize_recent_failures")


async def test_namespace_and_workflow_names(argo: FakeArgo, shared_server: ServerProcess) -> None:
    argo.on(
        "WorkflowService_ListWorkflows",
        {
            "metadata": {},
            "items": [Workflow("hello-1", namespace="team-a").json(), Workflow("hello-2").json()],
        },
    )
    async with http_client(shared_server.url) as client:
        namespace = await client.complete(SUMMARY, {"name": "namespace", "value": "ar"})
        none = await client.complete(SUMMARY, {"name": "namespace", "value": "zz"})
        names = await client.complete(DEBUG, {"name": "name", "value": "hel"}, {"namespace": "team-a"})
        other = await client.complete(SUMMARY, {"name": "since", "value": "2026"})
    assert namespace.completion.values == ["argo"] and namespace.completion.total == 1
    assert none.completion.values == []
    assert names.completion.values == ["hello-1", "hello-2"]
    assert names.completion.has_more is False
    request = argo.last("WorkflowService_ListWorkflows")
    assert request.path == "/api/v1/workflows/team-a"
    assert request.query_dict == {
        "listOptions.fieldSelector": "metadata.name=hel",
        "nameFilter": "Prefix",
        "listOptions.limit": "101",
        "fields": WORKFLOW_LIST_FIELDS,
    }
    assert other.completion.values == []
    assert len(argo.requests) == 1


async def test_completions_stay_inside_the_namespace_allow_list(
    argo: FakeArgo, argo_url: str, tmp_path: Path
) -> None:
    server = await start_without_argo_auth(
        tmp_path, argo_url, "--namespaces", "team-a,team-b,ops", "--argo-default-namespace", "team-a"
    )
    try:
        async with http_client(server.url) as client:
            namespaces = await client.complete(DEBUG, {"name": "namespace", "value": "team"})
            outside = await client.complete(
                DEBUG, {"name": "name", "value": "x"}, {"namespace": "kube-system"}
            )
            unsafe = await client.complete(DEBUG, {"name": "name", "value": "a,b=c"})
    finally:
        await server.stop()
    assert namespaces.completion.values == ["team-a", "team-b"]
    assert outside.completion.values == [] and unsafe.completion.values == []
    assert argo.requests == []


RUN_TEMPLATE = types.PromptReference(type="ref/prompt", name="submit_from_template")
ETL_TEMPLATE = {
    "metadata": {"name": "etl", "namespace": "argo", "creationTimestamp": "2026-11-20T10:00:00Z"},
    "spec": {
        "entrypoint": "main",
        "arguments": {
            "parameters": [
                {"name": "date", "value": "today"},
                {"name": "dry-run", "value": "false"},
                {"name": "api-token", "value": "s3cr3t"},
                {"name": "region"},
            ]
        },
        "templates": [{"name": "main", "container": {"image": "busybox"}}],
    },
}


async def test_template_names_and_parameters_complete_for_submit_from_template(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    argo.on("WorkflowTemplateService_ListWorkflowTemplates", {"metadata": {}, "items": [ETL_TEMPLATE]})
    argo.on("WorkflowTemplateService_GetWorkflowTemplate", ETL_TEMPLATE)
    async with http_client(shared_server.url) as client:
        names = await client.complete(RUN_TEMPLATE, {"name": "template", "value": "et"})
        first = await client.complete(RUN_TEMPLATE, {"name": "parameters", "value": ""}, {"template": "etl"})
        more = await client.complete(
            RUN_TEMPLATE, {"name": "parameters", "value": "date=2026-12-01,d"}, {"template": "etl"}
        )
        no_template = await client.complete(RUN_TEMPLATE, {"name": "parameters", "value": ""})
        prompt = await client.get_prompt("submit_from_template", {"template": "etl", "parameters": "date=x"})
    assert names.completion.values == ["etl"]
    assert first.completion.values == ["date=today", "dry-run=false", "api-token=", "region="]
    assert more.completion.values == ["date=2026-12-01,dry-run=false"]
    assert no_template.completion.values == []
    assert (
        argo.last("WorkflowTemplateService_GetWorkflowTemplate").path == "/api/v1/workflow-templates/argo/etl"
    )
    text = prompt.messages[0].content.text  # type: ignore[union-attr]
    assert "WorkflowTemplate 'etl' in namespace 'argo' with the parameters date=x" in text
    assert "resourceKind=WorkflowTemplate, resourceName=etl" in text and "{name: value}" in text
