"""The record of a call, written once at its end whatever road it took: one `tool_call` log line, the metrics,
and for a call that changes something (or was meant to) one audit line.

The audit line is what a platform team reads to learn who changed what, where, and whether it happened: the
caller, the tool, the namespace the call was placed in, the object it names, and for a call that made or acted
on a workflow the name and UID Argo answered with (a submit names its template; the workflow it created is only
known from Argo's answer).
"""

from __future__ import annotations

from typing import Any

import structlog

from argo_mcp.metrics import record_call
from argo_mcp.tools.registry import Tool, ToolKind

log = structlog.get_logger("argo_mcp.tools")
audit_log = structlog.get_logger("argo_mcp.audit")

_TARGET_FIELDS = ("audit_name", "name", "uid", "workflow_name", "workflow_uid", "resource_name")


def audit_target(args: Any) -> str | None:
    """The name of what a call acts on: a model's own `audit_name`, else its name/UID argument, else the
    manifest's metadata.name (or generateName)."""
    for field_name in _TARGET_FIELDS:
        value = getattr(args, field_name, None)
        if isinstance(value, str) and value:
            return value
    manifest = getattr(args, "manifest", None)
    metadata = manifest.get("metadata") if isinstance(manifest, dict) else None
    if isinstance(metadata, dict):
        name = metadata.get("name") or metadata.get("generateName")
        return name if isinstance(name, str) else None
    return None


def _acted_on(data: Any) -> dict[str, str]:
    """The object Argo answered with (a created workflow's name and UID), when the answer names one."""
    if not isinstance(data, dict):
        return {}
    found = {"object_name": data.get("name"), "object_uid": data.get("uid")}
    return {key: value for key, value in found.items() if isinstance(value, str) and value}


def record(
    *,
    tool: Tool[Any],
    kind: ToolKind,
    road: str,
    request_id: str,
    caller: str | None,
    namespace: str,
    args: Any,
    outcome: str,
    target: str | None = None,
    seconds: float,
    error: str | None = None,
    failure: BaseException | None = None,
    data: Any = None,
) -> None:
    """Log, count and (for a call that changes something) audit one finished call. `target` is named only
    when the process serves a targets file (the single implicit target keeps today's lines)."""
    record_call(road, tool.name, outcome, seconds, target or "default")  # a tool call only on tools/call
    bound = log.bind(request_id=request_id, tool=tool.name, caller=caller)
    if target is not None:
        bound = bound.bind(target=target)
    if failure is not None:
        bound = bound.bind(error_type=type(failure).__name__, status=getattr(failure, "status", None))
    # A failed call is an operator's concern (warning); refusals and bad input are the caller's (info).
    emit = bound.warning if outcome == "error" else bound.info
    emit(
        "tool_call",
        road=road,
        namespace=namespace,
        outcome=outcome,
        duration_ms=round(seconds * 1000, 1),
        **({"error": error[:500]} if error else {}),
    )
    if kind is not ToolKind.READ_ONLY:
        audit_log.info(
            "audit",
            request_id=request_id,
            caller=caller or "anonymous",
            tool=tool.name,
            kind=kind.value,
            **({"target": target} if target is not None else {}),
            namespace=namespace or None,
            name=audit_target(args),
            outcome=outcome,
            **(_acted_on(data) if outcome == "ok" else {}),
        )
