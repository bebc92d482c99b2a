"""Argo Events tools: EventSources and Sensors, six tools each, from two `ArgoKind` declarations (kinds.py).

The two kinds differ only in their REST path, the body key that carries the object, and their log filters.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, Literal

from pydantic import Field

from argo_mcp.settings import ToolGroup
from argo_mcp.tools.inputs import ListOptionsInput, NamedInput, NamespacedInput, ResourceName
from argo_mcp.tools.kinds import ArgoKind, DeleteOptions, KindInputs, kind_tools, whole_object
from argo_mcp.tools.logs import LogOptions
from argo_mcp.tools.registry import Tool
from argo_mcp.tools.shaping import clean, events_summary


class ListEventsInput(ListOptionsInput):
    full: bool = Field(default=False, description="Return whole objects instead of the compact summary.")


class ObjectInput(NamespacedInput):
    manifest: dict[str, Any] = Field(description="The object: {apiVersion, kind, metadata: {name}, spec}.")

    def document(self) -> dict[str, Any]:
        return self.manifest

    @cached_property
    def documents(self) -> list[dict[str, Any]]:
        """The manifest, as the registry reads it for the tool's scope (its metadata.namespace)."""
        return [self.manifest]


class UpdateInput(ObjectInput):
    name: ResourceName = Field(
        description="Name of the object to update (must match manifest.metadata.name)."
    )


class DeleteEventsInput(DeleteOptions, NamedInput):
    grace_period_seconds: int | None = Field(default=None, ge=0, description="Grace period for the deletion.")
    propagation_policy: Literal["Foreground", "Background", "Orphan"] | None = Field(
        default=None, description="How dependents are deleted."
    )


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
        list=ListEventsInput,
        get=NamedInput,
        create=ObjectInput,
        update=UpdateInput,
        delete=DeleteEventsInput,
        logs=EventSourceLogsInput,
    ),
    log_filters={"name": "name", "event_source_type": "eventSourceType", "event_name": "eventName"},
    descriptions={
        "list": "List Argo Events EventSources in a namespace.",
        "get": "Get a single Argo Events EventSource by name.",
        "create": "Create a new Argo Events EventSource in a namespace.",
        "update": "Update an existing Argo Events EventSource; the request replaces the spec.",
        "delete": "Delete an Argo Events EventSource by name; downstream consumers stop receiving events.",
        "logs": "Drain Argo Events EventSource logs into a single text payload (bounded at ~64KB).",
    },
)
SENSOR = ArgoKind(
    kind="Sensor",
    plural="sensors",
    resource="sensors",
    body_key="sensor",
    singular="sensor",
    words="sensor",
    group=ToolGroup.EVENTS,
    cluster=False,
    summary=events_summary,
    detail=_detail,
    saved=whole_object("sensor"),
    update_body_has_name=True,
    inputs=KindInputs(
        list=ListEventsInput,
        get=NamedInput,
        create=ObjectInput,
        update=UpdateInput,
        delete=DeleteEventsInput,
        logs=SensorLogsInput,
    ),
    log_filters={"name": "name", "trigger_name": "triggerName"},
    descriptions={
        "list": "List Argo Events Sensors in a namespace.",
        "get": "Get a single Argo Events Sensor by name.",
        "create": "Create an Argo Events Sensor.",
        "update": "Update an existing Argo Events Sensor by name.",
        "delete": "Delete an Argo Events Sensor by name; in-flight triggers tied to it are removed.",
        "logs": "Drain Argo Events Sensor logs into a single text payload (bounded; truncation marker on overflow).",
    },
)

TOOLS: list[Tool[Any]] = [*kind_tools(EVENT_SOURCE), *kind_tools(SENSOR)]
