"""Archived workflow tools (Argo's workflow archive, kept in a database after the live object is gone).

Archived workflows are addressed by UID alone, so their scope is resolved by UID: the registry reads the object
first (`archived_by_uid`) to learn its namespace, checks that namespace against the --namespaces allow-list and
the caller's access, and only then runs the handler, which gets the object read as `ctx.resolved` (it also
fills the namespace/name Argo's request bodies want).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Self

from pydantic import Field, model_validator

from argo_mcp.argo.errors import ArgoNotFound
from argo_mcp.argo.version import ArgoVersion
from argo_mcp.policy import (
    WORKFLOWS_CREATE,
    WORKFLOWS_DELETE,
    WORKFLOWS_LIST,
    WORKFLOWS_UPDATE,
    Permission,
    Resolver,
    Scope,
    ToolError,
)
from argo_mcp.settings import ToolGroup
from argo_mcp.tools.inputs import ListOptionsInput, NamespacedInput, ToolInput, Uid
from argo_mcp.tools.lifecycle import NODE_SELECTOR_HELP, PARAMETERS_HELP, ParameterValue, parameters_as_argo
from argo_mcp.tools.paths import api
from argo_mcp.tools.registry import Handler, Tool, ToolContext, ToolKind
from argo_mcp.tools.shaping import ListShape, archived_item, brief, clean


class ListArchivedInput(ListOptionsInput):
    name_prefix: str | None = Field(default=None, description="Only workflows whose name starts with this.")
    started_after: datetime | None = Field(default=None, description="Only runs started after this.")
    started_before: datetime | None = Field(default=None, description="Only runs started before this.")
    name: str | None = Field(
        default=None, min_length=1, max_length=253, pattern=r"^[a-z0-9.-]+$", description="Name to match."
    )
    name_filter: Literal["Exact", "Prefix", "Contains", "NotEquals"] | None = Field(
        default=None, description="How name matches (default Exact)."
    )
    full: bool = Field(default=False, description="Whole objects.")

    @model_validator(mode="after")
    def _filter_needs_name(self) -> Self:
        if self.name_filter is not None and self.name is None:
            raise ValueError("nameFilter says how `name` matches: give name too (or use namePrefix)")
        return self


NAME_FILTER_SINCE = (4, 0, 0)
"""Argo's archived-workflow list takes `nameFilter` from v4.0 (v3 matches `metadata.name=` exactly, and ignores
a nameFilter it does not know, which would answer a different list than the one asked for)."""


def _name_query(args: ListArchivedInput, version: ArgoVersion | None) -> dict[str, str | None]:
    """The query that matches `name` as `name_filter` says, on this server's version.

    v4+ (or an unknown version: sent as asked): `metadata.name=<name>` and `nameFilter`. v3: Exact is its only
    match, Prefix falls back to `namePrefix` (the same match, which v3 has), Contains and NotEquals are refused
    naming the version, since v3 would silently answer exact matches instead."""
    if args.name is None:
        return {"namePrefix": args.name_prefix}
    how = args.name_filter or "Exact"
    if how == "Exact" or version is None or not version.known or version.at_least(NAME_FILTER_SINCE):
        selector = f"metadata.name={args.name}"
        # Exact is Argo's default: not sent, so a v3 server (which has no nameFilter) gets what it knows.
        filter_ = None if how == "Exact" else how
        return {"selector": selector, "namePrefix": args.name_prefix, "nameFilter": filter_}
    if how == "Prefix" and args.name_prefix is None:
        return {"namePrefix": args.name}
    raise ToolError(
        f"nameFilter {how} needs Argo v4.0 or later, and this Argo is {version.text}: "
        + (
            "give namePrefix or name with nameFilter Prefix, not both"
            if how == "Prefix"
            else "use namePrefix, or name alone for an exact match"
        )
    )


def _archived_field_selector(args: ListArchivedInput, name: str | None = None) -> str | None:
    parts = [args.field_selector] if args.field_selector else []
    if name:
        parts.append(name)
    if args.started_after:
        parts.append(f"spec.startedAt>{args.started_after.isoformat()}")
    if args.started_before:
        parts.append(f"spec.startedAt<{args.started_before.isoformat()}")
    return ",".join(parts) or None


async def list_archived(ctx: ToolContext, args: ListArchivedInput) -> dict[str, Any]:
    shape = ListShape(
        archived_item, full=args.full, cap=ctx.settings.max_answer_bytes, namespace=ctx.namespace or None
    )
    needs_version = args.name_filter not in (None, "Exact")
    names = _name_query(args, await ctx.argo_version() if needs_version else None)
    answer = await ctx.argo.request(
        "GET",
        api("archived-workflows"),
        query={
            **args.list_options(),
            "listOptions.fieldSelector": _archived_field_selector(args, names.pop("selector", None)),
            "namespace": ctx.namespace,
            **names,
        },
        what=f"list archived workflows in namespace {ctx.namespace}",
        check_body=shape.check_body,
    )
    return shape.shape(answer)


class UidInput(ToolInput):
    uid: Uid = Field(description="The workflow's metadata.uid.")


def archived_by_uid(field: str, *, hint: str | None = None) -> Resolver:
    """The scope resolver of a tool that addresses an archived workflow by the UID in `field`: read it (the
    namespace is only known from Argo's answer), never act on it; `hint` is added when no such UID exists."""

    async def resolve(ctx: ToolContext, args: Any) -> tuple[str, Any]:
        uid = getattr(args, field)
        try:
            answer = await ctx.argo.request(
                "GET", api("archived-workflows", uid), what=f"get archived workflow {uid}"
            )
        except ArgoNotFound as exc:
            if hint is None:
                raise
            raise ToolError(f"{exc} ({hint})") from None
        metadata = answer.get("metadata") if isinstance(answer, dict) else None
        namespace = metadata.get("namespace") if isinstance(metadata, dict) else None
        return (namespace if isinstance(namespace, str) else ""), answer

    return resolve


BY_UID = Scope.by_uid("uid", archived_by_uid("uid"))


def _archived(ctx: ToolContext) -> dict[str, Any]:
    """The archived workflow the registry read to place the call (its namespace already checked)."""
    resolved: dict[str, Any] = ctx.resolved
    return resolved


async def get_archived(ctx: ToolContext, _args: UidInput) -> dict[str, Any]:
    return clean(_archived(ctx))  # type: ignore[no-any-return]


async def list_label_keys(ctx: ToolContext, _args: NamespacedInput) -> dict[str, Any]:
    answer: dict[str, Any] = await ctx.argo.request(
        "GET",
        api("archived-workflows-label-keys"),
        query={"namespace": ctx.namespace},
        what=f"list archived workflow label keys in namespace {ctx.namespace}",
    )
    return {"items": answer.get("items") or []}


class LabelValuesInput(NamespacedInput):
    key: str = Field(description="A label key.")


async def list_label_values(ctx: ToolContext, args: LabelValuesInput) -> dict[str, Any]:
    answer: dict[str, Any] = await ctx.argo.request(
        "GET",
        api("archived-workflows-label-values"),
        query={"listOptions.labelSelector": args.key, "namespace": ctx.namespace},
        what=f"list values of archived workflow label {args.key!r} in namespace {ctx.namespace}",
    )
    return {"key": args.key, "items": answer.get("items") or []}


async def delete_archived(ctx: ToolContext, args: UidInput) -> dict[str, Any]:
    await ctx.argo.request(
        "DELETE",
        api("archived-workflows", args.uid),
        query={"namespace": ctx.namespace},
        what=f"delete archived workflow {args.uid}",
    )
    return {"result": f"archived workflow {args.uid} deleted", "uid": args.uid}


class RetryArchivedInput(UidInput):
    restart_successful: bool | None = Field(
        default=None, description="Also re-run successful nodes matching nodeFieldSelector."
    )
    node_field_selector: str | None = Field(
        default=None, description=f"With restartSuccessful. {NODE_SELECTOR_HELP}"
    )
    parameters: dict[str, ParameterValue] | None = Field(default=None, description=PARAMETERS_HELP)


class ResubmitArchivedInput(UidInput):
    memoized: bool | None = Field(default=None, description="Reuse the run's successful steps.")
    parameters: dict[str, ParameterValue] | None = Field(default=None, description=PARAMETERS_HELP)


def archived_action(action: str, past: str) -> Handler[Any]:
    async def handler(ctx: ToolContext, args: RetryArchivedInput | ResubmitArchivedInput) -> dict[str, Any]:
        metadata = _archived(ctx).get("metadata", {})
        extra = args.model_dump(by_alias=True, exclude_none=True, exclude={"uid", "parameters"})
        body = {
            "uid": args.uid,
            "namespace": ctx.namespace,
            "name": metadata.get("name"),
            **extra,
            "parameters": parameters_as_argo(args.parameters),
        }
        answer = await ctx.argo.request(
            "PUT",
            api("archived-workflows", args.uid, action),
            body={k: v for k, v in body.items() if v is not None},
            what=f"{action} archived workflow {args.uid}",
        )
        new = brief(answer, str(metadata.get("namespace") or ""))
        return {
            "result": f"archived workflow {args.uid} {past}: {new.get('namespace')}/{new.get('name')}",
            **new,
        }

    return handler


def reads_the_archived_workflow(_args: Any) -> list[tuple[Permission, bool]]:
    """A retry or resubmit of an archived workflow reads the archived workflow it starts from."""
    return [(Permission("get", "workflows"), False)]


TOOLS: list[Tool[Any]] = [
    Tool(
        name="list_archived_workflows",
        title="List archived workflows",
        description="List archived (persisted) workflows with namespace, selector, started-at, and pagination filters.",
        group=ToolGroup.ARCHIVE,
        kind=ToolKind.READ_ONLY,
        input_model=ListArchivedInput,
        handler=list_archived,
        scope=Scope.argument(),
        permission=WORKFLOWS_LIST,
    ),
    Tool(
        name="get_archived_workflow",
        title="Get an archived workflow",
        description="Fetch a single archived workflow by UID.",
        group=ToolGroup.ARCHIVE,
        kind=ToolKind.READ_ONLY,
        input_model=UidInput,
        handler=get_archived,
        scope=BY_UID,
        permission=WORKFLOWS_LIST,
    ),
    Tool(
        name="list_archived_workflow_label_keys",
        title="Archived label keys",
        description="List all label keys present on archived workflows.",
        group=ToolGroup.ARCHIVE,
        kind=ToolKind.READ_ONLY,
        input_model=NamespacedInput,
        handler=list_label_keys,
        scope=Scope.argument(),
        permission=WORKFLOWS_LIST,
    ),
    Tool(
        name="list_archived_workflow_label_values",
        title="Archived label values",
        description="List all values for a given label key across archived workflows.",
        group=ToolGroup.ARCHIVE,
        kind=ToolKind.READ_ONLY,
        input_model=LabelValuesInput,
        handler=list_label_values,
        scope=Scope.argument(),
        permission=WORKFLOWS_LIST,
    ),
    Tool(
        name="delete_archived_workflow",
        title="Delete an archived workflow",
        description="Delete an archived workflow record by UID; the original live workflow is not affected.",
        group=ToolGroup.ARCHIVE,
        kind=ToolKind.DESTRUCTIVE,
        input_model=UidInput,
        handler=delete_archived,
        scope=BY_UID,
        permission=WORKFLOWS_DELETE,
    ),
    Tool(
        name="retry_archived_workflow",
        reads=reads_the_archived_workflow,
        title="Retry an archived workflow",
        description="Retry an archived workflow by UID; pods for failed/errored nodes are deleted and re-created.",
        group=ToolGroup.ARCHIVE,
        kind=ToolKind.DESTRUCTIVE,
        input_model=RetryArchivedInput,
        handler=archived_action("retry", "retried"),
        scope=BY_UID,
        permission=WORKFLOWS_UPDATE,
    ),
    Tool(
        name="resubmit_archived_workflow",
        reads=reads_the_archived_workflow,
        title="Resubmit an archived workflow",
        description="Resubmit an archived workflow by UID as a fresh workflow; the archive record is untouched.",
        group=ToolGroup.ARCHIVE,
        kind=ToolKind.MUTATING,
        input_model=ResubmitArchivedInput,
        handler=archived_action("resubmit", "resubmitted as"),
        scope=BY_UID,
        permission=WORKFLOWS_CREATE,
    ),
]
