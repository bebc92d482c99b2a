"""/metrics: Argo request metrics, build info and process metrics, all named by Prometheus conventions."""

from __future__ import annotations

import re

import httpx2
import pytest
from prometheus_client.parser import text_string_to_metric_families

from argo_mcp import metrics
from argo_mcp.metrics import operation_of
from tests.support.fake_argo import FakeArgo
from tests.support.processes import ServerProcess, http_client
from tests.support.samples import VERSION

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
