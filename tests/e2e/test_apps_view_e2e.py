"""The MCP Apps workflow view in a real browser, on the real stack: real workflows run on the real node.

Headless Chromium opens the stand-in host page (tests/e2e/apps_host/host.html), which reads the view from a real
argo-mcp (resources/read), gives it the tool result of a real workflow, and proxies the view's tools/call back to
that argo-mcp, which asks the real Argo Server with a ServiceAccount token (Kubernetes RBAC decides). The checks
are what a person sees: every node with its phase in words, the failed node's message as Argo wrote it, a node's
real log lines and its real output parameter after a click, and a running workflow followed until it ends.
Screenshots are kept under tmp/artifacts/apps-view (or $ARGO_MCP_ARTIFACTS/apps-view): *-e2e.png.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from tests.e2e import workloads
from tests.e2e.mcp_support import WF, start_with_token
from tests.e2e.stack.fixture import E2EStack
from tests.support.apps_host import apps_host
from tests.support.browser import chromium
from tests.support.processes import ServerProcess
from tests.support.view_checks import (
    VIEW,
    artifacts_dir,
    click_node,
    drawn_nodes,
    enter_on_node,
    logs_shown,
    node_outputs_shown,
)

STATUS = "document.getElementById('status').innerText"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def mcp(stack: E2EStack, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ServerProcess]:
    """argo-mcp in bearer-file mode with the full-access ServiceAccount's token (reads workflows and logs)."""
    tmp = tmp_path_factory.mktemp("mcp-view")
    server = await start_with_token(stack, tmp, stack.mint_token(stack.full_sa, seconds=3600))
    yield server
    await server.stop()


def _dag(prefix: str, tasks: list[dict[str, Any]], templates: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": WF,
        "kind": "Workflow",
        "metadata": {"generateName": f"{prefix}-"},
        "spec": {
            "entrypoint": "dag",
            "templates": [{"name": "dag", "dag": {"tasks": tasks}}, *templates],
        },
    }


def _failing_diamond() -> dict[str, Any]:
    """A → (B, C) → D: A writes an output parameter, C logs two lines and exits 3, so D never runs."""
    return _dag(
        "view-fail",
        [
            {"name": "A", "template": "produce"},
            {"name": "B", "template": "ok", "dependencies": ["A"]},
            {"name": "C", "template": "boom", "dependencies": ["A"]},
            {"name": "D", "template": "ok", "dependencies": ["B", "C"]},
        ],
        [
            {
                "name": "produce",
                "container": workloads.container(workloads.echo("counting rows") + "; printf 42 > /tmp/rows"),
                "outputs": {"parameters": [{"name": "rows", "valueFrom": {"path": "/tmp/rows"}}]},
            },
            {"name": "ok", "container": workloads.container(workloads.echo("all good"))},
            {
                "name": "boom",
                "container": workloads.container(
                    workloads.echo("loading rows") + "; " + workloads.echo("boom: 3") + "; exit 3"
                ),
            },
        ],
    )


def _short_sleep() -> dict[str, Any]:
    """A (sleeps a few seconds) → B: running long enough for the view to see it run, then succeeding."""
    return _dag(
        "view-run",
        [{"name": "A", "template": "nap"}, {"name": "B", "template": "ok", "dependencies": ["A"]}],
        [
            {"name": "nap", "container": workloads.container("sleep 15; " + workloads.echo("awake"))},
            {"name": "ok", "container": workloads.container(workloads.echo("after the nap"))},
        ],
    )


