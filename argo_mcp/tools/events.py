"""Argo Events tools: EventSources and Sensors, six tools each, from two `ArgoKind` declarations (kinds.py).

The two kinds differ only in their REST path, the body key that carries the object, and their log filters.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cached_property
from typing import Any

from pydantic import Field

from argo_mcp.settings import ToolGroup
from argo_mcp.tools.inputs import NamedInput, NamespacedInput, ResourceName
from argo_mcp.tools.kinds import ArgoKind, DeleteInput, KindInputs, ListKindInput, kind_tools, whole_object
from argo_mcp.tools.logs import LOG_ANSWER, LogOptions
from argo_mcp.tools.registry import Tool, ToolKind
from argo_mcp.tools.shaping import clean, events_summary


class ObjectInput(NamespacedInput):
    manifest: dict[str, Any] = Field(description="{metadata: {name}, spec}")

    def document(self) -> dict[str, Any]:
        return self.manifest

    @cached_property
    def documents(self) -> list[dict[str, Any]]:
        """The manifest, as the registry reads it for the tool's scope (its metadata.namespace)."""
        return [self.manifest]


class UpdateInput(ObjectInput):
    name: ResourceName = Field(description="Must match manifest.metadata.name.")


class EventSourceLogsInput(LogOptions):
    name: ResourceName | None = Field(default=None, description="Only this EventSource (default: all).")
    event_source_type: str | None = Field(default=None, description="Only this source type, e.g. 'webhook'.")
    event_name: str | None = Field(default=None, description="Only this event name.")


class SensorLogsInput(LogOptions):
    name: ResourceName | None = Field(default=None, description="Only this Sensor (default: all).")
    trigger_name: str | None = Field(default=None, description="Only this trigger.")


def _detail(answer: dict[str, Any]) -> dict[str, Any]:
    """get_event_source and get_sensor answer the whole object: there is no summary of one."""
    return clean(answer)  # type: ignore[no-any-return]


EVENT_SOURCE = ArgoKind(
    update_kind=ToolKind.MUTATING,  # the reference's kind for its update tools
    kind="EventSource",
    plural="event-sources",
    resource="eventsources",
    body_key="eventSource",
    singular="event_source",
    words="event source",
    group=ToolGroup.EVENTS,
    cluster=False,
    summary=events_summary,
    detail=_detail,
    saved=whole_object("eventSource"),
    update_body_has_name=True,
    inputs=KindInputs(
        list=ListKindInput,
        get=NamedInput,
        create=ObjectInput,
        update=UpdateInput,
        delete=DeleteInput,
        logs=EventSourceLogsInput,
    ),
    log_filters={"name": "name", "event_source_type": "eventSourceType", "event_name": "eventName"},
    descriptions={
        "list": "List Argo Events EventSources in a namespace.",
        "get": "Get a single Argo Events EventSource by name.",
        "create": "Create a new Argo Events EventSource in a namespace.",
        "update": "Update an existing Argo Events EventSource; the request replaces the spec.",
        "delete": "Delete an Argo Events EventSource by name; downstream consumers stop receiving events.",
        "logs": f"Argo Events EventSource logs as one text: {LOG_ANSWER}.",
    },
)
# A Sensor is managed like an EventSource; only its name, body key, log filters and descriptions differ.
SENSOR = replace(
    EVENT_SOURCE,
    kind="Sensor",
    plural="sensors",
    resource="sensors",
    body_key="sensor",
    singular="sensor",
    words="sensor",
    saved=whole_object("sensor"),
    inputs=replace(EVENT_SOURCE.inputs, logs=SensorLogsInput),
    log_filters={"name": "name", "trigger_name": "triggerName"},
    descriptions={
        "list": "List Argo Events Sensors in a namespace.",
        "get": "Get a single Argo Events Sensor by name.",
        "create": "Create an Argo Events Sensor.",
        "update": "Update an existing Argo Events Sensor by name.",
        "delete": "Delete an Argo Events Sensor by name; in-flight triggers tied to it are removed.",
        "logs": f"Argo Events Sensor logs as one text: {LOG_ANSWER}.",
    },
)

TOOLS: list[Tool[Any]] = [*kind_tools(EVENT_SOURCE), *kind_tools(SENSOR)]
