"""The five Argo kinds argo-mcp manages besides workflows, as data, and the one factory that makes their tools.

WorkflowTemplate, ClusterWorkflowTemplate, CronWorkflow, EventSource and Sensor share their verbs (list, get,
create, update, delete; templates add lint, CronWorkflows suspend and resume, the Argo Events kinds their logs)
and differ only in facts: the REST path, the request body's key for the object, how an object is summarised,
whether it lives in a namespace, its toolset, its Kubernetes resource (what RBAC checks), the input models and
the descriptions. `ArgoKind` holds those facts, so a reviewer reads a kind's differences in one declaration;
`kind_tools` declares the tools from it (keyword `Tool(...)`, like every other module) and `KindCalls` holds the
handlers, one small method per verb. Create, update and lint take a manifest whose kind and apiVersion are
checked and filled in; update replaces the object, reading the live resourceVersion when the manifest has none
(conflicts.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from pydantic import Field

from argo_mcp.argo.streams import format_events_log
from argo_mcp.policy import POD_LOGS, Permission, Scope, ToolError
from argo_mcp.settings import ToolGroup
from argo_mcp.tools.compat import linted
from argo_mcp.tools.conflicts import replace_object
from argo_mcp.tools.inputs import ListOptions, ListOptionsInput, NamedInput, ResourceName, ToolInput
from argo_mcp.tools.lifecycle import lint_request
from argo_mcp.tools.logs import LogOptions, drain
from argo_mcp.tools.paths import api
from argo_mcp.tools.registry import Handler, TextOutput, Tool, ToolContext, ToolKind
from argo_mcp.tools.shaping import ListShape, clean

API_VERSION = "argoproj.io/v1alpha1"
Summary = Callable[[dict[str, Any]], dict[str, Any]]


# ---- the inputs every kind shares ---------------------------------------------------------------------------
LIST_FULL_HELP = "Whole objects."
GET_FULL_HELP = "The whole object."


class ListKindInput(ListOptionsInput):
    full: bool = Field(default=False, description=LIST_FULL_HELP)


class ClusterListInput(ListOptions):
    full: bool = Field(default=False, description=LIST_FULL_HELP)


class GetInput(NamedInput):
    full: bool = Field(default=False, description=GET_FULL_HELP)


class ClusterNamedInput(ToolInput):
    name: ResourceName = Field(description="Name.")


class ClusterGetInput(ClusterNamedInput):
    full: bool = Field(default=False, description=GET_FULL_HELP)


class DeleteOptions(ToolInput):
    grace_period_seconds: int | None = Field(default=None, ge=0, description="Seconds before deletion.")
    propagation_policy: Literal["Foreground", "Background", "Orphan"] | None = Field(
        default=None, description="How dependents are deleted."
    )

    def delete_options(self) -> dict[str, Any]:
        return {
            "deleteOptions.gracePeriodSeconds": self.grace_period_seconds,
            "deleteOptions.propagationPolicy": self.propagation_policy,
        }


class DeleteInput(DeleteOptions, NamedInput):
    pass


class ClusterDeleteInput(DeleteOptions, ClusterNamedInput):
    pass


class ManifestArgs(Protocol):
    """What create, update and lint read from their input: the manifest as a mapping, and (update) a name."""

    def document(self) -> dict[str, Any]: ...


class UpdateArgs(ManifestArgs, Protocol):
    @property
    def name(self) -> str | None: ...


@dataclass(frozen=True)
class KindInputs:
    """The input models of a kind's tools: their JSON schemas are the contract (reference, golden snapshots)."""

    list: type[ToolInput]
    get: type[ToolInput]
    create: type[ToolInput]
    update: type[ToolInput]
    delete: type[ToolInput]
    lint: type[ToolInput] | None = None
    logs: type[LogOptions] | None = None


