"""`create_workflow` on the real stack (issue 26): a Workflow manifest, given as YAML text with generateName,
runs on the real node and its outputs come back through `wait`; `serverDryRun` makes the real Argo Server
answer without creating anything; the service-account guard refuses a manifest before Argo sees it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
import yaml

from tests.e2e.mcp_support import WF, call, call_error, container, start_with_token
from tests.e2e.stack.fixture import E2EStack
from tests.support.processes import ServerProcess


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def mcp(stack: E2EStack, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ServerProcess]:
    """argo-mcp with the full-access ServiceAccount's token; workflows may run only as `default`."""
    tmp = tmp_path_factory.mktemp("mcp-create")
    server = await start_with_token(
        stack,
        tmp,
        stack.mint_token(stack.full_sa, seconds=3600),
        "--allowed-service-accounts",
        f"{stack.namespace}:default",
    )
    yield server
    await server.stop()


def _manifest(stack: E2EStack, case: str, **metadata: str) -> str:
    """A one-step Workflow whose output parameter is global (`globalName`), so it is the workflow's output."""
    return yaml.safe_dump(
        {
            "apiVersion": WF,
            "kind": "Workflow",
            "metadata": {"namespace": stack.namespace, "labels": {"e2e-case": case}, **metadata},
            "spec": {
                "entrypoint": "main",
                "templates": [
                    {
                        "name": "main",
                        "container": container("echo made-from-a-manifest > /tmp/greeting"),
                        "outputs": {
                            "parameters": [
                                {
                                    "name": "greeting",
                                    "globalName": "greeting",
                                    "valueFrom": {"path": "/tmp/greeting"},
                                }
                            ]
                        },
                    }
                ],
            },
        }
    )


async def test_a_manifest_runs_on_the_node_and_its_outputs_come_back(
    stack: E2EStack, mcp: ServerProcess
) -> None:
    case = stack.unique("create")
    created = await call(
        mcp,
        "create_workflow",
        {"manifest": _manifest(stack, case, generateName="from-manifest-"), "wait": True},
    )
    name = created["name"]
    assert name.startswith("from-manifest-") and created["namespace"] == stack.namespace, created
    assert created["uid"] and created["result"] == f"created workflow {stack.namespace}/{name}"
    waited = created["waited"]
    assert waited["finished"] and waited["workflow"]["phase"] == "Succeeded", waited
    assert waited["outputs"] == {"greeting": "made-from-a-manifest"}, waited
    live = stack.get_workflow(name) or {}
    assert live["metadata"]["uid"] == created["uid"], "the answer names the workflow Argo made"
    assert live["status"]["phase"] == "Succeeded"


async def test_server_dry_run_creates_nothing(stack: E2EStack, mcp: ServerProcess) -> None:
    case = stack.unique("dry")
    name = stack.unique("preview")
    preview = await call(
        mcp, "create_workflow", {"manifest": _manifest(stack, case, name=name), "serverDryRun": True}
    )
    assert preview["name"] == name and "nothing was created" in preview["result"], preview
    listed = await call(mcp, "list_workflows", {"labelSelector": f"e2e-case={case}"})
    assert listed["items"] == [], "a dry run leaves no workflow behind"
    assert stack.get_workflow(name) is None


async def test_an_account_outside_the_guard_is_refused_before_argo(
    stack: E2EStack, mcp: ServerProcess
) -> None:
    case = stack.unique("guard")
    manifest = yaml.safe_load(_manifest(stack, case, generateName="guarded-"))
    manifest["spec"]["serviceAccountName"] = stack.full_sa
    message = await call_error(mcp, "create_workflow", {"manifest": manifest})
    assert f"'{stack.full_sa}' (spec.serviceAccountName)" in message, message
    assert f"Allowed in namespace '{stack.namespace}': default." in message
    listed = await call(mcp, "list_workflows", {"labelSelector": f"e2e-case={case}"})
    assert listed["items"] == []
