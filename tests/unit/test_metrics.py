"""/metrics: Argo request metrics, build info and process metrics, all named by Prometheus conventions; the HTTP
side, admission budgets, Argo's state and each MCP method's calls, asserted by scraping a real server."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx2
import mcp_types as types
import pytest
from prometheus_client.parser import text_string_to_metric_families

from argo_mcp import metrics
from argo_mcp.metrics import operation_of
from argo_mcp.transport.access_log import log_refusal
from tests.support.fake_argo import FakeArgo, Workflow
from tests.support.processes import ServerProcess, closed_url, http_client, start_without_argo_auth
from tests.support.samples import VERSION

DEBUG = types.PromptReference(type="ref/prompt", name="debug_failed_workflow")

# Process and platform collectors keep their standard names; everything of ours carries the prefix.
STANDARD_PREFIXES = ("process_", "python_")
VALID_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
BASE_UNITS = ("_seconds", "_bytes", "_total", "_info", "_ratio")


def test_every_metric_follows_prometheus_naming_conventions() -> None:
    families = list(metrics.REGISTRY.collect())
    assert {f.name for f in families} >= {
        "argo_mcp_tool_calls",
        "argo_mcp_tool_call_duration_seconds",
        "argo_mcp_argo_requests",
        "argo_mcp_argo_request_duration_seconds",
        "argo_mcp_build_info",
        "process_resident_memory_bytes",
    }
    for family in families:
        assert VALID_NAME.match(family.name), family.name
        if family.name.startswith(STANDARD_PREFIXES):
            continue
        assert family.name.startswith("argo_mcp_"), f"{family.name}: missing the argo_mcp_ prefix"
        assert family.documentation, f"{family.name}: no help text"
        if family.type == "counter":
            assert all(s.name.endswith(("_total", "_created")) for s in family.samples), family.name
        if family.type == "histogram":
            assert family.name.endswith("_seconds"), f"{family.name}: durations are in seconds"
        if family.type == "gauge" and family.name.endswith("_info"):
            assert all(s.value == 1 for s in family.samples), family.name
        for sample in family.samples:
            assert not any(label in ("le_", "quantile_") for label in sample.labels)


@pytest.mark.parametrize(
    ("method", "path", "operation"),
    [
        ("GET", "/api/v1/version", "GET /api/v1/version"),
        ("GET", "/api/v1/workflows/team-a", "GET /api/v1/workflows/{}"),
        ("PUT", "/api/v1/workflows/team-a/wf-1/suspend", "PUT /api/v1/workflows/{}/{}/suspend"),
        ("GET", "/api/v1/workflows/team-a/wf-1/wf-1-pod/log", "GET /api/v1/workflows/{}/{}/{}/log"),
        ("GET", "/api/v1/stream/sensors/team-a/logs?x=1", "GET /api/v1/stream/sensors/{}/logs"),
        (
            "GET",
            "/artifact-files/team-a/workflows/wf/node/outputs/out",
            "GET /artifact-files/{}/{}/{}/{}/outputs/{}",
        ),
        ("GET", "/somewhere/else", "GET other"),
    ],
)
def test_operation_labels_are_route_templates(method: str, path: str, operation: str) -> None:
    assert operation_of(method, path) == operation


async def test_argo_requests_are_counted_by_operation_and_code(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    argo.on("InfoService_GetVersion", VERSION)
    async with http_client(shared_server.url) as client:
        await client.call_tool("get_argo_version", {})
    async with httpx2.AsyncClient() as http:
        text = (await http.get(f"{shared_server.base}/metrics")).text
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    ok = ("argo_mcp_argo_requests_total", (("code", "200"), ("operation", "GET /api/v1/version")))
    assert samples.get(ok, 0) >= 1, sorted(k for k in samples if "argo_requests" in k[0])
    count = ("argo_mcp_argo_request_duration_seconds_count", (("operation", "GET /api/v1/version"),))
    assert samples.get(count, 0) >= 1
    assert any(name == "argo_mcp_build_info" for name, _ in samples)
    assert any(name == "process_resident_memory_bytes" for name, _ in samples)


# ---- the HTTP side, admission, Argo's state and the MCP methods, scraped from a real server ---------------------
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(base: str) -> Samples:
    async with httpx2.AsyncClient() as http:
        text = (await http.get(f"{base}/metrics")).text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


async def test_a_real_server_exports_admission_http_and_method_metrics(
    argo: FakeArgo, argo_url: str, tmp_path: Path
) -> None:
    server = await start_without_argo_auth(
        tmp_path,
        argo_url,
        "--max-inflight-calls", "1",
        "--max-long-calls", "3",
        "--max-long-calls-per-caller", "2",
        "--max-connections", "40",
    )  # fmt: skip

    async def slow_workflow() -> AsyncIterator[bytes]:
        await asyncio.sleep(1.5)
        yield json.dumps(Workflow("slow").json()).encode()

    try:
        argo.on("InfoService_GetVersion", VERSION)
        argo.on("WorkflowService_GetWorkflow", stream=slow_workflow)
        argo.on("WorkflowService_ListWorkflows", {"metadata": {}, "items": [Workflow("hello-1").json()]})
        _idle_reader, idle_writer = await asyncio.open_connection("127.0.0.1", server.port)
        async with http_client(server.url) as first, http_client(server.url) as second:
            slow = asyncio.create_task(first.call_tool("get_workflow", {"name": "slow"}))
            await asyncio.sleep(0.8)
            during = await scrape(server.base)
            refused = await second.complete(DEBUG, {"name": "name", "value": "hel"})
            done = await slow
            argo.on("WorkflowService_GetWorkflow", Workflow("wf").json())
            await second.read_resource("argo://workflows/argo/wf")
        assert not done.is_error and refused.completion.values == []
        async with httpx2.AsyncClient() as http:
            misdirected = await http.post(server.url, headers={"host": "evil.example.com"}, json={})
            cross_origin = await http.post(server.url, headers={"origin": "https://evil.example"}, json={})
            ready = await http.get(f"{server.base}/readyz")
        assert (misdirected.status_code, cross_origin.status_code, ready.status_code) == (421, 403, 200)
        after = await scrape(server.base)
        idle_writer.close()
    finally:
        await server.stop()

    # Calls in flight against their limits, per budget (read while the slow call held the one short slot).
    assert value(during, "argo_mcp_calls_in_flight", budget="short") == 1
    assert value(during, "argo_mcp_calls_in_flight", budget="long") == 0
    assert value(during, "argo_mcp_calls_in_flight_limit", budget="short") == 1
    assert value(during, "argo_mcp_calls_in_flight_limit", budget="long") == 3
    assert value(during, "argo_mcp_calls_in_flight_limit", budget="busiest_caller_long") == 2
    assert value(after, "argo_mcp_calls_in_flight", budget="short") == 0
    assert value(after, "argo_mcp_calls_refused_busy_total", budget="short", reason="limit") == 1
    # Open connections: the idle raw one, the clients' and the scrape's own.
    assert (value(during, "argo_mcp_http_connections_open") or 0) >= 3
    assert value(during, "argo_mcp_http_connections_limit") == 40

    # Each MCP method counted as what it is; only tools/call is a tool call.
    assert value(after, "argo_mcp_calls_total", method="tools/call", outcome="ok", target="default") == 1
    assert (
        value(after, "argo_mcp_calls_total", method="completion/complete", outcome="busy", target="default")
        == 1
    )
    assert value(after, "argo_mcp_calls_total", method="resources/read", outcome="ok", target="default") == 1
    assert value(after, "argo_mcp_tool_calls_total", tool="get_workflow", outcome="ok") == 1
    tool_outcomes = {dict(labels)["outcome"] for name, labels in after if name == "argo_mcp_tool_calls_total"}
    assert tool_outcomes == {"ok"}, "the refused completion and the resource read are not tool calls"

    # HTTP: requests by path and status, refusals by status and reason.
    assert (value(after, "argo_mcp_http_requests_total", path="/mcp", status="200") or 0) >= 4
    assert value(after, "argo_mcp_http_requests_total", path="/mcp", status="421") == 1
    assert value(after, "argo_mcp_http_requests_total", path="/readyz", status="200") == 1
    assert value(after, "argo_mcp_http_refusals_total", status="421", reason="host") == 1
    assert value(after, "argo_mcp_http_refusals_total", status="403", reason="origin") == 1

    # Argo answered (the readiness probe, the calls): up, labelled by the server's URL.
    assert value(after, "argo_mcp_argo_up", server=argo_url) == 1
    # Nothing subscribed, no task made: present and zero.
    assert value(after, "argo_mcp_subscriptions_open") == 0
    assert value(after, "argo_mcp_workflow_watches_open") == 0
    assert value(after, "argo_mcp_task_results_waiting") == 0
    assert value(after, "argo_mcp_tasks_created_total") == 0


async def test_argo_up_is_zero_when_the_readiness_probe_finds_no_argo(tmp_path: Path) -> None:
    argo_url = closed_url()
    server = await start_without_argo_auth(tmp_path, argo_url)
    try:
        async with httpx2.AsyncClient() as http:
            assert (await http.get(f"{server.base}/readyz")).status_code == 503
        samples = await scrape(server.base)
    finally:
        await server.stop()
    assert value(samples, "argo_mcp_argo_up", server=argo_url) == 0
    requests = {dict(labels)["path"] for name, labels in samples if name == "argo_mcp_http_requests_total"}
    assert "/readyz" in requests


def test_argo_server_label_keeps_no_credentials_path_or_query() -> None:
    assert (
        metrics.server_label("https://user:secret@argo.example:2746/base?x=1") == "https://argo.example:2746"
    )
    assert metrics.server_label("http://[::1]:2746") == "http://[::1]:2746"


def test_refusal_reasons_are_a_bounded_set_of_words() -> None:
    """The log line keeps the free-text reason; the metric's label is one word per status, or the refuser's."""
    before = metrics.HTTP_REFUSALS.labels(status="503", reason="connection_limit")._value.get()
    log_refusal(status=503, reason="connection limit: all 2 connections are busy", peer=None, method=None,
                path=None, kind="connection_limit")  # fmt: skip
    log_refusal(
        status=401, reason="invalid_token: expired at 12:00 for alice", peer=None, method="POST", path="/mcp"
    )
    assert metrics.HTTP_REFUSALS.labels(status="503", reason="connection_limit")._value.get() == before + 1
    labels = {s.labels["reason"] for f in metrics.REGISTRY.collect() if f.name == "argo_mcp_http_refusals"
              for s in f.samples if s.name.endswith("_total")}  # fmt: skip
    assert "unauthorized" in labels and not any(" " in label for label in labels)
