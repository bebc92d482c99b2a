"""Summaries of WorkflowTemplates, ClusterWorkflowTemplates and CronWorkflows, sized for an agent.

A template's whole object can run to thousands of lines (every step's container, volumes, scripts), while what
an agent needs to pick and submit one is small: its entrypoint, the arguments it takes with their defaults, and
which templates it has and of what type. List items are smaller still; `full: true` returns the object.
"""

from __future__ import annotations

from typing import Any

from argo_mcp.redaction import shown_enum, shown_parameter_value
from argo_mcp.tools.shaping import REDACTED, redact_text, short_text

DESCRIPTION_ANNOTATION = "workflows.argoproj.io/description"
# The fields of io.argoproj.workflow.v1alpha1.Template that make it one type or another (exactly one is set).
TEMPLATE_TYPES = (
    "container",
    "script",
    "resource",
    "dag",
    "steps",
    "suspend",
    "containerSet",
    "data",
    "http",
    "plugin",
)


def _drop_empty(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v not in (None, [], {}, "")}


def _parameters(params: Any) -> list[dict[str, Any]]:
    """Workflow arguments as {name, default, enum, description}: what submit_workflow's `parameters` takes.

    A secret (by name or by value, see argo_mcp.redaction) shows its default as REDACTED and its enum as that
    many REDACTED entries; completions then offer its name with no value."""
    shaped = []
    for param in params if isinstance(params, list) else []:
        if not isinstance(param, dict) or "name" not in param:
            continue
        name = str(param["name"])
        value = shown_parameter_value(name, param.get("value", param.get("default")))
        if value is not None and value != REDACTED:
            value = redact_text(str(value))
        entry = {"name": name, "default": value, "enum": shown_enum(name, param.get("enum"))}
        if param.get("description"):
            entry["description"] = redact_text(str(param["description"]))
        if param.get("valueFrom"):
            entry["valueFrom"] = sorted(param["valueFrom"]) if isinstance(param["valueFrom"], dict) else True
        shaped.append({k: v for k, v in entry.items() if v is not None})
    return shaped


def _arguments(spec: dict[str, Any]) -> dict[str, Any]:
    arguments = spec.get("arguments") or {}
    artifacts = [a.get("name") for a in arguments.get("artifacts") or [] if isinstance(a, dict)]
    return _drop_empty({"parameters": _parameters(arguments.get("parameters")), "artifacts": artifacts})


def template_type(template: dict[str, Any]) -> str:
    return next((kind for kind in TEMPLATE_TYPES if template.get(kind) is not None), "unknown")


def _templates(spec: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {"name": str(t.get("name")), "type": template_type(t)}
        for t in spec.get("templates") or []
        if isinstance(t, dict)
    ]


def _head(obj: dict[str, Any]) -> dict[str, Any]:
    metadata = obj.get("metadata") or {}
    description = (metadata.get("annotations") or {}).get(DESCRIPTION_ANNOTATION)
    return {
        "name": metadata.get("name"),
        "namespace": metadata.get("namespace"),
        "createdAt": metadata.get("creationTimestamp"),
        "description": redact_text(str(description)) if description else None,
    }


def workflow_spec_detail(spec: dict[str, Any]) -> dict[str, Any]:
    """The submit-relevant parts of a workflow spec (a template's spec, or a CronWorkflow's workflowSpec)."""
    ref = spec.get("workflowTemplateRef") or {}
    return _drop_empty(
        {
            "entrypoint": spec.get("entrypoint"),
            "arguments": _arguments(spec),
            "templates": _templates(spec),
            "workflowTemplateRef": ref or None,
            "serviceAccountName": spec.get("serviceAccountName"),
            "onExit": spec.get("onExit"),
        }
    )


_ITEM_DESCRIPTION_CHARS = 200  # a list item's description: enough to choose; get_* has it whole