@dataclass(frozen=True)
class ArgoKind:
    kind: str  # the manifest's kind: WorkflowTemplate, ..., Sensor
    plural: str  # REST path segment: workflow-templates, event-sources ...
    resource: str  # Kubernetes resource, what RBAC and a SubjectAccessReview name: workflowtemplates ...
    body_key: str  # the request body's key for the object: template, cronWorkflow, eventSource ...
    singular: str  # tool name stem: workflow_template, event_source ...
    words: str  # the kind in messages: "workflow template"
    group: ToolGroup  # the toolset its tools belong to
    cluster: bool  # cluster-scoped (no namespace) or namespaced
    summary: Summary  # a list item
    detail: Summary  # a get answer without full
    saved: Summary  # what create and update answer besides their result line
    inputs: KindInputs
    descriptions: Mapping[str, str]  # verb -> the tool's description
    answer_key: str = ""  # lint's key for the linted object
    update_body_has_name: bool = False  # Argo Events' update requests also carry the name in the body
    log_filters: Mapping[str, str] = field(default_factory=dict)  # logs input field -> query parameter
    actions: tuple[tuple[str, str], ...] = ()  # extra PUT actions on one object: (verb, past participle)
    update_kind: ToolKind = ToolKind.DESTRUCTIVE
    """An update replaces the whole object, which is not additive: destructive in MCP's sense of
    `destructiveHint`, except where the reference declares the update Mutating (EventSource, Sensor)."""

    def scope(self, *, manifest: bool = False) -> Scope:
        """Cluster-scoped kinds have no namespace; a namespaced manifest may name its own (metadata.namespace)."""
        if self.cluster:
            return Scope.cluster()
        return Scope.manifest("documents") if manifest else Scope.argument()

    def permission(self, verb: str) -> Permission:
        return Permission(verb, self.resource)


def whole_object(key: str) -> Summary:
    """A `saved` that answers the object itself under `key` (managedFields dropped, secrets redacted)."""
    return lambda answer: {key: clean(answer)}


class KindName(Protocol):
    """What `checked_manifest` reads of a kind: its name (an `ArgoKind`, or the Workflow kind of create_workflow)."""

    @property
    def kind(self) -> str: ...


def checked_manifest(
    kind: KindName, document: dict[str, Any], namespace: str | None, *, name: str | None, need_name: bool
) -> dict[str, Any]:
    """The manifest as Argo must receive it: kind and apiVersion checked and filled in, metadata.name and
    (namespaced kinds) metadata.namespace set. Every other value is the caller's, untouched."""
    if document.get("kind", kind.kind) != kind.kind:
        raise ToolError(
            f"manifest.kind is {document.get('kind')!r}, but this tool takes kind {kind.kind}; "
            f"use the {document.get('kind')} tools for that kind, or fix manifest.kind"
        )
    if document.get("apiVersion", API_VERSION) != API_VERSION:
        raise ToolError(f"manifest.apiVersion is {document.get('apiVersion')!r}; use {API_VERSION!r}")
    metadata = dict(document.get("metadata") or {})
    declared = metadata.get("name")
    if name is not None and declared not in (None, name):
        raise ToolError(f"manifest.metadata.name {declared!r} does not match name {name!r}")
    if not isinstance(document.get("spec"), dict):
        raise ToolError(f"manifest.spec is required: the {kind.kind}'s spec as a mapping")
    if name is not None:
        metadata["name"] = name
    elif need_name and not declared and not metadata.get("generateName"):
        raise ToolError("manifest.metadata.name is required (or metadata.generateName)")
    if namespace is not None:
        metadata["namespace"] = namespace
    return {"apiVersion": API_VERSION, "kind": kind.kind, **document, "metadata": metadata}


