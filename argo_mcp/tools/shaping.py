"""Answers sized for an agent: compact list summaries, noise stripped, secret-looking values redacted.

Argo objects are large (a workflow's status.nodes alone can be megabytes) and an agent pays for every token,
so list tools summarise by default and return the full object only when asked. Whatever is returned has
`managedFields` removed and values that look like credentials masked.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

REDACTED = "[redacted]"
_SECRET_NAME = re.compile(
    r"(?i)(pass(word|wd)?|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|credential)"
)
_SECRET_IN_TEXT = [
    # key=value / key: value pairs whose key names a secret
    re.compile(
        r"(?i)\b([\w.-]*(?:pass(?:word|wd)?|secret|token|api[-_]?key|access[-_]?key|credential)[\w.-]*)"
        r"(\s*[=:]\s*)(\"[^\"]+\"|'[^']+'|[^\s,;\"']+)"
    ),
    re.compile(r"(?i)\b(bearer)(\s+)([A-Za-z0-9._~+/=-]{8,})"),
]
_STANDALONE_SECRETS = [
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),  # AWS access key id
    re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b"),  # JWT
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}\b"),  # GitHub tokens
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----"),
]


def redact_text(text: str) -> str:
    """Mask credentials in free text (log lines, messages) by pattern, keeping the key names visible."""
    for pattern in _SECRET_IN_TEXT:
        text = pattern.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    for pattern in _STANDALONE_SECRETS:
        text = pattern.sub(REDACTED, text)
    return text


def _redact_parameters(params: Any) -> None:
    if not isinstance(params, list):
        return
    for param in params:
        if isinstance(param, dict) and _SECRET_NAME.search(str(param.get("name", ""))) and "value" in param:
            param["value"] = REDACTED


def clean(obj: Any) -> Any:
    """Drop managedFields and redact secret-looking parameter values, recursively (in place), and return obj."""
    if isinstance(obj, dict):
        metadata = obj.get("metadata")
        if isinstance(metadata, dict):
            metadata.pop("managedFields", None)
        for key, value in obj.items():
            if key == "parameters":
                _redact_parameters(value)
            if isinstance(value, str):
                if key in ("value", "message", "default"):
                    obj[key] = redact_text(value)
            else:
                clean(value)
    elif isinstance(obj, list):
        for item in obj:
            clean(item)
    return obj


def workflow_summary(wf: dict[str, Any]) -> dict[str, Any]:
    metadata = wf.get("metadata", {})
    status = wf.get("status", {})
    spec = wf.get("spec", {})
    labels = metadata.get("labels") or {}
    template = (
        (spec.get("workflowTemplateRef") or {}).get("name")
        or labels.get("workflows.argoproj.io/workflow-template")
        or labels.get("workflows.argoproj.io/cluster-workflow-template")
        or labels.get("workflows.argoproj.io/cron-workflow")
    )
    summary = {
        "name": metadata.get("name"),
        "namespace": metadata.get("namespace"),
        "uid": metadata.get("uid"),
        "phase": status.get("phase") or "Pending",
        "startedAt": status.get("startedAt"),
        "finishedAt": status.get("finishedAt"),
        "progress": status.get("progress"),
        "message": redact_text(status["message"]) if status.get("message") else None,
        "template": template,
    }
    return {k: v for k, v in summary.items() if v is not None}


def events_summary(obj: dict[str, Any]) -> dict[str, Any]:
    """EventSources and Sensors: name, kinds of sources/triggers, and readiness from status conditions."""
    metadata = obj.get("metadata", {})
    spec = obj.get("spec", {})
    kinds = sorted(k for k, v in spec.items() if isinstance(v, dict) and k not in ("template", "service"))
    triggers = [
        (t.get("template") or {}).get("name") for t in spec.get("triggers", []) if isinstance(t, dict)
    ]
    conditions = (obj.get("status") or {}).get("conditions") or []
    not_ready = [c.get("type") for c in conditions if isinstance(c, dict) and c.get("status") != "True"]
    summary: dict[str, Any] = {
        "name": metadata.get("name"),
        "namespace": metadata.get("namespace"),
        "createdAt": metadata.get("creationTimestamp"),
        "ready": not not_ready if conditions else None,
    }
    if triggers:
        summary["triggers"] = [t for t in triggers if t]
        summary["dependencies"] = [d.get("name") for d in spec.get("dependencies", []) if isinstance(d, dict)]
    elif kinds:
        summary["sources"] = kinds
    if not_ready:
        summary["notReady"] = not_ready
    return {k: v for k, v in summary.items() if v is not None}


def shape_list(
    answer: dict[str, Any], summarize: Callable[[dict[str, Any]], dict[str, Any]], *, full: bool
) -> dict[str, Any]:
    """A list answer: summaries (or cleaned full items), the `continue` token, and how many came back."""
    items = answer.get("items") or []
    metadata = answer.get("metadata") or {}
    token = metadata.get("continue") or None
    shaped: dict[str, Any] = {
        "items": [clean(item) for item in items] if full else [summarize(item) for item in items],
        "count": len(items),
    }
    if token:
        shaped["continue"] = token
        remaining = metadata.get("remainingItemCount")
        if remaining is not None:
            shaped["remainingItemCount"] = remaining
    return shaped
