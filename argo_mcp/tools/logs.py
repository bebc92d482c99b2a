"""Log tools share their options and their drain: one model, one function, four tools."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from argo_mcp.argo.streams import LOG_CAP_BYTES, RecordFormatter, drain_log_stream
from argo_mcp.tools.inputs import NamespacedInput
from argo_mcp.tools.registry import TextOutput, ToolContext
from argo_mcp.tools.shaping import redact_text


class LogOptions(NamespacedInput):
    container: str | None = Field(
        default=None, description="Container name (default: 'main', the container that runs the step)."
    )
    grep: str | None = Field(default=None, description="Only lines matching this regular expression.")
    tail_lines: int | None = Field(
        default=None, ge=1, le=100_000, description="Only the last N lines of each pod."
    )
    since_seconds: int | None = Field(
        default=None, ge=1, description="Only lines newer than this many seconds."
    )
    since_time: datetime | None = Field(
        default=None, description="Only lines after this RFC 3339 time, e.g. '2026-11-25T10:00:00Z'."
    )
    timestamps: bool = Field(default=False, description="Prefix each line with its RFC 3339 timestamp.")
    previous: bool = Field(default=False, description="Logs of the previous (crashed) container instance.")
    follow: bool = Field(
        default=False,
        description="Keep reading new lines of a running step until timeLimitSeconds (the answer is still bounded).",
    )
    time_limit_seconds: float = Field(
        default=30, gt=0, le=120, description="Stop reading after this many seconds (bounds follow streams)."
    )

    def pod_log_options(self, prefix: str) -> dict[str, Any]:
        return {
            f"{prefix}.container": self.container,
            f"{prefix}.tailLines": self.tail_lines,
            f"{prefix}.sinceSeconds": self.since_seconds,
            f"{prefix}.sinceTime.seconds": int(self.since_time.timestamp()) if self.since_time else None,
            f"{prefix}.timestamps": self.timestamps or None,
            f"{prefix}.previous": self.previous or None,
            f"{prefix}.follow": self.follow or None,
        }


async def drain(
    ctx: ToolContext,
    path: str,
    query: dict[str, Any],
    *,
    what: str,
    options: LogOptions,
    formatter: RecordFormatter,
    empty_hint: str,
) -> TextOutput:
    log = await drain_log_stream(
        ctx.argo,
        path,
        query=query,
        what=what,
        time_limit=options.time_limit_seconds,
        formatter=formatter,
        line_filter=redact_text,  # line by line, before the cap, so the answer never exceeds it
    )
    text = log.text or f"(no log lines: {empty_hint})\n"
    return TextOutput(
        text=text,
        data={
            "log": text,
            "lines": log.lines,
            "truncated": log.truncated,
            "timedOut": log.timed_out,
            "capBytes": LOG_CAP_BYTES,
        },
    )


EventsLogKind = Literal["event-sources", "sensors"]
