"""Optional OpenTelemetry tracing: a span per tool call and per request to Argo, off unless asked for.

On only when the standard variables ask for traces and ``OTEL_SDK_DISABLED`` is not ``true``: an OTLP endpoint
(``OTEL_EXPORTER_OTLP_ENDPOINT`` or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) or ``OTEL_TRACES_EXPORTER``
(``otlp`` or ``console``; ``none`` keeps it off). The SDK and the exporter come with the ``otel`` extra
(``pip install 'argo-mcp[otel]'``) and are imported only then, so a server without tracing loads none of it
and pays one ``is None`` test per Argo request.

- Tool calls: the MCP SDK's own middleware (kept only while tracing is on, see server.py) makes the
  ``tools/call <tool>`` SERVER span, parented on the W3C trace context a client sends in the request's
  ``_meta`` (``traceparent``/``tracestate``).
- Argo requests: :func:`argo_span` makes a CLIENT span named like the metrics' operation label
  (``GET /api/v1/workflows/{}/{}``), a child of the tool span, and passes ``traceparent`` on to Argo.
  Attributes are the method, the route template, the Argo host and the status: never a header, so never a
  token, and never a namespace or object name (they are in the route's ``{}``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from argo_mcp import __version__

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Span, Tracer

MISSING_EXTRA = (
    "OpenTelemetry tracing is configured ({variable}) but its packages are not installed ({module} is "
    "missing); install them with: pip install 'argo-mcp[otel]', or unset the OTEL_* variables"
)
EXPORTERS = ("otlp", "console")


class _Tracing:
    """The process's tracing state: ``tracer`` is set by enable(); None means tracing is off."""

    __slots__ = ("tracer",)

    def __init__(self) -> None:
        self.tracer: Tracer | None = None


_TRACING = _Tracing()


class TelemetryError(RuntimeError):
    """Tracing was asked for but cannot be set up; the message says what to do."""


def requested(env: Mapping[str, str] | None = None) -> str | None:
    """The variable that turns tracing on, or None when the environment leaves it off."""
    env = os.environ if env is None else env
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    exporter = env.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter == "none":
        return None
    if exporter:
        return "OTEL_TRACES_EXPORTER"
    for variable in ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"):
        if env.get(variable, "").strip():
            return variable
    return None


def enabled() -> bool:
    return _TRACING.tracer is not None


def configure(env: Mapping[str, str] | None = None) -> bool:
    """Turn tracing on if the environment asks for it; True when it is on. Raises TelemetryError."""
    env = os.environ if env is None else env
    variable = requested(env)
    if variable is None:
        return False
    exporter_name = env.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower() or "otlp"
    names = [name.strip() for name in exporter_name.split(",") if name.strip()]
    unknown = [name for name in names if name not in EXPORTERS]
    if unknown:
        raise TelemetryError(
            f"OTEL_TRACES_EXPORTER={exporter_name!r}: argo-mcp exports traces with "
            f"{' or '.join(EXPORTERS)} (or none to turn tracing off)"
        )
    for protocol_variable in ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"):
        protocol = env.get(protocol_variable, "").strip()
        if protocol and protocol != "http/protobuf" and "otlp" in names:
            raise TelemetryError(
                f"{protocol_variable}={protocol!r}: argo-mcp sends OTLP as http/protobuf (port 4318 of a "
                "collector); set it to http/protobuf or unset it"
            )
        if protocol:
            break
    try:
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter  # noqa: PLC0415

        exporters: list[SpanExporter] = []
        for name in names:
            if name == "console":  # stderr: stdout is the MCP channel in --stdio mode
                exporters.append(ConsoleSpanExporter(out=sys.stderr))
            else:
                from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # noqa: PLC0415
                    OTLPSpanExporter,
                )

                exporters.append(OTLPSpanExporter())  # endpoint, headers, timeout from OTEL_EXPORTER_OTLP_*
    except ModuleNotFoundError as exc:
        raise TelemetryError(MISSING_EXTRA.format(variable=variable, module=exc.name)) from None
    enable(_provider(exporters, batch=True))
    return True


def _provider(exporters: list[SpanExporter], *, batch: bool) -> TracerProvider:
    from opentelemetry.sdk.resources import Resource  # noqa: PLC0415
    from opentelemetry.sdk.trace import TracerProvider  # noqa: PLC0415
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor  # noqa: PLC0415

    # OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (read by Resource.create) win over these defaults.
    resource = Resource.create({"service.version": __version__})
    if str(resource.attributes.get("service.name", "")).startswith("unknown_service"):
        resource = resource.merge(Resource({"service.name": "argo-mcp"}))
    provider = TracerProvider(resource=resource)
    for exporter in exporters:
        provider.add_span_processor(BatchSpanProcessor(exporter) if batch else SimpleSpanProcessor(exporter))
    return provider


def annotate(key: str, value: str) -> None:
    """An attribute on the current span (the `tools/call` span the SDK opened) when tracing is on."""
    if _TRACING.tracer is None:
        return
    from opentelemetry import trace  # noqa: PLC0415 - loaded already: tracing is on

    trace.get_current_span().set_attribute(key, value)


def enable(provider: TracerProvider) -> None:
    """Install ``provider`` as the process's tracer provider (the MCP SDK's spans use the global one)."""
    from opentelemetry import trace  # noqa: PLC0415

    trace.set_tracer_provider(provider)
    _TRACING.tracer = provider.get_tracer("argo_mcp", __version__)


class _NoSpan:
    """What ``argo_span`` yields when tracing is off: every method does nothing."""

    __slots__ = ()

    def __enter__(self) -> _NoSpan:
        return self

    def __exit__(self, *_: object) -> None:
        return None

    def finish(self, code: str) -> None:
        return None


_NO_SPAN = _NoSpan()


class _ArgoSpan:
    __slots__ = ("_span",)

    def __init__(self, span: Span) -> None:
        self._span = span

    def finish(self, code: str) -> None:
        """``code`` as the metrics have it: the HTTP status, or unreachable, timeout, tls, too_large."""
        from opentelemetry.trace import StatusCode  # noqa: PLC0415

        if code.isdigit():
            self._span.set_attribute("http.response.status_code", int(code))
            if int(code) < 400:
                return
        self._span.set_attribute("error.type", code)
        self._span.set_status(StatusCode.ERROR)


@contextmanager
def _argo_span(
    tracer: Tracer, operation: str, base_url: str, headers: MutableMapping[str, str]
) -> Iterator[_ArgoSpan]:
    from opentelemetry.propagate import inject  # noqa: PLC0415
    from opentelemetry.trace import SpanKind  # noqa: PLC0415

    method, _, route = operation.partition(" ")
    where = urlsplit(base_url)
    attributes: dict[str, Any] = {"http.request.method": method, "url.template": route}
    if where.hostname:
        attributes["server.address"] = where.hostname
    if where.port:
        attributes["server.port"] = where.port
    # Exceptions are not recorded: their messages name objects; finish() sets the outcome instead.
    with tracer.start_as_current_span(
        operation,
        kind=SpanKind.CLIENT,
        attributes=attributes,
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        inject(headers)  # traceparent/tracestate for Argo's own tracing, if it has any
        yield _ArgoSpan(span)


def argo_span(
    operation: str, base_url: str, headers: MutableMapping[str, str]
) -> AbstractContextManager[_NoSpan | _ArgoSpan]:
    """A CLIENT span around one request to Argo (a shared do-nothing object when tracing is off)."""
    tracer = _TRACING.tracer
    if tracer is None:
        return _NO_SPAN
    return _argo_span(tracer, operation, base_url, headers)
