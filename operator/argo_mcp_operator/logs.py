"""Structured JSON logs (one object per line on stderr) for the operator's own messages and kopf's.

kopf logs through the standard library; routing both it and structlog through one ``ProcessorFormatter``
gives every line the same shape, so a log pipeline needs one parser.
"""

from __future__ import annotations

import logging
import sys

import structlog

SHARED: list[structlog.types.Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def _kopf_extras(_: object, __: str, event: structlog.types.EventDict) -> structlog.types.EventDict:
    """Keep kopf's object reference, drop its bulky per-record settings dump."""
    event.pop("settings", None)
    event.pop("k8s_skip", None)
    ref = event.pop("k8s_ref", None)
    if isinstance(ref, dict):
        event["object"] = {k: ref[k] for k in ("kind", "namespace", "name") if k in ref}
    return event


def configure(level: str = "info") -> None:
    """Send every log record to stderr as JSON at ``level`` and above."""
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*SHARED, structlog.stdlib.ExtraAdder(), _kopf_extras],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(default=str),
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # One line per liveness probe would drown everything else.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    structlog.configure(
        processors=[*SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