@dataclass(frozen=True)
class KindCalls:
    """The handlers of one kind's tools: where its objects live in Argo's API, and one method per verb."""

    kind: ArgoKind

    def path(self, ctx: ToolContext, *rest: str) -> str:
        if self.kind.cluster:
            return api(self.kind.plural, *rest)
        return api(self.kind.plural, ctx.namespace, *rest)

    def where(self, ctx: ToolContext, name: str | None = None) -> str:
        if self.kind.cluster:
            return str(name) if name else "the cluster"
        return f"{ctx.namespace}/{name}" if name else f"namespace {ctx.namespace}"

    def namespace(self, ctx: ToolContext) -> str | None:
        return None if self.kind.cluster else ctx.namespace

    def body(self, ctx: ToolContext, manifest: dict[str, Any], name: str | None = None) -> dict[str, Any]:
        shaped: dict[str, Any] = {self.kind.body_key: manifest}
        if name is not None:
            shaped = {"name": name, **shaped}
        return shaped if self.kind.cluster else {"namespace": ctx.namespace, **shaped}

    async def read(self, ctx: ToolContext, name: str) -> dict[str, Any]:
        answer: dict[str, Any] = await ctx.argo.request(
            "GET", self.path(ctx, name), what=f"get {self.kind.words} {self.where(ctx, name)}"
        )
        return answer

    async def list_objects(self, ctx: ToolContext, args: ListKindInput | ClusterListInput) -> dict[str, Any]:
        within = "" if self.kind.cluster else f" in namespace {ctx.namespace}"
        shape = ListShape(self.kind.summary, full=args.full, cap=ctx.settings.max_answer_bytes)
        answer = await ctx.argo.request(
            "GET",
            self.path(ctx),
            query={**args.list_options(), **args.extra_query()},
            what=f"list {self.kind.words}s{within}",
            check_body=shape.check_body,
        )
        return shape.shape(answer)

    async def get_object(self, ctx: ToolContext, args: NamedInput | ClusterNamedInput) -> dict[str, Any]:
        answer = await self.read(ctx, args.name)
        # A kind whose get has no `full` (the Argo Events kinds) answers its `detail`.
        return clean(answer) if getattr(args, "full", False) else self.kind.detail(answer)

    async def create_object(self, ctx: ToolContext, args: ManifestArgs) -> dict[str, Any]:
        manifest = checked_manifest(
            self.kind, args.document(), self.namespace(ctx), name=None, need_name=True
        )
        answer = await ctx.argo.request(
            "POST",
            self.path(ctx),
            body=self.body(ctx, manifest),
            what=f"create {self.kind.words} in {self.where(ctx)}",
        )
        created = (answer.get("metadata") or {}).get("name")
        return {"result": f"{self.kind.words} {self.where(ctx, created)} created", **self.kind.saved(answer)}

    async def update_object(self, ctx: ToolContext, args: UpdateArgs) -> dict[str, Any]:
        document = args.document()
        name = args.name or (document.get("metadata") or {}).get("name")
        if not name:
            raise ToolError("give name, or manifest.metadata.name: which object to update")
        manifest = checked_manifest(self.kind, document, self.namespace(ctx), name=str(name), need_name=True)
        named = name if self.kind.update_body_has_name else None

        async def live_version() -> str | None:
            return ((await self.read(ctx, name)).get("metadata") or {}).get("resourceVersion")

        async def put(replacement: dict[str, Any]) -> dict[str, Any]:
            answer: dict[str, Any] = await ctx.argo.request(
                "PUT",
                self.path(ctx, name),
                body=self.body(ctx, replacement, named),
                what=f"update {self.kind.words} {self.where(ctx, name)}",
            )
            return answer

        answer = await replace_object(manifest, live_version, put)
        return {"result": f"{self.kind.words} {self.where(ctx, name)} updated", **self.kind.saved(answer)}

    async def delete_object(self, ctx: ToolContext, args: DeleteInput | ClusterDeleteInput) -> dict[str, Any]:
        where = self.where(ctx, args.name)
        await ctx.argo.request(
            "DELETE",
            self.path(ctx, args.name),
            query=args.delete_options(),
            what=f"delete {self.kind.words} {where}",
        )
        return {"result": f"{self.kind.words} {where} deleted", "name": args.name}

    async def lint_object(self, ctx: ToolContext, args: ManifestArgs) -> dict[str, Any]:
        manifest = checked_manifest(
            self.kind, args.document(), self.namespace(ctx), name=None, need_name=False
        )
        result = await lint_request(
            ctx,
            self.path(ctx, "lint"),
            self.body(ctx, manifest),
            what=f"lint {self.kind.words} in {self.where(ctx)}",
        )
        if result["valid"]:
            result = {"valid": True, self.kind.answer_key: self.kind.detail(result["answer"])}
        return await linted(ctx, manifest, result)

    async def object_logs(self, ctx: ToolContext, args: LogOptions) -> TextOutput:
        values = args.model_dump()
        words = self.kind.words
        query = {
            **args.pod_log_options("podLogOptions"),
            "grep": args.grep,
            **{param: values.get(name) for name, param in self.kind.log_filters.items()},
        }
        return await drain(
            ctx,
            api("stream", self.kind.plural, ctx.namespace, "logs"),
            query,
            what=f"{words} logs in namespace {ctx.namespace}",
            options=args,
            formatter=format_events_log,
            empty_hint=f"no {words} pod logged anything matching the filters (is the {words} deployed?)",
        )

    def action(self, verb: str, past: str) -> Handler[NamedInput]:
        """A PUT /{name}/{verb} on one object (CronWorkflow suspend and resume)."""

        async def handler(ctx: ToolContext, args: NamedInput) -> dict[str, Any]:
            answer = await ctx.argo.request(
                "PUT",
                self.path(ctx, args.name, verb),
                body={"namespace": ctx.namespace, "name": args.name},
                what=f"{verb} {self.kind.words} {self.where(ctx, args.name)}",
            )
            return {
                "result": f"{self.kind.words} {self.where(ctx, args.name)} {past}",
                **self.kind.saved(answer),
                "suspended": bool((answer.get("spec") or {}).get("suspend")),
            }

        return handler


