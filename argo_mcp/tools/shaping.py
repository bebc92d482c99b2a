"""Answers sized for an agent: compact list summaries, noise stripped, secret-looking values redacted.

Argo objects are large (a workflow's status.nodes alone can be megabytes) and an agent pays for every token,
so list tools summarise by default and return the full object only when asked. Whatever is returned has
`managedFields` removed and values that look like credentials masked.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argo_mcp import redaction
from argo_mcp.redaction import redact_url_passwords, shown_enum, shown_parameter_value
from argo_mcp.tools.budget import AnswerTooLarge, ItemBudget, check_list_body

# The rules live in argo_mcp.redaction; these names stay here for the tools and completions that import them.
REDACTED = redaction.REDACTED
is_secret_name = redaction.is_secret_name
# Free text is workflow-controlled (log lines above all), so every scan here is linear: matches start only where a
# run of their characters starts (lookbehinds) and runs are taken possessively (see argo_mcp.redaction).
# key=value / key: value pairs whose key names a secret: each key and separator is found once, and only a secret
# key's value is then read and masked (a value never hides the next pair: `a=token=x` masks x).
_KEY_AND_SEPARATOR = re.compile(r"(?<![\w.-])([\w.-]++)(\s*+[=:]\s*+)")
_SECRET_KEY = re.compile(r"(?i)pass|secret|token|api[-_]?key|access[-_]?key|credential")
_KEYED_VALUE = re.compile(r"\"[^\"]++\"|'[^']++'|[^\s,;\"']++")
_BEARER = re.compile(r"(?i)\b(bearer)(\s++)([A-Za-z0-9._~+/=-]{8,}+)")
_STANDALONE_SECRETS = [
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),  # AWS access key id
    re.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}+\.[A-Za-z0-9_-]{8,}+\.[A-Za-z0-9_-]{8,}+"),  # JWT
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}+\b"),  # GitHub tokens
    # A private key to its END line, or to the end of the text when that line is missing (a cut log still leaks).
    re.compile(
        r"-----BEGIN [A-Z ]{0,64}PRIVATE KEY-----"
        r"(?:[\s\S]*?-----END [A-Z ]{0,64}PRIVATE KEY-----|[\s\S]*+)"
    ),
]


def _redact_keyed_secrets(text: str) -> str:
    """`password=...`, `token: ...`: the value of every pair whose key names a secret masked, the key kept."""
    parts: list[str] = []
    done = 0
    for pair in _KEY_AND_SEPARATOR.finditer(text):
        if pair.start() < done or not _SECRET_KEY.search(pair.group(1)):
            continue
        value = _KEYED_VALUE.match(text, pair.end())
        if value is None:
            continue
        parts += (text[done : pair.end()], REDACTED)
        done = value.end()
    if not parts:
        return text
    parts.append(text[done:])
    return "".join(parts)


def redact_text(text: str) -> str:
    """Mask credentials in free text (log lines, messages) by pattern, keeping the key names visible."""
    text = redact_url_passwords(text)
    text = _redact_keyed_secrets(text)
    text = _BEARER.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    for pattern in _STANDALONE_SECRETS:
        text = pattern.sub(REDACTED, text)
    return text


def _redact_parameters(params: Any) -> None:
    """Argo's parameter objects in place: a secret's value, default and enum (by name or by value) masked."""
    if not isinstance(params, list):
        return
    for param in params:
        if not isinstance(param, dict):
            continue
        name = str(param.get("name", ""))
        for field in ("value", "default"):
            if param.get(field) is not None:
                param[field] = shown_parameter_value(name, param[field])
        if "enum" in param:
            param["enum"] = shown_enum(name, param["enum"])


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


def _map(value: Any) -> dict[str, Any]:
    """`value` if it is a JSON object, else {}: summaries read Argo's answers without trusting their shape
    (a null, a string or a list where Argo's API documents an object is summarised as absent)."""
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def workflow_summary(wf: dict[str, Any]) -> dict[str, Any]:
    wf = _map(wf)
    metadata = _map(wf.get("metadata"))
    status = _map(wf.get("status"))
    spec = _map(wf.get("spec"))
    labels = _map(metadata.get("labels"))
    template = (
        _text(_map(spec.get("workflowTemplateRef")).get("name"))
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
        "message": redact_text(str(status["message"])) if status.get("message") else None,
        "template": template,
    }
    return {k: v for k, v in summary.items() if v is not None}


_ITEM_MESSAGE_CHARS = 160  # a list item's message: the reason at a glance; get_workflow has it whole
_ITEM_KEYS = (
    *("name", "namespace", "uid", "phase", "startedAt", "duration", "finishedAt", "progress", "message"),
    "template",
    "archived",
)
ARCHIVING_STATUS = "workflows.argoproj.io/workflow-archiving-status"
"""Argo's label on a workflow it read back from its archive: `Persisted` (workflow/common/common.go)."""
LIVE_ONLY_SELECTOR = f"{ARCHIVING_STATUS}!=Persisted"
"""A label selector that keeps the archive's rows out of Argo's workflow list (Argo merges them in)."""


def is_archived(wf: Any) -> bool:
    """Argo's list merges archived runs (also deleted ones) into the live ones; it labels each it read from
    the archive `Persisted` (persist/sqldb/workflow_archive.go), the only way to tell them apart."""
    return _map(_map(_map(wf).get("metadata")).get("labels")).get(ARCHIVING_STATUS) == "Persisted"


def _time(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
_DURATION = re.compile(r"(?:(\d++)d)?(?:(\d++)h)?(?:(\d++)m)?(?:(\d++)s)?")


def duration_text(seconds: float) -> str:
    """A duration as people write it, exact to the second and without zero units: 42s, 5m56s, 2h3s, 3d4h."""
    rest = max(0, round(seconds))
    parts = []
    for unit, size in _UNITS:
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def finished_at(item: dict[str, Any]) -> str | None:
    """When a listed workflow finished, from its startedAt and duration (or its finishedAt when the list kept
    it), as RFC 3339 UTC; None while it runs or when unreadable."""
    if isinstance(item.get("finishedAt"), str):
        return str(item["finishedAt"])
    started, duration = _time(item.get("startedAt")), item.get("duration")
    match = _DURATION.fullmatch(duration) if isinstance(duration, str) and duration else None
    if started is None or match is None:
        return None
    seconds = sum(int(count or 0) * size for count, (_, size) in zip(match.groups(), _UNITS, strict=True))
    finished = started + timedelta(seconds=seconds)
    return (finished.astimezone(UTC) if finished.tzinfo else finished).strftime("%Y-%m-%dT%H:%M:%SZ")


def short_text(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def workflow_item(wf: dict[str, Any], *, uid: bool = False) -> dict[str, Any]:
    """A list_workflows item: what an agent needs to pick its next call, at ~45 tokens instead of ~90.

    name, phase, startedAt, and instead of finishedAt the `duration` (finishedAt when either time is unreadable);
    `progress` unless the workflow succeeded with every node done; `message` (cut to 160 characters) unless it
    succeeded; `template` when it came from one. The uid only where it addresses the workflow (the archive);
    the namespace is stated once by shape_list. `archived: true` only on a run Argo's list took from its archive
    (list_archived_workflows' items, all archived and addressed by uid, do not carry it). get_workflow has the
    rest."""
    summary = workflow_summary(wf)
    if not uid:
        summary.pop("uid", None)
        if is_archived(wf):
            summary["archived"] = True
    started, finished = _time(summary.get("startedAt")), _time(summary.pop("finishedAt", None))
    if started and finished and (started.tzinfo is None) == (finished.tzinfo is None):
        summary["duration"] = duration_text((finished - started).total_seconds())
    elif finished:
        summary["finishedAt"] = _map(_map(wf).get("status")).get("finishedAt")
    progress = summary.get("progress")
    if summary["phase"] == "Succeeded" and isinstance(progress, str):
        done, _, total = progress.partition("/")
        if done == total:
            del summary["progress"]
    if summary["phase"] == "Succeeded":
        summary.pop("message", None)
    elif "message" in summary:
        summary["message"] = short_text(summary["message"], _ITEM_MESSAGE_CHARS)
    return {key: summary[key] for key in _ITEM_KEYS if key in summary}


def archived_item(wf: dict[str, Any]) -> dict[str, Any]:
    """A list_archived_workflows item: a workflow_item with its uid, which the archive tools take."""
    return workflow_item(wf, uid=True)


def brief(wf: dict[str, Any], namespace: str) -> dict[str, Any]:
    """What a submit or an action answers: the workflow's name, namespace, uid and phase, nothing else.

    Argo answers these calls with the whole Workflow (spec, stored templates, often status.nodes): thousands of
    tokens an agent did not ask for. The name is what every next call takes; get_workflow has the rest."""
    metadata = wf.get("metadata") or {}
    answer = {
        "name": metadata.get("name"),
        "namespace": metadata.get("namespace") or namespace,
        "uid": metadata.get("uid"),
        "phase": (wf.get("status") or {}).get("phase") or "Pending",
    }
    return {k: v for k, v in answer.items() if v is not None}


def events_summary(obj: dict[str, Any]) -> dict[str, Any]:
    """EventSources and Sensors: name, kinds of sources/triggers, and readiness from status conditions (no
    creation time: it does not help choose the next call; full=true has it)."""
    obj = _map(obj)
    metadata = _map(obj.get("metadata"))
    spec = _map(obj.get("spec"))
    kinds = sorted(k for k, v in spec.items() if isinstance(v, dict) and k not in ("template", "service"))
    triggers = [
        _map(t.get("template")).get("name") for t in _list(spec.get("triggers")) if isinstance(t, dict)
    ]
    conditions = _list(_map(obj.get("status")).get("conditions"))
    not_ready = [c.get("type") for c in conditions if isinstance(c, dict) and c.get("status") != "True"]
    summary: dict[str, Any] = {
        "name": metadata.get("name"),
        "namespace": metadata.get("namespace"),
        "ready": not not_ready if conditions else None,
    }
    if triggers:
        summary["triggers"] = [t for t in triggers if t]
        summary["dependencies"] = [
            d.get("name") for d in _list(spec.get("dependencies")) if isinstance(d, dict)
        ]
    elif kinds:
        summary["sources"] = kinds
    if not_ready:
        summary["notReady"] = not_ready
    return {k: v for k, v in summary.items() if v is not None}


def shape_list(
    answer: dict[str, Any],
    summarize: Callable[[dict[str, Any]], dict[str, Any]],
    *,
    full: bool,
    namespace: str | None = None,
    cap: int | None = None,
) -> dict[str, Any]:
    """A list answer: summaries (or cleaned full items), the `continue` token, and how many came back.

    Summaries state the namespace once (when there are any): `namespace` (the request's) or, when not given,
    the one every item shares; an item carries its own only when it differs. Full items are Argo's objects,
    unchanged but for `clean`. With `cap` (--max-answer-mib in bytes) the answer is measured item by item and refused with
    AnswerTooLarge at the first item past the cap, before its JSON text is built."""
    items = _list(_map(answer).get("items"))
    metadata = _map(_map(answer).get("metadata"))
    token = metadata.get("continue") or None
    budget = ItemBudget(cap, len(items))
    shaped_items = []
    for item in items:
        shaped_item = clean(item) if full else summarize(item)
        budget.add(shaped_item)
        shaped_items.append(shaped_item)
    shaped: dict[str, Any] = {}
    if shaped_items and not full:
        shared = namespace or _shared_namespace(shaped_items)
        if shared:
            shaped["namespace"] = shared
            for shaped_item in shaped_items:
                if shaped_item.get("namespace") == shared:
                    del shaped_item["namespace"]
    shaped |= {"items": shaped_items, "count": len(items)}
    if token:
        shaped["continue"] = token
        remaining = metadata.get("remainingItemCount")
        if remaining is not None:
            shaped["remainingItemCount"] = remaining
    return shaped


@dataclass(frozen=True)
class ListShape:
    """How a list tool shapes Argo's answer, used twice: `check_body` (ArgoClient.request's) refuses a body
    whose shaped items would pass `cap` before it is decoded whole; `shape` makes the answer (shape_list)."""

    summarize: Callable[[dict[str, Any]], dict[str, Any]]
    full: bool
    cap: int | None
    namespace: str | None = None

    def check_body(self, raw: bytes | bytearray) -> None:
        if self.cap is not None:
            check_list_body(clean if self.full else self.summarize, self.cap)(raw)

    def shape(self, answer: dict[str, Any]) -> dict[str, Any]:
        try:
            return shape_list(answer, self.summarize, full=self.full, namespace=self.namespace, cap=self.cap)
        except AnswerTooLarge as exc:
            # The frames the refusal passes on its way up hold the decoded answer, and the caller may keep the
            # exception in a reference cycle until a full collection: let the items go now.
            answer.clear()
            raise exc.with_traceback(None) from None


def _shared_namespace(items: list[dict[str, Any]]) -> str | None:
    namespaces = {item.get("namespace") for item in items}
    shared = namespaces.pop() if len(namespaces) == 1 else None
    return shared if isinstance(shared, str) and shared else None


# What list_workflows asks Argo for (its `fields` filter): only what `workflow_item` shows, so Argo neither
# serialises nor sends status.nodes and spec for every item (a 500-workflow page: megabytes -> well under 1 MB).
# `metadata` keeps the list's own continue token and remainingItemCount.
WORKFLOW_LIST_FIELDS = ",".join(
    [
        "metadata",
        "items.metadata.name",
        "items.metadata.namespace",
        "items.metadata.labels",
        "items.spec.workflowTemplateRef",
        "items.status.phase",
        "items.status.startedAt",
        "items.status.finishedAt",
        "items.status.progress",
        "items.status.message",
    ]
)

# What get_workflow's default summary needs: no spec.templates, no status.storedTemplates/storedWorkflowTemplateSpec
# (together most of a large workflow's bytes).
WORKFLOW_DETAIL_FIELDS = ",".join(
    [
        "metadata.name",
        "metadata.namespace",
        "metadata.uid",
        "metadata.labels",
        "metadata.annotations",
        "spec.arguments",
        "spec.workflowTemplateRef",
        "spec.suspend",
        "status.phase",
        "status.startedAt",
        "status.finishedAt",
        "status.progress",
        "status.message",
        "status.outputs",
        "status.nodes",
    ]
)

POD_NAME_FORMAT = "workflows.argoproj.io/pod-name-format"
_MAX_POD_PREFIX = 253 - 10 - 1  # Kubernetes name limit, minus the hash and its dash (Argo's pod_name.go)
_NODE_LIMIT = 20  # failed/running nodes listed in a summary; the rest are counted


def _fnv32a(text: str) -> int:
    value = 0x811C9DC5
    for byte in text.encode():
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def pod_name(workflow_name: str, node: dict[str, Any], version: str = "v2") -> str:
    """The pod Argo created for a Pod node (what the log and artifact tools take as podName).

    Argo does not store it on the node; it derives it (workflow/util/pod_name.go): v1 names are the node id;
    v2 (the default) are `<workflow>-<template>-<fnv32a(node name)>`, or the workflow name for a single-pod
    workflow, falling back to the node id when the node names no template.
    """
    template = _text(_map(node.get("templateRef")).get("template")) or _text(node.get("templateName")) or ""
    node_name = str(node.get("name") or "")
    if version == "v1" or not template:
        return str(node.get("id"))
    if node_name == workflow_name:
        return workflow_name
    prefix = f"{workflow_name}-{template}"[:_MAX_POD_PREFIX]
    return f"{prefix}-{_fnv32a(node_name)}"


def _node_entry(workflow_name: str, node: dict[str, Any], version: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": node.get("id"),
        "name": node.get("displayName") or node.get("name"),
        "type": node.get("type"),
        "phase": node.get("phase") or "Pending",
    }
    if node.get("type") == "Pod":
        entry["pod"] = pod_name(workflow_name, node, version)
    if node.get("message"):
        entry["message"] = redact_text(str(node["message"]))
    exit_code = _map(node.get("outputs")).get("exitCode")
    if exit_code not in (None, "0"):
        entry["exitCode"] = exit_code
    return entry


def parameter_values(params: Any) -> dict[str, Any]:
    """Argo's [{name, value}] parameter lists as one {name: value} map (secret-looking names redacted)."""
    values: dict[str, Any] = {}
    for param in params if isinstance(params, list) else []:
        if not isinstance(param, dict) or "name" not in param:
            continue
        name = str(param["name"])
        value = shown_parameter_value(name, param.get("value", param.get("default")))
        if isinstance(value, str) and value != REDACTED:
            value = redact_text(value)
        values[name] = value
    return values


def _outputs(outputs: Any) -> dict[str, Any]:
    if not isinstance(outputs, dict):
        return {}
    shaped: dict[str, Any] = {}
    if params := parameter_values(outputs.get("parameters")):
        shaped["parameters"] = params
    artifacts = [a.get("name") for a in _list(outputs.get("artifacts")) if isinstance(a, dict)]
    if artifacts:
        shaped["artifacts"] = artifacts
    if outputs.get("result") is not None:
        shaped["result"] = redact_text(str(outputs["result"]))
    return shaped


def workflow_detail(wf: dict[str, Any]) -> dict[str, Any]:
    """get_workflow's default answer: what an agent needs to decide its next step, not the whole object.

    Phase, progress, times and message; parameters and outputs as {name: value}; node counts by phase; and the
    failed and running nodes with their node id, pod name and message (what the log and artifact tools take).
    """
    summary = workflow_summary(wf)
    name = str(summary.get("name") or "")
    metadata = _map(wf.get("metadata"))
    spec = _map(wf.get("spec"))
    status = _map(wf.get("status"))
    version = _map(metadata.get("annotations")).get(POD_NAME_FORMAT) or "v2"
    if spec.get("suspend"):
        summary["suspended"] = True
    if params := parameter_values(_map(spec.get("arguments")).get("parameters")):
        summary["parameters"] = params
    if outputs := _outputs(status.get("outputs")):
        summary["outputs"] = outputs
    nodes = [n for n in _map(status.get("nodes")).values() if isinstance(n, dict)]
    if nodes:
        by_phase: dict[str, int] = {}
        for node in nodes:
            phase = node.get("phase") or "Pending"
            by_phase[phase] = by_phase.get(phase, 0) + 1
        summary["nodes"] = by_phase
    for key, phases in (("failed", ("Failed", "Error")), ("running", ("Running", "Pending"))):
        # Pods first: their names are what get_pod_logs needs; group nodes (Steps/DAG) only repeat them.
        chosen = sorted(
            (
                n
                for n in nodes
                if n.get("phase") in phases and n.get("type") not in ("StepGroup", "TaskGroup")
            ),
            key=lambda n: (n.get("type") != "Pod", n.get("startedAt") or "~"),
        )
        if chosen:
            summary[key] = [_node_entry(name, n, version) for n in chosen[:_NODE_LIMIT]]
            if len(chosen) > _NODE_LIMIT:
                summary[f"{key}More"] = len(chosen) - _NODE_LIMIT
    return summary