async def test_a_real_failed_dag_is_drawn_and_a_click_shows_its_real_logs_and_outputs(
    stack: E2EStack, mcp: ServerProcess
) -> None:
    name = stack.submit_workflow(_failing_diamond())
    wf = await asyncio.to_thread(stack.wait_for_workflow, name, timeout=180)
    assert wf["status"]["phase"] == "Failed", wf["status"]
    real = {n["displayName"]: n for n in wf["status"]["nodes"].values()}
    assert {"A", "B", "C", "D", name} <= set(real), sorted(real)
    assert real["C"]["phase"] == "Failed" and real["C"].get("message"), real["C"]

    async with (
        apps_host(mcp.url, "get_workflow_graph", {"name": name}) as host,
        chromium() as browser,
    ):
        page = await browser.open(host.url)
        await page.wait_for(f"{STATUS} === 'Finished'", frame=VIEW, timeout=60)
        drawn = {n["name"]: n for n in await drawn_nodes(page)}
        # every node Argo recorded is drawn, visible, with its phase in words (not only a colour)
        assert set(drawn) == set(real), (sorted(drawn), sorted(real))
        for display, node in real.items():
            assert drawn[display]["visible"], display
            assert node["phase"] in drawn[display]["text"], (display, node["phase"], drawn[display])
        # the failed node carries the message Argo's controller wrote
        assert real["C"]["message"] in drawn["C"]["label"], drawn["C"]
        assert real["C"]["message"].split(":")[0] in drawn["C"]["text"]
        assert drawn["A"]["top"] < drawn["B"]["top"] == drawn["C"]["top"] < drawn["D"]["top"]
        header = await page.evaluate("document.querySelector('header').innerText", frame=VIEW)
        assert f"{stack.namespace}/{name}" in header and "Failed" in header

        # a mouse click on C: the real container's lines, read by the kubelet, through the host's tools/call
        await click_node(page, "C")
        logs = await logs_shown(page, "boom: 3")
        assert "loading rows" in logs
        assert "exit code 3" in await node_outputs_shown(page, "exit code")
        await page.screenshot(artifacts_dir() / "failed-dag-e2e.png")

        # the keyboard on A: its log, and the output parameter argoexec read from the real file
        await enter_on_node(page, "A")
        await logs_shown(page, "counting rows")
        assert "rows = 42" in await node_outputs_shown(page, "rows = 42")
        await page.screenshot(artifacts_dir() / "node-outputs-e2e.png")

    called = [c["name"] for c in host.calls]
    assert called.count("get_workflow") == 1, called  # finished: looked at once, not polled
    assert {"get_workflow_graph", "get_workflow_logs", "get_workflow_node"} <= set(called)
    logs_asked = [c["arguments"] for c in host.calls if c["name"] == "get_workflow_logs"]
    assert [a.get("container") for a in logs_asked] == ["main", "main"], logs_asked
    assert (artifacts_dir() / "failed-dag-e2e.png").stat().st_size > 10_000


async def test_the_view_of_a_real_running_workflow_updates_when_it_finishes(
    stack: E2EStack, mcp: ServerProcess
) -> None:
    name = stack.submit_workflow(_short_sleep())
    await asyncio.to_thread(stack.wait_for_node_phase, name, "A", "Running", None, 120)

    async with (
        apps_host(mcp.url, "get_workflow", {"name": name}) as host,
        chromium() as browser,
    ):
        page = await browser.open(host.url)
        await page.wait_for(
            "document.querySelector('.node[data-node=\"A\"]')?.innerText.includes('Running')", frame=VIEW
        )
        assert (await page.evaluate(STATUS, frame=VIEW)).startswith("Running: refreshing every")
        assert "Running" in await page.evaluate("document.getElementById('phase').innerText", frame=VIEW)
        await page.screenshot(artifacts_dir() / "running-e2e.png")

        # no reload, no new tool result: the view's own refresh sees the real workflow end
        await page.wait_for(f"{STATUS} === 'Finished'", frame=VIEW, timeout=150)
        assert "Succeeded" in await page.evaluate("document.getElementById('phase').innerText", frame=VIEW)
        drawn = {n["name"]: n for n in await drawn_nodes(page)}
        assert {"A", "B", name} <= set(drawn)
        for display in ("A", "B", name):
            assert "Succeeded" in drawn[display]["text"], drawn[display]
        await page.screenshot(artifacts_dir() / "running-then-succeeded-e2e.png")
        looks = sum(1 for c in host.calls if c["name"] == "get_workflow")
        assert looks >= 2, "the view never refreshed"
        await asyncio.sleep(6)  # longer than its refresh interval
        assert sum(1 for c in host.calls if c["name"] == "get_workflow") == looks, "polled after the end"
    wf = stack.get_workflow(name) or {}
    assert wf.get("status", {}).get("phase") == "Succeeded"
