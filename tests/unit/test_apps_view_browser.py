"""The workflow view in a real browser (headless Chromium), against a real argo-mcp and the Argo stand-in.

A stand-in host page (tests/e2e/apps_host/host.html) implements the host side of the MCP Apps bridge: it reads
the view with resources/read, gives it a real get_workflow_graph result, and proxies its tools/call to argo-mcp.
The checks are what a person sees: every node with its phase in words, the failed node's message, a node's log
lines and its own outputs after a click (mouse) or Enter (keyboard), the view following a running workflow until it ends, and the
host's theme. A screenshot of each is kept under tmp/artifacts/apps-view (or $ARGO_MCP_ARTIFACTS)."""

from __future__ import annotations

import copy
from typing import Any

from argo_mcp.tools.shaping import pod_name
from tests.support.apps_host import apps_host
from tests.support.browser import chromium
from tests.support.fake_argo import FakeArgo, ndjson_log
from tests.support.processes import ServerProcess
from tests.support.samples import dag_workflow
from tests.support.view_checks import (
    VIEW,
    artifacts_dir,
    click_node,
    drawn_nodes,
    enter_on_node,
    logs_shown,
    node_outputs_shown,
)


def _running(wf: dict[str, Any]) -> dict[str, Any]:
    """The same DAG earlier: C still running, D not started."""
    wf = copy.deepcopy(wf)
    wf["status"]["phase"] = "Running"
    nodes = wf["status"]["nodes"]
    nodes["diamond"].update(phase="Running")
    nodes["diamond"].pop("finishedAt")
    nodes["diamond-c"].update(phase="Running")
    nodes["diamond-c"].pop("finishedAt")
    nodes["diamond-c"].pop("message")
    nodes["diamond-d"].update(phase="Pending")
    return wf


async def test_a_failed_dag_is_drawn_and_a_click_shows_the_node_logs(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    wf = dag_workflow()
    nodes = wf["status"]["nodes"]
    nodes["diamond-b"]["outputs"] = {
        "parameters": [{"name": "rows", "value": "42"}],
        "artifacts": [{"name": "report", "s3": {"key": "diamond/diamond-b/report.tgz"}}],
        "exitCode": "0",
    }
    nodes["diamond-c"]["outputs"] = {"exitCode": "3"}
    wf["status"]["outputs"] = {"parameters": [{"name": "total", "value": "7"}]}
    argo.on("WorkflowService_GetWorkflow", wf)
    failed_pod = pod_name("diamond", wf["status"]["nodes"]["diamond-c"])
    argo.on(
        "WorkflowService_WorkflowLogs",
        stream=ndjson_log([(failed_pod, "loading rows"), (failed_pod, "boom: 3")]),
    )
    async with (
        apps_host(shared_server.url, "get_workflow_graph", {"name": "diamond"}) as host,
        chromium() as browser,
    ):
        page = await browser.open(host.url)
        await page.wait_for("document.querySelectorAll('.node').length === 5", frame=VIEW)
        await page.wait_for("document.getElementById('status').innerText === 'Finished'", frame=VIEW)
        nodes = {n["name"]: n for n in await drawn_nodes(page)}
        assert set(nodes) == {"diamond", "A", "B", "C", "D"}
        for node in wf["status"]["nodes"].values():
            drawn = nodes[node["displayName"]]
            assert drawn["visible"]
            assert node["phase"] in drawn["text"], drawn  # the phase in words, not only a colour
            assert node["phase"] in drawn["cls"]
        assert "Error (exit code 3)" in nodes["C"]["text"]
        assert "hunter2" not in nodes["C"]["text"]
        # layered like Argo's UI: A above B and C, which sit side by side above D
        assert nodes["A"]["top"] < nodes["B"]["top"] == nodes["C"]["top"] < nodes["D"]["top"]
        header = await page.evaluate("document.querySelector('header').innerText", frame=VIEW)
        assert "argo/diamond" in header and "Failed" in header

        await click_node(page, "C")
        logs = await logs_shown(page, "boom: 3")
        assert "loading rows" in logs
        info = await page.evaluate("document.getElementById('d-info').innerText", frame=VIEW)
        assert f"pod {failed_pod}" in info
        await node_outputs_shown(page, "exit code 3")
        # the node's own outputs beside the workflow's: both in words
        assert "total" in await page.evaluate("document.getElementById('d-outputs').innerText", frame=VIEW)
        await page.screenshot(artifacts_dir() / "failed-dag-unit.png")

        await enter_on_node(page, "B")
        await page.wait_for("document.getElementById('d-title').innerText === 'B'", frame=VIEW)
        shown = await node_outputs_shown(page, "rows = 42")
        assert "artifact report (s3 diamond/diamond-b/report.tgz)" in shown and "exit code 0" in shown
        assert "exit code 3" not in shown  # C's outputs are not left behind
        await page.screenshot(artifacts_dir() / "node-outputs-unit.png")

    calls = [(c["name"], c.get("arguments", {})) for c in host.calls]
    assert ("get_workflow_graph", {"name": "diamond", "namespace": "argo", "format": "mermaid"}) in calls or (
        "get_workflow_graph",
        {"name": "diamond", "format": "mermaid"},
    ) in calls
    assert [args["node"] for name, args in calls if name == "get_workflow_node"] == ["C", "B"]
    logs_calls = [args for name, args in calls if name == "get_workflow_logs"]
    assert logs_calls[0]["podName"] == failed_pod and logs_calls[0]["container"] == "main"
    assert logs_calls[1]["podName"] == pod_name("diamond", wf["status"]["nodes"]["diamond-b"])
    # a finished workflow is not polled again: one look at it, then the logs asked for
    assert sum(1 for name, _ in calls if name == "get_workflow") == 1
    assert (artifacts_dir() / "failed-dag-unit.png").stat().st_size > 10_000


async def test_the_view_follows_a_running_workflow_until_it_ends_in_the_host_theme(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    finished = dag_workflow()
    argo.on("WorkflowService_GetWorkflow", _running(finished))
    async with (
        apps_host(shared_server.url, "get_workflow", {"name": "diamond"}, theme="dark") as host,
        chromium() as browser,
    ):
        page = await browser.open(host.url)
        await page.wait_for(
            "document.querySelector('.node[data-node=\"C\"]')?.innerText.includes('Running')", frame=VIEW
        )
        status = await page.evaluate("document.getElementById('status').innerText", frame=VIEW)
        assert status.startswith("Running: refreshing every")
        assert await page.evaluate("document.documentElement.dataset.theme", frame=VIEW) == "dark"
        background = await page.evaluate("getComputedStyle(document.body).backgroundColor", frame=VIEW)
        assert background == "rgb(20, 24, 29)"
        argo.on("WorkflowService_GetWorkflow", finished)
        await page.wait_for(
            "document.getElementById('status').innerText === 'Finished'", frame=VIEW, timeout=30
        )
        nodes = {n["name"]: n for n in await drawn_nodes(page)}
        assert "Failed" in nodes["C"]["text"] and "Omitted" in nodes["D"]["text"]
        await page.screenshot(artifacts_dir() / "running-then-failed-dark-unit.png")
        looks = sum(1 for c in host.calls if c["name"] == "get_workflow")
        await page.evaluate("new Promise(r => setTimeout(r, 5000))", frame=VIEW)
        assert sum(1 for c in host.calls if c["name"] == "get_workflow") == looks, "polled after the end"
