"""Structured logs: JSON lines on stderr via structlog.

stdout is never written to, because in stdio mode it carries the MCP protocol. Secrets are kept out by
construction (tokens are never passed to a logger) and, as a second line of defence, every event (exception
included) goes through `redact_secrets` as the last step before rendering. Tracebacks never carry the frames'
local variables: those hold tokens, request headers and whole Argo answers.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog
from structlog.tracebacks import ExceptionDictTransformer

from argo_mcp.redaction import scrub_value


def redact_secrets(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Mask bearer tokens, Authorization values, JWTs and argo-mcp's known tokens in every value."""
    for key, value in event.items():
        if not key.startswith("_"):  # the stdlib record and structlog's own bookkeeping stay as they are
            event[key] = scrub_value(value)
    return event


render_exceptions = structlog.processors.ExceptionRenderer(
    ExceptionDictTransformer(show_locals=False, use_rich=False)
)
"""Exceptions as structured dicts, without any frame's locals."""


def structlog_processors() -> list[Any]:
    """The chain for argo-mcp's own events: context, level, time, exception, redaction, JSON."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        render_exceptions,
        redact_secrets,
        structlog.processors.JSONRenderer(),
    ]


def stdlib_formatter() -> structlog.stdlib.ProcessorFormatter:
    """The same JSON lines (and the same redaction) for the standard library's loggers: uvicorn, the SDK."""
    return structlog.stdlib.ProcessorFormatter(
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            render_exceptions,
            redact_secrets,
            structlog.processors.JSONRenderer(),
        ],
        foreign_pre_chain=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.stdlib.add_logger_name,
        ],
    )


def configure_logging(level: str = "info") -> None:
    """Route structlog and the standard library (uvicorn, the MCP SDK, kopf) to JSON lines on stderr."""
    numeric = logging.getLevelName(level.upper())
    structlog.configure(
        processors=structlog_processors(),
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(stdlib_formatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    for noisy in ("uvicorn.access", "httpx", "httpcore", "mcp.server.streamable_http", "mcp.server.lowlevel"):
        logging.getLogger(noisy).setLevel(max(numeric, logging.WARNING))


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(name)
    return logger
