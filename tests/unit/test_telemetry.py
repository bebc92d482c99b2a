"""OpenTelemetry tracing: off (and unimported) by default, on through the standard OTEL_* variables, a tool
span with its Argo child span, the client's trace context from `_meta`, and no token anywhere in a span."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from mcp_types import RequestParamsMeta
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from argo_mcp import telemetry
from tests.support.fake_argo import FakeArgo
from tests.support.processes import REPO, clean_env, http_client, start_argo_mcp, text_of
from tests.support.samples import VERSION

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({}, None),
        ({"OTEL_SERVICE_NAME": "argo-mcp"}, None),  # naming the service alone traces nothing
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, "OTEL_EXPORTER_OTLP_ENDPOINT"),
        (
            {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces"},
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        ),
        ({"OTEL_TRACES_EXPORTER": "console"}, "OTEL_TRACES_EXPORTER"),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, None),
        ({"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, None),
    ],
)
def test_only_the_standard_variables_turn_tracing_on(env: dict[str, str], variable: str | None) -> None:
    assert telemetry.requested(env) == variable


def test_an_exporter_argo_mcp_cannot_use_is_named() -> None:
    with pytest.raises(telemetry.TelemetryError, match="OTEL_TRACES_EXPORTER='zipkin': argo-mcp exports"):
        telemetry.configure({"OTEL_TRACES_EXPORTER": "zipkin"})
    with pytest.raises(telemetry.TelemetryError, match="OTEL_EXPORTER_OTLP_PROTOCOL='grpc': argo-mcp sends"):
        telemetry.configure(
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}
        )
    assert not telemetry.enabled()


def test_off_loads_no_opentelemetry_sdk_and_costs_one_test_per_request() -> None:
    """A server process without OTEL_* imports neither the SDK nor an exporter, and a request's span is a
    shared do-nothing object (measured here: well under a microsecond of the thread's CPU time, which other load
    on the host does not inflate)."""
    probe = (
        "import sys, time\n"
        "from argo_mcp import telemetry\n"
        "assert telemetry.configure({}) is False\n"
        "import argo_mcp.app, argo_mcp.server, argo_mcp.argo.client\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(('opentelemetry.sdk', 'opentelemetry.exporter')))\n"
        "assert not loaded, loaded\n"
        "headers = {}\n"
        "n = 200_000\n"
        "t = time.thread_time()\n"
        "for _ in range(n):\n"
        "    with telemetry.argo_span('GET /api/v1/version', 'http://argo:2746', headers) as span:\n"
        "        span.finish('200')\n"
        "assert headers == {}, headers  # no traceparent when off\n"
        "print((time.thread_time() - t) / n * 1e9)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=clean_env(), cwd=REPO, check=False
    )
    assert proc.returncode == 0, proc.stderr
    nanoseconds = float(proc.stdout)
    assert nanoseconds < 2000, f"{nanoseconds:.0f} ns per request with tracing off"


def test_the_missing_extra_is_one_clear_line(tmp_path: Path) -> None:
    """OTEL_* set but no SDK installed: exit 2 with what to install, not a traceback."""
    blocker = tmp_path / "block"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(
        "import sys\n"
        "class _Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.startswith('opentelemetry.sdk'):\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, _Block())\n"
    )
    env = clean_env({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1"})
    env["PYTHONPATH"] = f"{blocker}:{env['PYTHONPATH']}"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "argo_mcp",
            "--argo-server-url",
            "http://argo:2746",
            "--argo-auth-mode",
            "none",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "argo-mcp: error: OpenTelemetry tracing is configured (OTEL_EXPORTER_OTLP_ENDPOINT) but its packages "
        "are not installed (opentelemetry.sdk is missing); install them with: pip install 'argo-mcp[otel]', "
        "or unset the OTEL_* variables"
    ], proc.stderr


class Collector:
    """An OTLP/HTTP trace receiver in the test process: what the server exported, span by span."""

    def __init__(self) -> None:
        self.spans: list[Any] = []
        self.resources: list[dict[str, Any]] = []

    async def receive(self, request: web.Request) -> web.Response:
        export = ExportTraceServiceRequest.FromString(await request.read())
        for resource_spans in export.resource_spans:
            self.resources.append({a.key: a.value.string_value for a in resource_spans.resource.attributes})
            for scope_spans in resource_spans.scope_spans:
                self.spans.extend(scope_spans.spans)
        return web.Response(status=200)

    async def wait_for(self, *names: str, timeout: float = 20) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = {s.name: s for s in self.spans}
            if all(name in found for name in names):
                return found
            await asyncio.sleep(0.05)
        raise AssertionError(f"spans {names} not exported; got {[s.name for s in self.spans]}")


@pytest.fixture
async def collector() -> AsyncIterator[tuple[Collector, str]]:
    received = Collector()
    app = web.Application()
    app.router.add_post("/v1/traces", received.receive)
    async with TestServer(app) as server:
        yield received, str(server.make_url("")).rstrip("/")


def _attributes(span: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for attribute in span.attributes:
        value = attribute.value
        out[attribute.key] = value.string_value if value.HasField("string_value") else value.int_value
    return out


async def test_a_tool_span_with_its_argo_child_in_the_clients_trace(
    argo: FakeArgo, argo_url: str, tmp_path: Path, collector: tuple[Collector, str]
) -> None:
    received, endpoint = collector
    argo.on("InfoService_GetVersion", VERSION)
    secret = "bearer-secret-for-the-trace-test"
    server = await start_argo_mcp(
        tmp_path,
        "--argo-server-url",
        argo_url,
        "--argo-auth-mode",
        "bearer",
        env={
            "ARGO_TOKEN": secret,
            "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
            "OTEL_BSP_SCHEDULE_DELAY": "50",
        },
    )
    try:
        async with http_client(server.url) as client:
            traceparent = f"00-{TRACE_ID}-{PARENT_ID}-01"
            # W3C trace context, as a client sends it (an extra key mypy's TypedDict support does not know).
            meta = cast(RequestParamsMeta, {"traceparent": traceparent})
            result = await client.call_tool("get_argo_version", {}, meta=meta)
            assert not result.is_error, text_of(result)
        spans = await received.wait_for("tools/call get_argo_version", "GET /api/v1/version")
    finally:
        await server.stop()
    tool, request = spans["tools/call get_argo_version"], spans["GET /api/v1/version"]
    assert tool.trace_id.hex() == TRACE_ID and tool.parent_span_id.hex() == PARENT_ID  # the client's trace
    assert request.trace_id == tool.trace_id and request.parent_span_id == tool.span_id  # Argo's is a child
    assert _attributes(tool)["gen_ai.tool.name"] == "get_argo_version"
    assert _attributes(request) == {
        "http.request.method": "GET",
        "url.template": "/api/v1/version",
        "server.address": "127.0.0.1",
        "server.port": int(argo_url.rsplit(":", 1)[1].split("/", maxsplit=1)[0]),
        "http.response.status_code": 200,
    }
    # Argo is handed the trace context of the request span, not the token in any span.
    sent = argo.last("InfoService_GetVersion").headers
    assert sent["traceparent"] == f"00-{TRACE_ID}-{request.span_id.hex()}-01"
    assert sent["Authorization"] == f"Bearer {secret}"
    exported = b"".join(span.SerializeToString() for span in received.spans)
    assert secret.encode() not in exported
    assert received.resources[0]["service.name"] == "argo-mcp"


async def test_a_tool_span_names_its_target(
    argo: FakeArgo, argo_url: str, tmp_path: Path, collector: tuple[Collector, str]
) -> None:
    received, endpoint = collector
    argo.on("InfoService_GetVersion", VERSION)
    targets = tmp_path / "targets.yaml"
    targets.write_text(
        "defaultTarget: first\n"
        "targets:\n"
        "  - {name: first, argoServer: {url: 'http://127.0.0.1:9'}, auth: {mode: none}}\n"
        f"  - {{name: second, argoServer: {{url: '{argo_url}'}}, auth: {{mode: none}}}}\n"
    )
    server = await start_argo_mcp(
        tmp_path,
        "--targets-file",
        str(targets),
        env={"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_BSP_SCHEDULE_DELAY": "50"},
    )
    try:
        async with http_client(server.url) as client:
            result = await client.call_tool("get_argo_version", {"target": "second"})
            assert not result.is_error, text_of(result)
        spans = await received.wait_for("tools/call get_argo_version", "GET /api/v1/version")
    finally:
        await server.stop()
    assert _attributes(spans["tools/call get_argo_version"])["argo_mcp.target"] == "second"
