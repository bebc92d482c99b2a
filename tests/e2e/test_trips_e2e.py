"""What an agent trips on (issue 26), on the real stack: a misspelt submit parameter, a pod whose image cannot be
pulled, a pod or artifact name the workflow does not have, and archived runs merged into list_workflows."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio

from tests.e2e.mcp_support import (
    WF,
    call,
    call_error,
    container,
    simple_template,
    start_with_token,
    wait_phase,
)
from tests.e2e.stack.fixture import E2EStack
from tests.support.processes import ServerProcess

# The stack's node reaches no registry: a name no registry serves fails to pull (ErrImagePull, then back-off).
UNPULLABLE = "registry.invalid/argo-mcp-e2e/no-such-image:1"
LIVE_ONLY = "workflows.argoproj.io/workflow-archiving-status!=Persisted"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def mcp(stack: E2EStack, tmp_path_factory: Any) -> AsyncIterator[ServerProcess]:
    tmp = tmp_path_factory.mktemp("mcp-trips")
    server = await start_with_token(stack, tmp, stack.mint_token(stack.full_sa, seconds=3600))
    yield server
    await server.stop()


async def test_a_misspelt_parameter_is_refused_and_nothing_is_submitted(
    stack: E2EStack, mcp: ServerProcess
) -> None:
    template = stack.unique("typo")
    simple_template(stack, template)
    label = {"e2e-typo": template}
    refused = await call_error(
        mcp, "submit_workflow", {"resourceName": template, "parameters": {"mesage": "hi"}, "labels": label}
    )
    assert "declares no parameter 'mesage' (did you mean 'message'?)" in refused, refused
    listed = await call(mcp, "list_workflows", {"labelSelector": f"e2e-typo={template}"})
    assert listed["items"] == []
    ok = await call(mcp, "submit_workflow", {"resourceName": template, "parameters": {"message": "hi"}})
    assert (await wait_phase(stack, ok["name"]))["status"]["phase"] == "Succeeded"


async def test_a_pod_whose_image_cannot_be_pulled_is_diagnosed_as_stuck(
    stack: E2EStack, mcp: ServerProcess
) -> None:
    name = stack.submit_workflow(
        {
            "apiVersion": WF,
            "kind": "Workflow",
            "metadata": {"generateName": "unpullable-"},
            "spec": {
                "entrypoint": "main",
                "templates": [{"name": "main", "container": {"image": UNPULLABLE, "command": ["true"]}}],
            },
        }
    )
    try:
        answer: dict[str, Any] = {}
        for _ in range(120):
            answer = await call(mcp, "diagnose_workflow", {"name": name})
            if answer.get("stuckNodes"):
                break
            await asyncio.sleep(1)
        assert answer.get("stuckNodes"), answer
        assert answer["verdict"].startswith("the workflow is Running but stuck"), answer["verdict"]
        (stuck,) = answer["stuckNodes"]
        assert stuck["reason"] in ("ErrImagePull", "ImagePullBackOff"), stuck
        assert UNPULLABLE in stuck["message"] and "image name and tag" in stuck["fix"]
        assert stuck["pod"]  # the pod to describe
    finally:
        await call(mcp, "delete_workflow", {"name": name})


async def test_a_pod_or_an_artifact_the_workflow_does_not_have_is_named_with_what_it_has(
    stack: E2EStack, mcp: ServerProcess
) -> None:
    name = stack.submit_workflow(
        {
            "apiVersion": WF,
            "kind": "Workflow",
            "metadata": {"generateName": "names-"},
            "spec": {
                "entrypoint": "main",
                "templates": [
                    {
                        "name": "main",
                        "outputs": {
                            "artifacts": [{"name": "report", "path": "/tmp/report", "archive": {"none": {}}}]
                        },
                        "container": container("echo done > /tmp/report"),
                    }
                ],
            },
        }
    )
    wf = await wait_phase(stack, name)
    assert wf["status"]["phase"] == "Succeeded", wf["status"].get("message")
    node_id = next(n["id"] for n in wf["status"]["nodes"].values() if n["type"] == "Pod")
    missing = await call_error(
        mcp,
        "get_workflow_output_artifact",
        {"workflowName": name, "nodeId": node_id, "artifactName": "reprt"},
    )
    assert "has no output artifact 'reprt' (did you mean 'report'?)" in missing, missing
    assert "retry shortly" not in missing
    no_pod = await call_error(mcp, "get_workflow_logs", {"name": name, "podName": f"{name}-nope"})
    assert f"workflow {stack.namespace}/{name} has no pod '{name}-nope'" in no_pod, no_pod
    assert name in no_pod.split("its pods:")[1]  # the single pod of a one-step workflow is named after it


async def test_a_deleted_run_is_listed_as_archived_and_the_hints_selector_leaves_it_out(
    stack: E2EStack, mcp: ServerProcess
) -> None:
    template = stack.unique("gone")
    simple_template(stack, template)
    name = (await call(mcp, "submit_workflow", {"resourceName": template, "labels": {"e2e-gone": template}}))[
        "name"
    ]
    await wait_phase(stack, name)  # settled: finished and archived
    await call(mcp, "delete_workflow", {"name": name})
    for _ in range(40):
        if stack.get_workflow(name) is None:
            break
        await asyncio.sleep(0.5)
    assert stack.get_workflow(name) is None
    listed = await call(mcp, "list_workflows", {"labelSelector": f"e2e-gone={template}"})
    assert [(i["name"], i.get("archived")) for i in listed["items"]] == [(name, True)], listed
    assert LIVE_ONLY in listed["archivedHint"]
    live = await call(mcp, "list_workflows", {"labelSelector": f"e2e-gone={template},{LIVE_ONLY}"})
    assert live["items"] == [] and "archivedHint" not in live, live
