"""Prometheus metrics for the HTTP listener's /metrics (what the chart's optional ServiceMonitor scrapes).

Counted where each thing happens, once:
- calls, at the end of the call pipeline (calls/audit.py): every call by MCP method (`argo_mcp_calls_total`:
  tools/call, resources/read, resources/list, completion/complete, subscribe, tasks/*), and tool calls alone
  (`argo_mcp_tool_calls_total`, with durations), so a completion or a resource read is never a tool call;
- admission (calls/admission.py): calls in flight and their limits per budget (short, long, per caller), and
  the calls refused for a full budget (the server's own "429": the call is answered with an error, not sent);
- HTTP (transport/): requests by path and status, refusals by status and reason (401, 403, 421, 429, 503),
  open connections;
- Argo: requests by operation (a route template such as `GET /api/v1/workflows/{}/{}`) and code (the HTTP
  status, or unreachable, timeout, tls, too_large, cancelled), and `argo_mcp_argo_up` per Argo server: 1 when Argo last
  answered (a readiness probe or any request), 0 when it did not;
- tasks created, task results being waited for, and open workflow subscriptions and upstream watches.
Build info and the process collector come with them. Gauges of live state are read at scrape time from the
objects that hold it (`watch_*`), so the hot path pays nothing for them.
Names follow Prometheus conventions (a test checks them): `argo_mcp_` prefix, `_total` counters, `_seconds`.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

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
CALLS = Counter(
    "argo_mcp_calls_total",
    "Calls through the call pipeline by MCP method (tools/call, resources/read, resources/list, "
    "completion/complete, subscribe, tasks/get, tasks/result, tasks/cancel), outcome and target (the Argo "
    "server of a targets file; `default` without one).",
    ["method", "outcome", "target"],
    registry=REGISTRY,
)
CALLS_IN_FLIGHT = Gauge(
    "argo_mcp_calls_in_flight",
    "Calls holding an admission slot now, by budget (short: --max-inflight-calls; long: --max-long-calls; "
    "busiest_caller_long: the most long calls any one caller holds, against --max-long-calls-per-caller).",
    ["budget"],
    registry=REGISTRY,
)
CALLS_LIMIT = Gauge(
    "argo_mcp_calls_in_flight_limit",
    "The admission limit of each budget (short, long, busiest_caller_long: the per-caller cap of long calls).",
    ["budget"],
    registry=REGISTRY,
)
CALLS_REFUSED_BUSY = Counter(
    "argo_mcp_calls_refused_busy_total",
    "Calls not admitted, by budget (short, long) and reason (limit: the budget is full; share: the caller "
    "holds its fair share while others wait; per_caller: the per-caller cap of long calls).",
    ["budget", "reason"],
    registry=REGISTRY,
)
TASKS_CREATED = Counter(
    "argo_mcp_tasks_created_total",
    "Tasks created (a long call answered with a task id). Argo is the task store, so a replica cannot count the "
    "tasks still open; task_results_waiting counts the tasks/result calls it holds.",
    registry=REGISTRY,
)
TASK_RESULTS_WAITING = Gauge(
    "argo_mcp_task_results_waiting",
    "tasks/result calls (2025-11-25 tasks) now waiting for their workflow to end.",
    registry=REGISTRY,
)
SUBSCRIPTIONS_OPEN = Gauge(
    "argo_mcp_subscriptions_open",
    "Workflow subscriptions open (subscriptions/listen and resources/subscribe).",
    registry=REGISTRY,
)
WATCHES_OPEN = Gauge(
    "argo_mcp_workflow_watches_open",
    "Upstream Argo watches open for subscriptions (one per watched workflow, shared by its subscribers).",
    registry=REGISTRY,
)

HTTP_REQUESTS = Counter(
    "argo_mcp_http_requests_total",
    "HTTP requests answered, by path (/mcp, /healthz, /readyz, /metrics, /.well-known, other) and status.",
    ["path", "status"],
    registry=REGISTRY,
)
HTTP_REFUSALS = Counter(
    "argo_mcp_http_refusals_total",
    "HTTP requests refused before any call ran, by status (401, 403, 421, 429, 503) and reason "
    "(unauthorized, origin, host, connection_limit, token_check, ...).",
    ["status", "reason"],
    registry=REGISTRY,
)
HTTP_CONNECTIONS = Gauge(
    "argo_mcp_http_connections_open",
    "HTTP connections open now (idle keep-alive ones included), against --max-connections.",
    registry=REGISTRY,
)
HTTP_CONNECTIONS_LIMIT = Gauge(
    "argo_mcp_http_connections_limit",
    "--max-connections: at this many open connections a new one evicts an idle one or is answered 503.",
    registry=REGISTRY,
)

ARGO_UP = Gauge(
    "argo_mcp_argo_up",
    "1 when the Argo server last answered (a readiness probe or any request), 0 when it did not (unreachable, "
    "timeout, TLS failure, or a 502/503/504 from the proxy in front of it); by server URL.",
    ["server"],
    registry=REGISTRY,
)

ARGO_REQUESTS = Counter(
    "argo_mcp_argo_requests_total",
    "Requests to the Argo Server by operation (route template) and code (HTTP status, unreachable, timeout, tls, "
    "too_large; cancelled: the caller left first).",
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


_NOT_ANSWERED = frozenset({"unreachable", "timeout", "tls", "502", "503", "504"})


def server_label(url: str) -> str:
    """An Argo URL as a label: scheme, host and port, never a user, password, path or query."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")


