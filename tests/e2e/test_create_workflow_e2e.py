"""`create_workflow` on the real stack (issue 26): a Workflow manifest, given as YAML text with generateName,
runs on the real node and its outputs come back through `wait`; `serverDryRun` makes the real Argo Server
answer without creating anything (also for every single-document example of the pinned Argo module, with the
same verdict as Argo's own API); the service-account guard refuses a manifest before Argo sees it."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import yaml

from tests.e2e.mcp_support import WF, call, call_error, container, start_with_token
from tests.e2e.stack.fixture import E2EStack
from tests.e2e.test_argo_examples_lint import _workflow_examples
from tests.support.processes import ServerProcess, http_client, text_of


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


def _direct_dry_run(stack: E2EStack, token: str, document: dict[str, Any]) -> bool:
    """Whether Argo's create API with serverDryRun accepts `document`, asked directly."""
    body = {"namespace": stack.namespace, "serverDryRun": True, "workflow": document}
    request = urllib.request.Request(
        f"{stack.argo_url}/api/v1/workflows/{stack.namespace}",
        method="POST",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return bool(response.status == 200)
    except urllib.error.HTTPError as exc:
        if exc.code in (400, 404, 409, 422, 500):
            return False
        raise


@pytest.mark.local_only(
    reason="reads Argo's examples from the argo-workflows Go module that the local build downloads"
)
async def test_argo_examples_dry_run_the_same_through_create_workflow_and_create_nothing(
    stack: E2EStack, tmp_path: Path
) -> None:
    """Every single-document Workflow example of the pinned Argo module, created with serverDryRun through
    create_workflow (no guard) and directly: the same verdict each, and no workflow left behind."""
    examples = [(path, docs[0]) for path, _text, docs in _workflow_examples() if len(docs) == 1]
    assert len(examples) >= 150, f"only {len(examples)} single-document Workflow examples found"
    token = stack.mint_token(stack.full_sa, seconds=3600)
    server = await start_with_token(stack, tmp_path, token)
    before = len(stack.kube.get(f"/apis/{WF}/namespaces/{stack.namespace}/workflows")["items"])
    differences: list[str] = []
    accepted = 0
    try:
        async with http_client(server.url) as client:
            for path, document in examples:
                metadata = {k: v for k, v in (document.get("metadata") or {}).items() if k != "namespace"}
                manifest = {**document, "metadata": metadata}
                result = await client.call_tool(
                    "create_workflow", {"manifest": manifest, "serverDryRun": True}
                )
                direct = await asyncio.to_thread(_direct_dry_run, stack, token, manifest)
                accepted += direct
                if result.is_error == direct:
                    differences.append(f"{path.name}: argo-mcp error={result.is_error}, Argo accepts={direct}: "
                                       f"{text_of(result)[:300]}")  # fmt: skip
    finally:
        await server.stop()
    after = len(stack.kube.get(f"/apis/{WF}/namespaces/{stack.namespace}/workflows")["items"])
    print(f"argo examples dry-run through create_workflow: {accepted} of {len(examples)} accepted")
    assert not differences, f"{len(differences)} of {len(examples)} examples differ:\n" + "\n".join(
        differences
    )
    assert accepted >= len(examples) // 2, f"Argo accepted only {accepted} of {len(examples)} examples"
    assert after == before, "a dry run created workflows"
