"""An artifact name or node id the workflow does not have is answered with the names it has (issue 26), not with
Argo's 500 "retry shortly": Argo's artifact server answers a missing name with a bare 500 (artifact_server.go),
so on that answer argo-mcp reads the workflow's nodes and says which names there are."""

from __future__ import annotations

from typing import Any

from tests.support.fake_argo import FakeArgo, Workflow
from tests.support.processes import ServerProcess, http_client, text_of
from tests.support.samples import NAME, chunks, node

UID = "3f1e9c2a-5b7d-4e8f-9a0b-1c2d3e4f5a6b"
ARTIFACT_FILE = "ArtifactService_GetArtifactFile"


def with_artifacts() -> dict[str, Any]:
    wf = Workflow(NAME, phase="Succeeded", uid=UID).json()
    wf["status"]["nodes"] = {
        f"{NAME}-1": node(
            f"{NAME}-1",
            "report",
            "Pod",
            "Succeeded",
            templateName="report",
            inputs={"artifacts": [{"name": "data", "s3": {"key": "in/data.csv"}}]},
            outputs={
                "artifacts": [
                    {"name": "summary", "s3": {"key": "out/summary.txt"}},
                    {"name": "main-logs", "s3": {"key": "out/main.log"}},
                ]
            },
        ),
        f"{NAME}-2": node(f"{NAME}-2", "notify", "Pod", "Succeeded", templateName="notify"),
    }
    return wf


def argo_500(argo: FakeArgo, operation: str) -> None:
    """What Argo's artifact server answers for a name it does not find: a plain-text 500."""
    argo.on(operation, b"Internal Server Error\n", status=500, content_type="text/plain")


async def test_a_misspelt_artifact_is_answered_with_the_nodes_artifact_names(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    argo_500(argo, ARTIFACT_FILE)
    argo.on("WorkflowService_GetWorkflow", with_artifacts())
    args = {"workflowName": NAME, "nodeId": f"{NAME}-1"}
    async with http_client(shared_server.url) as client:
        typo = await client.call_tool("get_workflow_output_artifact", {**args, "artifactName": "sumary"})
        wrong_way = await client.call_tool("get_workflow_output_artifact", {**args, "artifactName": "data"})
    assert typo.is_error and wrong_way.is_error
    text = text_of(typo)
    assert "has no output artifact 'sumary' (did you mean 'summary'?)" in text, text
    assert "main-logs, summary" in text and "data" in text  # its outputs, then its inputs
    assert "retry" not in text and "500" not in text
    assert "get_workflow_input_artifact" in text_of(wrong_way), text_of(wrong_way)
    assert argo.last("WorkflowService_GetWorkflow").q("fields") == "status.nodes"


async def test_a_node_id_the_workflow_does_not_have_names_the_nodes_with_artifacts(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    argo_500(argo, "ArtifactService_GetInputArtifact")
    argo.on("WorkflowService_GetWorkflow", with_artifacts())
    args = {"workflowName": NAME, "artifactName": "data"}
    async with http_client(shared_server.url) as client:
        unknown = await client.call_tool("get_workflow_input_artifact", {**args, "nodeId": f"{NAME}-9"})
        by_name = await client.call_tool("get_workflow_input_artifact", {**args, "nodeId": "report"})
    assert f"has no node with id '{NAME}-9'" in text_of(unknown), text_of(unknown)
    assert f"{NAME}-1 (report)" in text_of(unknown) and "notify" not in text_of(unknown)
    assert f"'report' is the name of node '{NAME}-1'" in text_of(by_name), text_of(by_name)


async def test_an_archived_workflows_names_come_from_the_workflow_already_read(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    argo.on("ArchivedWorkflowService_GetArchivedWorkflow", with_artifacts())
    argo_500(argo, ARTIFACT_FILE)
    async with http_client(shared_server.url) as client:
        result = await client.call_tool(
            "get_workflow_output_artifact", {"workflowUid": UID, "nodeId": f"{NAME}-2", "artifactName": "x"}
        )
    assert f"node {NAME}-2 of workflow {UID} has no output artifact 'x'; it has no output artifacts" in (
        text_of(result)
    ), text_of(result)
    assert argo.calls("WorkflowService_GetWorkflow") == []  # no second read
    assert len(argo.calls("ArchivedWorkflowService_GetArchivedWorkflow")) == 1


async def test_argos_own_error_stands_when_the_names_are_right(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    argo_500(argo, ARTIFACT_FILE)
    argo.on("WorkflowService_GetWorkflow", with_artifacts())
    async with http_client(shared_server.url) as client:
        result = await client.call_tool(
            "get_workflow_output_artifact",
            {"workflowName": NAME, "nodeId": f"{NAME}-1", "artifactName": "summary"},
        )
    assert result.is_error and "retry shortly" in text_of(result), text_of(result)


async def test_a_download_that_works_reads_nothing_else(argo: FakeArgo, shared_server: ServerProcess) -> None:
    argo.on(ARTIFACT_FILE, stream=chunks(b"ok\n"), content_type="text/plain")
    async with http_client(shared_server.url) as client:
        result = await client.call_tool(
            "get_workflow_output_artifact",
            {"workflowName": NAME, "nodeId": f"{NAME}-1", "artifactName": "summary"},
        )
    assert text_of(result) == "ok\n" and argo.calls("WorkflowService_GetWorkflow") == []