def record_argo_up(server: str, up: bool) -> None:
    ARGO_UP.labels(server=server_label(server)).set(1 if up else 0)


def record_argo_request(operation: str, code: str, seconds: float, server: str | None = None) -> None:
    ARGO_REQUESTS.labels(operation=operation, code=code).inc()
    ARGO_DURATION.labels(operation=operation).observe(seconds)
    if server is not None:
        record_argo_up(server, code not in _NOT_ANSWERED)


def record_call(method: str, tool: str, outcome: str, seconds: float, target: str = "default") -> None:
    """One finished call: by method and target always; as a tool call only when it was one (tools/call)."""
    CALLS.labels(method=method, outcome=outcome, target=target).inc()
    if method == "tools/call":
        TOOL_CALLS.labels(tool=tool, outcome=outcome).inc()
        TOOL_DURATION.labels(tool=tool).observe(seconds)


def record_tool_call(tool: str, outcome: str, seconds: float) -> None:
    record_call("tools/call", tool, outcome, seconds)


def record_busy(budget: str, reason: str) -> None:
    CALLS_REFUSED_BUSY.labels(budget=budget, reason=reason).inc()


# Paths as labels: the routes argo-mcp serves, everything else is "other" (bounded cardinality).
_PATHS = ("/mcp", "/healthz", "/readyz", "/metrics")


def path_label(path: str) -> str:
    if path in _PATHS:
        return path
    return "/.well-known" if path.startswith("/.well-known/") else "other"


def record_http(path: str, status: int) -> None:
    HTTP_REQUESTS.labels(path=path_label(path), status=str(status)).inc()


def record_http_refusal(status: int, reason: str) -> None:
    HTTP_REFUSALS.labels(status=str(status), reason=reason).inc()


def watch_budgets(budgets: Mapping[str, tuple[Callable[[], float], Callable[[], float]]]) -> None:
    """Read each admission budget's calls in flight and its limit at scrape time (Admission.readings; the last
    server built wins: one per process)."""
    for name, (running, limit) in budgets.items():
        CALLS_IN_FLIGHT.labels(budget=name).set_function(running)
        CALLS_LIMIT.labels(budget=name).set_function(limit)


def watch_subscriptions(open_subscriptions: Callable[[], int], open_watches: Callable[[], int]) -> None:
    SUBSCRIPTIONS_OPEN.set_function(open_subscriptions)
    WATCHES_OPEN.set_function(open_watches)


def watch_connections(open_connections: Callable[[], int], limit: int) -> None:
    HTTP_CONNECTIONS.set_function(open_connections)
    HTTP_CONNECTIONS_LIMIT.set(limit)


async def metrics_endpoint(_request: Request) -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