def _item_head(obj: dict[str, Any]) -> dict[str, Any]:
    """A list item's head: no creation time (it does not help choose the next call) and a short description."""
    head = _head(obj)
    del head["createdAt"]
    if head["description"]:
        head["description"] = short_text(head["description"], _ITEM_DESCRIPTION_CHARS)
    return head


def template_summary(obj: dict[str, Any]) -> dict[str, Any]:
    """A list item: name, namespace, entrypoint, parameter names, description."""
    spec = obj.get("spec") or {}
    params = (spec.get("arguments") or {}).get("parameters") or []
    return _drop_empty(
        {
            **_item_head(obj),
            "entrypoint": spec.get("entrypoint"),
            "parameters": [p.get("name") for p in params if isinstance(p, dict)],
        }
    )


def template_detail(obj: dict[str, Any]) -> dict[str, Any]:
    """get_*_template's default answer: entrypoint, arguments with defaults, templates by name and type."""
    metadata = obj.get("metadata") or {}
    return _drop_empty(
        {
            **_head(obj),
            "resourceVersion": metadata.get("resourceVersion"),
            "labels": metadata.get("labels"),
            **workflow_spec_detail(obj.get("spec") or {}),
        }
    )


def _schedules(spec: dict[str, Any]) -> list[str]:
    schedules = [str(s) for s in spec.get("schedules") or []]
    if spec.get("schedule"):
        schedules.insert(0, str(spec["schedule"]))
    return schedules


def cron_summary(obj: dict[str, Any]) -> dict[str, Any]:
    """A list item: schedules, suspended when it is, last run and the counts of its workflows' outcomes (the
    number of active workflows when there are any)."""
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    return _drop_empty(
        {
            **_item_head(obj),
            "schedules": _schedules(spec),
            "timezone": spec.get("timezone"),
            "suspended": True if spec.get("suspend") else None,
            "phase": status.get("phase"),
            "lastScheduledTime": status.get("lastScheduledTime"),
            "active": len(status.get("active") or []) or None,
            "succeeded": status.get("succeeded"),
            "failed": status.get("failed"),
        }
    )


def cron_detail(obj: dict[str, Any]) -> dict[str, Any]:
    """get_cron_workflow's default answer: the schedule and its policy, status, and the workflow it runs."""
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    metadata = obj.get("metadata") or {}
    conditions = [
        _drop_empty(
            {
                "type": c.get("type"),
                "status": c.get("status"),
                "message": redact_text(str(c["message"])) if c.get("message") else None,
            }
        )
        for c in status.get("conditions") or []
        if isinstance(c, dict)
    ]
    detail = cron_summary(obj) | _drop_empty(
        {
            **_head(obj),  # with the creation time and the whole description
            "suspended": bool(spec.get("suspend")),
            "resourceVersion": metadata.get("resourceVersion"),
            "concurrencyPolicy": spec.get("concurrencyPolicy"),
            "startingDeadlineSeconds": spec.get("startingDeadlineSeconds"),
            "successfulJobsHistoryLimit": spec.get("successfulJobsHistoryLimit"),
            "failedJobsHistoryLimit": spec.get("failedJobsHistoryLimit"),
            "when": spec.get("when"),
            "stopStrategy": spec.get("stopStrategy"),
            "activeWorkflows": [a.get("name") for a in status.get("active") or [] if isinstance(a, dict)],
            "conditions": conditions,
            "workflow": workflow_spec_detail(spec.get("workflowSpec") or {}),
        }
    )
    detail.pop("active", None)
    return detail


def saved(obj: dict[str, Any]) -> dict[str, Any]:
    """What a create or update answers: the object's name, namespace (none when cluster-scoped) and uid.

    The agent wrote the manifest, so echoing it back (even summarised) tells it nothing; get_* has the rest."""
    metadata = obj.get("metadata") or {}
    return _drop_empty(
        {"name": metadata.get("name"), "namespace": metadata.get("namespace"), "uid": metadata.get("uid")}
    )
