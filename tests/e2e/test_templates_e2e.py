"""The WorkflowTemplate, ClusterWorkflowTemplate and CronWorkflow tools and diagnose_workflow, through a real MCP
client against the real kube-apiserver and Argo Workflows: each kind is created, read, listed, linted, submitted
from, updated (and a CronWorkflow suspended and resumed) and deleted through argo-mcp alone; a really failed
workflow is diagnosed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from tests.e2e.mcp_support import WF, call, call_error, call_text, container, start_with_token, wait_phase
from tests.e2e.stack.fixture import E2EStack
from tests.e2e.stack.images import workload_ref
from tests.e2e.workloads import echo
from tests.support.processes import ServerProcess


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def mcp(stack: E2EStack, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ServerProcess]:
    """argo-mcp in bearer-file mode with the full-access ServiceAccount's token (cluster templates too)."""
    tmp = tmp_path_factory.mktemp("mcp-templates")
    server = await start_with_token(stack, tmp, stack.mint_token(stack.full_sa, seconds=3600))
    yield server
    await server.stop()


def _spec(message: str = "default") -> dict[str, Any]:
    return {
        "entrypoint": "main",
        "arguments": {"parameters": [{"name": "message", "value": message}]},
        "templates": [{"name": "main", "container": container('echo "{{workflow.parameters.message}}"')}],
    }


def _yaml_template(name: str, namespace: str) -> str:
    """Written as an agent would: YAML text, with a block scalar whose final newline is part of the value."""
    return (
        f"apiVersion: {WF}\nkind: WorkflowTemplate\nmetadata:\n  name: {name}\n  namespace: {namespace}\n"
        "  labels: {e2e-kind: template}\n"
        "  annotations:\n    workflows.argoproj.io/description: |\n      Says hello.\n"
        "spec:\n  entrypoint: main\n  arguments:\n    parameters:\n      - name: message\n        value: hi\n"
        f"  templates:\n    - name: main\n      container: {{image: {workload_ref()}, command: [sh, -c, 'true']}}\n"
    )


async def _submitted(mcp: ServerProcess, kind: str, name: str, **extra: Any) -> str:
    answer = await call(mcp, "submit_workflow", {"resourceKind": kind, "resourceName": name, **extra})
    return str(answer["name"])  # a submit answers name, namespace, uid and phase


@pytest.mark.compat
async def test_workflow_template_lifecycle(stack: E2EStack, mcp: ServerProcess) -> None:
    name = stack.unique("wft")
    created = await call(mcp, "create_workflow_template", {"manifest": _yaml_template(name, stack.namespace)})
    assert created["result"] == f"workflow template {stack.namespace}/{name} created"
    assert created["name"] == name and created["namespace"] == stack.namespace and created["uid"], created
    try:
        summary = await call(mcp, "get_workflow_template", {"name": name})
        assert summary["description"] == "Says hello.\n"  # the block scalar, as written
        assert summary["entrypoint"] == "main"
        assert summary["arguments"] == {"parameters": [{"name": "message", "default": "hi"}]}
        assert summary["templates"] == [{"name": "main", "type": "container"}]
        full = await call(mcp, "get_workflow_template", {"name": name, "full": True})
        assert full["spec"]["templates"][0]["container"]["image"] == workload_ref()

        listed = await call(mcp, "list_workflow_templates", {"labelSelector": "e2e-kind=template"})
        assert name in [item["name"] for item in listed["items"]]

        good = await call(
            mcp, "lint_workflow_template", {"manifest": _yaml_template(name + "-lint", stack.namespace)}
        )
        assert good["valid"] is True, good
        bad = await call(
            mcp,
            "lint_workflow_template",
            {
                "manifest": {
                    "metadata": {"name": "bad"},
                    "spec": {"entrypoint": "nope", "templates": _spec()["templates"]},
                }
            },
        )
        assert bad["valid"] is False and "nope" in bad["errors"], bad

        run = await _submitted(mcp, "WorkflowTemplate", name)
        done = await wait_phase(stack, run)
        assert done["status"]["phase"] == "Succeeded"
        # the template's own argument default, as the controller stored the template it ran
        stored = done["status"]["storedWorkflowTemplateSpec"]
        assert stored["arguments"]["parameters"][0]["value"] == "hi", stored.get("arguments")

        updated = await call(
            mcp,
            "update_workflow_template",
            {"name": name, "manifest": {"kind": "WorkflowTemplate", "spec": _spec("updated")}},
        )
        assert updated["result"] == f"workflow template {stack.namespace}/{name} updated", updated
        assert updated["uid"] == created["uid"], updated  # the same object, replaced in place
        assert (await call(mcp, "get_workflow_template", {"name": name}))["arguments"]["parameters"][0][
            "default"
        ] == "updated"
    finally:
        deleted = await call(mcp, "delete_workflow_template", {"name": name})
    assert deleted["result"] == f"workflow template {stack.namespace}/{name} deleted"
    gone = await call_error(mcp, "get_workflow_template", {"name": name})
    assert "not found" in gone.lower()


