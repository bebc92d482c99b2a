"""Argo Events tools: EventSources and Sensors, six tools each, made by one factory.

The two kinds differ only in their REST path, the body key that carries the object, and their log filters;
`EventsKind` holds those differences and `events_tools` builds list/get/create/update/delete/logs from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from argo_mcp.argo.streams import format_events_log
from argo_mcp.settings import ToolGroup
from argo_mcp.tools.conflicts import replace_object
from argo_mcp.tools.inputs import ListOptionsInput, NamedInput, NamespacedInput, ResourceName
from argo_mcp.tools.logs import LogOptions, drain
from argo_mcp.tools.paths import api
from argo_mcp.tools.registry import (
    POD_LOGS,
    Handler,
    Permission,
    Scope,
    TextOutput,
    Tool,
    ToolContext,
    ToolError,
    ToolKind,
)
from argo_mcp.tools.shaping import ListShape, clean, events_summary


@dataclass(frozen=True)
class EventsKind:
    kind: str  # EventSource | Sensor
    plural: str  # event-sources | sensors (REST path)
    resource: str  # eventsources | sensors (Kubernetes resource, for authorization)
    body_key: str  # eventSource | sensor
    singular: str  # event_source | sensor (tool names)
    words: str  # "event source" | "sensor"
    descriptions: dict[str, str]  # verb -> the reference's one-line description


EVENT_SOURCE = EventsKind(
    "EventSource",
    "event-sources",
    "eventsources",
    "eventSource",
    "event_source",
    "event source",
    {
        "list": "List Argo Events EventSources in a namespace.",
        "get": "Get a single Argo Events EventSource by name.",
        "create": "Create a new Argo Events EventSource in a namespace.",
        "update": "Update an existing Argo Events EventSource; the request replaces the spec.",
        "delete": "Delete an Argo Events EventSource by name; downstream consumers stop receiving events.",
        "logs": "Drain Argo Events EventSource logs into a single text payload (bounded at ~64KB).",
    },
)
SENSOR = EventsKind(
    "Sensor",
    "sensors",
    "sensors",
    "sensor",
    "sensor",
    "sensor",
    {
        "list": "List Argo Events Sensors in a namespace.",
        "get": "Get a single Argo Events Sensor by name.",
        "create": "Create an Argo Events Sensor.",
        "update": "Update an existing Argo Events Sensor by name.",
        "delete": "Delete an Argo Events Sensor by name; in-flight triggers tied to it are removed.",
        "logs": "Drain Argo Events Sensor logs into a single text payload (bounded; truncation marker on overflow).",
    },
)


class ListEventsInput(ListOptionsInput):
    full: bool = Field(default=False, description="Return whole objects instead of the compact summary.")


class ObjectInput(NamespacedInput):
    manifest: dict[str, Any] = Field(description="The object: {apiVersion, kind, metadata: {name}, spec}.")


class UpdateInput(ObjectInput):
    name: ResourceName = Field(
        description="Name of the object to update (must match manifest.metadata.name)."
    )


class DeleteEventsInput(NamedInput):
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


def _checked_manifest(
    kind: EventsKind, manifest: dict[str, Any], namespace: str, name: str | None
) -> dict[str, Any]:
    if manifest.get("kind", kind.kind) != kind.kind:
        raise ToolError(f"manifest.kind is {manifest.get('kind')!r}; this tool takes kind {kind.kind}")
    metadata = dict(manifest.get("metadata") or {})
    manifest_name = metadata.get("name")
    if name is None and not manifest_name and not metadata.get("generateName"):
        raise ToolError("manifest.metadata.name is required (or metadata.generateName)")
    if name is not None and manifest_name not in (None, name):
        raise ToolError(f"manifest.metadata.name {manifest_name!r} does not match name {name!r}")
    # metadata.namespace agrees with `namespace`: the registry placed the call there (the scope is the manifest).
    if name is not None:
        metadata["name"] = name
    metadata["namespace"] = namespace
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": kind.kind, **manifest, "metadata": metadata}


def events_tools(
    kind: EventsKind, logs_model: type[LogOptions], log_filters: dict[str, str]
) -> list[Tool[Any]]:
    """The six tools of one Argo Events kind; `log_filters` maps input fields to the logs query parameters."""

    async def list_objects(ctx: ToolContext, args: ListEventsInput) -> dict[str, Any]:
        shape = ListShape(events_summary, full=args.full, cap=ctx.settings.max_answer_bytes)
        answer = await ctx.argo.request(
            "GET",
            api(kind.plural, ctx.namespace),
            query=args.list_options(),
            what=f"list {kind.words}s in namespace {ctx.namespace}",
            check_body=shape.check_body,
        )
        return shape.shape(answer)

    async def get_object(ctx: ToolContext, args: NamedInput) -> dict[str, Any]:
        answer = await ctx.argo.request(
            "GET",
            api(kind.plural, ctx.namespace, args.name),
            what=f"get {kind.words} {ctx.namespace}/{args.name}",
        )
        return clean(answer)  # type: ignore[no-any-return]

    async def create_object(ctx: ToolContext, args: ObjectInput) -> dict[str, Any]:
        manifest = _checked_manifest(kind, args.manifest, ctx.namespace, None)
        answer = await ctx.argo.request(
            "POST",
            api(kind.plural, ctx.namespace),
            body={"namespace": ctx.namespace, kind.body_key: manifest},
            what=f"create {kind.words} in namespace {ctx.namespace}",
        )
        created = answer.get("metadata", {}).get("name")
        return {"result": f"{kind.words} {ctx.namespace}/{created} created", kind.body_key: clean(answer)}

    async def update_object(ctx: ToolContext, args: UpdateInput) -> dict[str, Any]:
        manifest = _checked_manifest(kind, args.manifest, ctx.namespace, args.name)

        async def live_version() -> str | None:
            current = await ctx.argo.request(
                "GET",
                api(kind.plural, ctx.namespace, args.name),
                what=f"get {kind.words} {ctx.namespace}/{args.name}",
            )
            return (current.get("metadata") or {}).get("resourceVersion")

        async def put(body: dict[str, Any]) -> dict[str, Any]:
            answer: dict[str, Any] = await ctx.argo.request(
                "PUT",
                api(kind.plural, ctx.namespace, args.name),
                body={"namespace": ctx.namespace, "name": args.name, kind.body_key: body},
                what=f"update {kind.words} {ctx.namespace}/{args.name}",
            )
            return answer

        answer = await replace_object(manifest, live_version, put)
        return {"result": f"{kind.words} {ctx.namespace}/{args.name} updated", kind.body_key: clean(answer)}

    async def delete_object(ctx: ToolContext, args: DeleteEventsInput) -> dict[str, Any]:
        await ctx.argo.request(
            "DELETE",
            api(kind.plural, ctx.namespace, args.name),
            query={
                "deleteOptions.gracePeriodSeconds": args.grace_period_seconds,
                "deleteOptions.propagationPolicy": args.propagation_policy,
            },
            what=f"delete {kind.words} {ctx.namespace}/{args.name}",
        )
        return {"result": f"{kind.words} {ctx.namespace}/{args.name} deleted", "name": args.name}

    async def object_logs(ctx: ToolContext, args: LogOptions) -> TextOutput:
        values = args.model_dump()
        query = {
            **args.pod_log_options("podLogOptions"),
            "grep": args.grep,
            **{param: values.get(field) for field, param in log_filters.items()},
        }
        return await drain(
            ctx,
            api("stream", kind.plural, ctx.namespace, "logs"),
            query,
            what=f"{kind.words} logs in namespace {ctx.namespace}",
            options=args,
            formatter=format_events_log,
            empty_hint=f"no {kind.words} pod logged anything matching the filters (is the {kind.words} deployed?)",
        )

    def tool(
        verb: str,
        title: str,
        tool_kind: ToolKind,
        model: type[Any],
        handler: Handler[Any],
        *,
        idempotent: bool = False,
    ) -> Tool[Any]:
        names = {"list": f"list_{kind.singular}s", "logs": f"get_{kind.singular}_logs"}
        permission = POD_LOGS if verb == "logs" else Permission(verb, kind.resource)
        scope = Scope.manifest("manifest") if verb in ("create", "update") else Scope.argument()
        return Tool(
            name=names.get(verb, f"{verb}_{kind.singular}"),
            title=title,
            description=kind.descriptions[verb],
            group=ToolGroup.EVENTS,
            kind=tool_kind,
            input_model=model,
            handler=handler,
            scope=scope,
            idempotent=idempotent,
            permission=permission,
        )

    noun = kind.kind
    return [
        tool("list", f"List {noun}s", ToolKind.READ_ONLY, ListEventsInput, list_objects),
        tool("get", f"Get a {noun}", ToolKind.READ_ONLY, NamedInput, get_object),
        tool("create", f"Create a {noun}", ToolKind.MUTATING, ObjectInput, create_object),
        tool("update", f"Update a {noun}", ToolKind.MUTATING, UpdateInput, update_object, idempotent=True),
        tool("delete", f"Delete a {noun}", ToolKind.DESTRUCTIVE, DeleteEventsInput, delete_object),
        tool("logs", f"{noun} logs", ToolKind.READ_ONLY, logs_model, object_logs),
    ]


TOOLS: list[Tool[Any]] = [
    *events_tools(
        EVENT_SOURCE,
        EventSourceLogsInput,
        {"name": "name", "event_source_type": "eventSourceType", "event_name": "eventName"},
    ),
    *events_tools(SENSOR, SensorLogsInput, {"name": "name", "trigger_name": "triggerName"}),
]