def kind_tools(kind: ArgoKind) -> list[Tool[Any]]:
    """Every tool of one kind: list, get, create, update, delete, then lint, logs and actions where it has them."""
    return [*crud_tools(kind), *lint_tools(kind), *logs_tools(kind), *action_tools(kind)]


def crud_tools(kind: ArgoKind) -> list[Tool[Any]]:
    calls, noun, stem, said = KindCalls(kind), kind.kind, kind.singular, kind.descriptions
    return [
        Tool(
            name=f"list_{stem}s",
            title=f"List {noun}s",
            description=said["list"],
            group=kind.group,
            kind=ToolKind.READ_ONLY,
            input_model=kind.inputs.list,
            handler=calls.list_objects,
            scope=kind.scope(),
            permission=kind.permission("list"),
        ),
        Tool(
            name=f"get_{stem}",
            title=f"Get a {noun}",
            description=said["get"],
            group=kind.group,
            kind=ToolKind.READ_ONLY,
            input_model=kind.inputs.get,
            handler=calls.get_object,
            scope=kind.scope(),
            permission=kind.permission("get"),
        ),
        Tool(
            name=f"create_{stem}",
            title=f"Create a {noun}",
            description=said["create"],
            group=kind.group,
            kind=ToolKind.MUTATING,
            input_model=kind.inputs.create,
            handler=calls.create_object,
            scope=kind.scope(manifest=True),
            permission=kind.permission("create"),
        ),
        Tool(
            name=f"update_{stem}",
            title=f"Update a {noun}",
            description=said["update"],
            group=kind.group,
            kind=kind.update_kind,
            input_model=kind.inputs.update,
            handler=calls.update_object,
            scope=kind.scope(manifest=True),
            idempotent=True,
            permission=kind.permission("update"),
        ),
        Tool(
            name=f"delete_{stem}",
            title=f"Delete a {noun}",
            description=said["delete"],
            group=kind.group,
            kind=ToolKind.DESTRUCTIVE,
            input_model=kind.inputs.delete,
            handler=calls.delete_object,
            scope=kind.scope(),
            permission=kind.permission("delete"),
        ),
    ]


def lint_tools(kind: ArgoKind) -> list[Tool[Any]]:
    if kind.inputs.lint is None:
        return []
    return [
        Tool(
            name=f"lint_{kind.singular}",
            title=f"Lint a {kind.kind}",
            description=kind.descriptions["lint"],
            group=kind.group,
            kind=ToolKind.READ_ONLY,
            input_model=kind.inputs.lint,
            handler=KindCalls(kind).lint_object,
            scope=kind.scope(manifest=True),
            # Argo's lint endpoints create nothing; RBAC-wise the caller only needs to see the kind.
            permission=kind.permission("list"),
        )
    ]


def logs_tools(kind: ArgoKind) -> list[Tool[Any]]:
    if kind.inputs.logs is None:
        return []
    return [
        Tool(
            name=f"get_{kind.singular}_logs",
            title=f"{kind.kind} logs",
            description=kind.descriptions["logs"],
            group=kind.group,
            kind=ToolKind.READ_ONLY,
            input_model=kind.inputs.logs,
            handler=KindCalls(kind).object_logs,
            scope=kind.scope(),
            permission=POD_LOGS,
        )
    ]


def action_tools(kind: ArgoKind) -> list[Tool[Any]]:
    return [
        Tool(
            name=f"{verb}_{kind.singular}",
            title=f"{verb.capitalize()} a {kind.kind}",
            description=kind.descriptions[verb],
            group=kind.group,
            kind=ToolKind.MUTATING,
            input_model=NamedInput,
            handler=KindCalls(kind).action(verb, past),
            scope=kind.scope(),
            idempotent=True,
            permission=kind.permission("update"),
        )
        for verb, past in kind.actions
    ]