async def test_cluster_workflow_template_lifecycle(stack: E2EStack, mcp: ServerProcess) -> None:
    name = stack.unique("cwft")
    manifest = {
        "apiVersion": WF,
        "kind": "ClusterWorkflowTemplate",
        "metadata": {"name": name},
        "spec": _spec(),
    }
    lint = await call(mcp, "lint_cluster_workflow_template", {"manifest": manifest})
    assert lint["valid"] is True, lint
    created = await call(mcp, "create_cluster_workflow_template", {"manifest": manifest})
    assert created["result"] == f"cluster workflow template {name} created"
    try:
        summary = await call(mcp, "get_cluster_workflow_template", {"name": name})
        assert summary["templates"] == [{"name": "main", "type": "container"}] and "namespace" not in summary
        listed = await call(mcp, "list_cluster_workflow_templates", {})
        assert name in [item["name"] for item in listed["items"]]

        run = await _submitted(mcp, "ClusterWorkflowTemplate", name, parameters={"message": "from-cluster"})
        assert (await wait_phase(stack, run))["status"]["phase"] == "Succeeded"

        await call(
            mcp, "update_cluster_workflow_template", {"manifest": {**manifest, "spec": _spec("changed")}}
        )
        again = await call(mcp, "get_cluster_workflow_template", {"name": name})
        assert again["arguments"]["parameters"][0]["default"] == "changed"
    finally:
        await call(mcp, "delete_cluster_workflow_template", {"name": name})
    missing = await call_error(mcp, "get_cluster_workflow_template", {"name": name})
    assert "not found" in missing.lower()


@pytest.mark.compat
async def test_cron_workflow_lifecycle_with_suspend_and_resume(stack: E2EStack, mcp: ServerProcess) -> None:
    name = stack.unique("cron")
    manifest: dict[str, Any] = {
        "apiVersion": WF,
        "kind": "CronWorkflow",
        "metadata": {"name": name, "namespace": stack.namespace},
        "spec": {"schedules": ["0 0 1 1 *"], "timezone": "UTC", "workflowSpec": _spec()},
    }
    bad = await call(
        mcp,
        "lint_cron_workflow",
        {"manifest": {**manifest, "spec": {**manifest["spec"], "schedules": ["not a schedule"]}}},
    )
    assert bad["valid"] is False, bad
    assert (await call(mcp, "lint_cron_workflow", {"manifest": manifest}))["valid"] is True
    created = await call(mcp, "create_cron_workflow", {"manifest": manifest})
    assert created["result"] == f"cron workflow {stack.namespace}/{name} created"
    try:
        got = await call(mcp, "get_cron_workflow", {"name": name})
        assert got["schedules"] == ["0 0 1 1 *"] and got["suspended"] is False
        assert got["workflow"]["templates"] == [{"name": "main", "type": "container"}]
        listed = await call(mcp, "list_cron_workflows", {})
        assert name in [item["name"] for item in listed["items"]]

        suspended = await call(mcp, "suspend_cron_workflow", {"name": name})
        assert suspended["suspended"] is True and suspended["name"] == name, suspended
        assert (await call(mcp, "get_cron_workflow", {"name": name}))["suspended"] is True
        resumed = await call(mcp, "resume_cron_workflow", {"name": name})
        assert resumed["suspended"] is False, resumed

        run = await _submitted(mcp, "CronWorkflow", name)
        assert (await wait_phase(stack, run))["status"]["phase"] == "Succeeded"

        await call(
            mcp,
            "update_cron_workflow",
            {"manifest": {**manifest, "spec": {**manifest["spec"], "schedules": ["30 1 1 1 *"]}}},
        )
        assert (await call(mcp, "get_cron_workflow", {"name": name}))["schedules"] == ["30 1 1 1 *"]
    finally:
        await call(mcp, "delete_cron_workflow", {"name": name})
    assert "not found" in (await call_error(mcp, "get_cron_workflow", {"name": name})).lower()


def _failing_spec() -> dict[str, Any]:
    """A step `load` that runs template `work` with an input parameter; `work` exits 3 after logging."""
    log = "connecting to the warehouse\nfatal: schema mismatch"
    return {
        "entrypoint": "steps",
        "arguments": {"parameters": [{"name": "message", "value": "default"}]},
        "templates": [
            {
                "name": "steps",
                "steps": [
                    [
                        {
                            "name": "load",
                            "template": "work",
                            "arguments": {
                                "parameters": [{"name": "table", "value": "{{workflow.parameters.message}}"}]
                            },
                        }
                    ]
                ],
            },
            {
                "name": "work",
                "inputs": {"parameters": [{"name": "table"}]},
                "container": container(f"{echo(log)}; exit 3"),
            },
        ],
    }


async def test_diagnose_a_really_failed_workflow(stack: E2EStack, mcp: ServerProcess) -> None:
    template = stack.unique("broken")
    await call(
        mcp,
        "create_workflow_template",
        {"manifest": {"metadata": {"name": template}, "spec": _failing_spec()}},
    )
    try:
        name = await _submitted(mcp, "WorkflowTemplate", template, parameters={"message": "orders"})
        assert (await wait_phase(stack, name))["status"]["phase"] in ("Failed", "Error")

        diagnosis = await call(mcp, "diagnose_workflow", {"name": name})
        assert diagnosis["workflow"]["phase"] in ("Failed", "Error")
        failed = diagnosis["failedNodes"]
        assert len(failed) == 1, diagnosis
        node = failed[0]
        assert node["type"] == "Pod" and node["name"] == "load" and node["template"] == "work", node
        assert node["exitCode"] == "3", node
        assert node["inputs"] == {"parameters": {"table": "orders"}}, node
        assert isinstance(node["durationSeconds"], int) and node["pod"]
        assert "fatal: schema mismatch" in node.get("logTail", ""), node
        assert diagnosis["verdict"].startswith("load (work) failed"), diagnosis["verdict"]

        detail = await call(mcp, "get_workflow_node", {"name": name, "node": "load"})
        assert detail["node"]["id"] == node["id"] and detail["node"]["podName"] == node["pod"]
        assert detail["node"]["inputs"]["parameters"] == [{"name": "table", "value": "orders"}]
        logs = await call_text(mcp, "get_pod_logs", {"name": name, "podName": node["pod"]})
        assert "fatal: schema mismatch" in logs
    finally:
        await call(mcp, "delete_workflow_template", {"name": template})
