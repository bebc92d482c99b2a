"""Prometheus metrics for the HTTP listener's /metrics (what the chart's optional ServiceMonitor scrapes).

Tool calls are counted in one place, the registry's `run_tool` (by tool and outcome, with durations); requests
to Argo in one place, the Argo client (by operation, a route template such as `GET /api/v1/workflows/{}/{}`,
and code: the HTTP status, or unreachable, timeout, tls, too_large). Build info and the process collector come
with them.
Names follow Prometheus conventions (a test checks them): `argo_mcp_` prefix, `_total` counters, `_seconds`.
"""

from __future__ import annotations

import re
import sys

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from starlette.requests import Request
from starlette.responses import Response

from argo_mcp import __version__

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

ARGO_REQUESTS = Counter(
    "argo_mcp_argo_requests_total",
    "Requests to the Argo Server by operation (route template) and code (HTTP status, unreachable, timeout, tls, "
    "too_large).",
    ["operation", "code"],
    registry=REGISTRY,
)
ARGO_DURATION = Histogram(
    "argo_mcp_argo_request_duration_seconds",
    "Duration of requests to the Argo Server until the answer's headers (streams: until they open).",
    ["operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=REGISTRY,
)
BUILD_INFO = Gauge(
    "argo_mcp_build_info",
    "Always 1; labels carry the argo-mcp and Python versions.",
    ["version", "python"],
    registry=REGISTRY,
)
BUILD_INFO.labels(version=__version__, python=".".join(map(str, sys.version_info[:3]))).set(1)
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)

# Path segments kept as they are in an operation label; every other segment after the resource is a name,
# namespace or UID and becomes "{}", so the label's cardinality is bounded by Argo's routes.
_ACTIONS = frozenset(
    {"log", "logs", "lint", "submit", "suspend", "resume", "retry", "resubmit", "stop", "terminate", "set",
     "outputs", "inputs", "events"}
)  # fmt: skip
_PREFIX = re.compile(r"^/(api/v1/(?:stream/)?[a-z-]+|artifact-files|input-artifacts|artifacts)(/.*)?$")


def operation_of(method: str, path: str) -> str:
    """``GET /api/v1/workflows/team-a/wf-1/log`` -> ``GET /api/v1/workflows/{}/{}/log``."""
    match = _PREFIX.match(path.split("?", 1)[0])
    if match is None:
        return f"{method} other"
    rest = [seg if seg in _ACTIONS else "{}" for seg in (match[2] or "").split("/") if seg]
    return "/".join([f"{method} /{match[1]}", *rest])


def record_argo_request(operation: str, code: str, seconds: float) -> None:
    ARGO_REQUESTS.labels(operation=operation, code=code).inc()
    ARGO_DURATION.labels(operation=operation).observe(seconds)


def record_tool_call(tool: str, outcome: str, seconds: float) -> None:
    TOOL_CALLS.labels(tool=tool, outcome=outcome).inc()
    TOOL_DURATION.labels(tool=tool).observe(seconds)


async def metrics_endpoint(_request: Request) -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
