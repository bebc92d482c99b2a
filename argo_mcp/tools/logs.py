"""Log tools share their options and their drain: one model, one function, four tools.

An answer is the last `tailLines` lines (default 200), cut on line boundaries within the 64 KiB cap. With `grep`,
the lines are filtered first and the tail taken of the matches ("the last 20 errors", not "the errors among the
last 20 lines"): Argo itself applies Kubernetes' tailLines before its grep, so with a grep argo-mcp sends Argo
only the grep and takes the tail itself. A grep Argo could not compile (Go's RE2 syntax) is refused here, with
the reason, before any request.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, field_validator

from argo_mcp.argo.streams import DEFAULT_TAIL_LINES, LOG_CAP_BYTES, RecordFormatter, drain_log_stream
from argo_mcp.tools.inputs import NamespacedInput
from argo_mcp.tools.registry import TextOutput, ToolContext
from argo_mcp.tools.shaping import redact_text

LOG_ANSWER = f"the last {DEFAULT_TAIL_LINES} lines, at most {LOG_CAP_BYTES // 1024} KiB"
"""What a log tool answers by default, as its description says it."""

# Python's `re` accepts these, Go's RE2 (what Argo compiles grep with) does not.
_NOT_RE2 = re.compile(r"\(\?(?:=|!|<=|<!|P=|>)|\\[1-9]|\(\?\(")


def check_grep(pattern: str) -> str:
    """A grep Argo can compile, or a ValueError naming what is wrong with it."""
    if not pattern:
        raise ValueError("must not be empty (omit grep to get every line)")
    if _NOT_RE2.search(pattern):
        raise ValueError(
            f"{pattern!r} uses a lookaround, backreference or conditional, which Argo's regular expressions "
            "(Go RE2 syntax) do not support; use a plain pattern such as 'ERROR|WARN'"
        )
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"{pattern!r} is not a valid regular expression: {exc}") from None
    return pattern


class LogOptions(NamespacedInput):
    container: str | None = Field(default=None, description="Container name.")
    grep: str | None = Field(default=None, description="RE2 regex lines must match.")
    tail_lines: int = Field(
        default=DEFAULT_TAIL_LINES, ge=1, le=100_000, description="Last N lines, after grep."
    )
    since_seconds: int | None = Field(default=None, ge=1, description="Only the last N seconds.")
    since_time: datetime | None = Field(default=None, description="Only after this time.")
    timestamps: bool = Field(default=False, description="Prefix lines with timestamps.")
    previous: bool = Field(default=False, description="Previous container's.")
    follow: bool = Field(default=False, description="Stream until timeLimitSeconds.")
    time_limit_seconds: float = Field(default=30, gt=0, le=120, description="Stop reading after N seconds.")

    @field_validator("grep")
    @classmethod
    def _grep_compiles(cls, value: str | None) -> str | None:
        return None if value is None else check_grep(value)

    def pod_log_options(self, prefix: str) -> dict[str, Any]:
        return {
            f"{prefix}.container": self.container,
            # With a grep, Argo would tail first and grep the tail: argo-mcp takes the tail of the matches.
            f"{prefix}.tailLines": self.tail_lines if self.grep is None else None,
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
        tail_lines=options.tail_lines,
        time_limit=options.time_limit_seconds,
        formatter=formatter,
        line_filter=redact_text,  # line by line, before the cap, so the answer never exceeds it
    )
    text = log.text or f"(no log lines: {empty_hint})\n"
    return TextOutput(
        text=text,
        # Metadata only: the log itself is the text block, sent once.
        data={
            "lines": log.lines,
            "linesRead": log.lines_read,
            "truncated": log.truncated,
            "timedOut": log.timed_out,
            "readLimited": log.read_limited,
            "capBytes": LOG_CAP_BYTES,
        },
    )


EventsLogKind = Literal["event-sources", "sensors"]
