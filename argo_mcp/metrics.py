"""Prometheus metrics for the HTTP listener's /metrics (what the chart's optional ServiceMonitor scrapes).

Counted in one place, the registry's `run_tool`: calls by tool and outcome, and their duration.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response

REGISTRY = CollectorRegistry(auto_describe=True)
TOOL_CALLS = Counter(
    "argo_mcp_tool_calls_total",
    "Tool calls by tool and outcome (ok, error, invalid, refused).",
    ["tool", "outcome"],
    registry=REGISTRY,
)
TOOL_DURATION = Histogram(
    "argo_mcp_tool_call_duration_seconds",
    "Duration of tool calls, including the Argo requests they make.",
    ["tool"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
    registry=REGISTRY,
)


def record_tool_call(tool: str, outcome: str, seconds: float) -> None:
    TOOL_CALLS.labels(tool=tool, outcome=outcome).inc()
    TOOL_DURATION.labels(tool=tool).observe(seconds)


async def metrics_endpoint(_request: Request) -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
