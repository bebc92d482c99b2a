"""Argo versions on the real stack (issue 26), whichever Argo it runs: a v3 CronWorkflow manifest (singular
`schedule` and `synchronization.mutex`) converted by convert_manifest is accepted by the real Argo and keeps its
lock (read back from Argo); the unconverted manifest is refused before sending where the server drops those
fields (v4) and sent as written where it keeps them (v3.7); lint says which; list_archived_workflows' nameFilter
is used where the server has it and refused naming the version where it does not.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from argo_mcp.argo.version import ArgoVersion
from tests.e2e.mcp_support import WF, call, call_error, container, start_with_token
from tests.e2e.stack.fixture import E2EStack
from tests.support.processes import ServerProcess


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def mcp(stack: E2EStack, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ServerProcess]:
    tmp = tmp_path_factory.mktemp("mcp-versions")
    server = await start_with_token(stack, tmp, stack.mint_token(stack.full_sa, seconds=3600))
    yield server
    await server.stop()


def _v3_cron(name: str, namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": WF,
        "kind": "CronWorkflow",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "schedule": "0 0 1 1 *",
            "suspend": True,
            "workflowSpec": {
                "entrypoint": "main",
                "synchronization": {"mutex": {"name": name}},
                "templates": [{"name": "main", "container": container("true")}],
            },
        },
    }


async def _version(mcp: ServerProcess) -> ArgoVersion:
    return ArgoVersion.parse(str((await call(mcp, "get_argo_version", {}))["version"]))


async def test_a_v3_cron_workflow_converted_runs_on_the_real_argo_with_its_lock(
    stack: E2EStack, mcp: ServerProcess
) -> None:
    version = await _version(mcp)
    assert version.known, version
    name = stack.unique("v3cron")
    v3 = _v3_cron(name, stack.namespace)
    linted = await call(mcp, "lint_cron_workflow", {"manifest": v3})
    if version.at_least((4, 0, 0)):
        refused = await call_error(mcp, "create_cron_workflow", {"manifest": v3})
        assert "spec.schedule" in refused and "spec.workflowSpec.synchronization.mutex" in refused, refused
        assert "Nothing was sent to Argo" in refused
        assert {f["field"] for f in linted["removedFields"]} == {
            "spec.schedule",
            "spec.workflowSpec.synchronization.mutex",
        }, linted
    else:
        assert linted["valid"] is True and "removedFields" not in linted, linted
    converted = await call(mcp, "convert_manifest", {"manifest": v3})
    assert len(converted["changes"]) == 2, converted
    await call(mcp, "create_cron_workflow", {"manifest": converted["manifest"]})
    try:
        stored = await call(mcp, "get_cron_workflow", {"name": name, "full": True})
        assert stored["spec"]["schedules"] == ["0 0 1 1 *"]
        assert stored["spec"]["workflowSpec"]["synchronization"] == {"mutexes": [{"name": name}]}, "lock kept"
    finally:
        await call(mcp, "delete_cron_workflow", {"name": name})


async def test_name_filter_on_the_real_archive(stack: E2EStack, mcp: ServerProcess) -> None:
    version = await _version(mcp)
    args = {"name": "no-such-run", "nameFilter": "Contains"}
    if version.at_least((4, 0, 0)):
        answer = await call(mcp, "list_archived_workflows", args)
        assert answer["items"] == [], answer
    else:
        refused = await call_error(mcp, "list_archived_workflows", args)
        assert f"needs Argo v4.0 or later, and this Argo is {version.text}" in refused, refused
    exact = await call(mcp, "list_archived_workflows", {"name": "no-such-run"})
    assert exact["items"] == [], exact


async def test_the_template_examples_lint_clean_on_the_real_argo(mcp: ServerProcess) -> None:
    from argo_mcp.resources import DATA

    answer = await call(mcp, "lint_workflow", {"workflow": (DATA / "template-examples.yaml").read_text()})
    assert answer["valid"] is True, answer
    assert len(answer["documents"]) == 7
