"""WorkflowTemplates, ClusterWorkflowTemplates and CronWorkflows: what `submit_workflow` submits from.

Without these an agent cannot find out which templates exist. The three kinds share their verbs (list, get,
create, update, delete, lint; CronWorkflows add suspend and resume) and differ in their REST path, the body key
that carries the object, how they are summarised, and whether they live in a namespace. `TemplateKind` holds
those differences and `template_tools` builds the tools of one kind from it, the way `events.py` does for the
Argo Events kinds. Create, update and lint take a manifest (an object or YAML text) whose kind is checked;
update replaces the spec, reading the live resourceVersion when the manifest has none (conflicts.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal, Self

from pydantic import Field, PrivateAttr, field_validator, model_validator

from argo_mcp.settings import ToolGroup
from argo_mcp.tools.conflicts import replace_object
from argo_mcp.tools.inputs import (
    ListOptions,
    ListOptionsInput,
    NamedInput,
    NamespacedInput,
    ResourceName,
    ToolInput,
    namespace_name,
)
from argo_mcp.tools.lifecycle import lint_request
from argo_mcp.tools.manifests import single_manifest
from argo_mcp.tools.paths import api
from argo_mcp.tools.registry import Handler, Permission, Scope, Tool, ToolContext, ToolError, ToolKind
from argo_mcp.tools.shaping import ListShape, clean
from argo_mcp.tools.template_shaping import (
    cron_detail,
    cron_summary,
    saved,
    template_detail,
    template_summary,
)

API_VERSION = "argoproj.io/v1alpha1"
Summary = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class TemplateKind:
    kind: str  # WorkflowTemplate | ClusterWorkflowTemplate | CronWorkflow
    plural: str  # REST path segment
    resource: str  # Kubernetes resource (what RBAC and a SubjectAccessReview name)
    body_key: str  # the request body's key for the object
    answer_key: str  # the key of the object in a tool's answer
    singular: str  # tool name stem
    words: str  # in messages
    group: ToolGroup
    cluster: bool
    summary: Summary  # a list item
    detail: Summary  # a get answer without full


WORKFLOW_TEMPLATE = TemplateKind(
    "WorkflowTemplate",
    "workflow-templates",
    "workflowtemplates",
    "template",
    "workflowTemplate",
    "workflow_template",
    "workflow template",
    ToolGroup.TEMPLATES,
    False,
    template_summary,
    template_detail,
)
CLUSTER_WORKFLOW_TEMPLATE = TemplateKind(
    "ClusterWorkflowTemplate",
    "cluster-workflow-templates",
    "clusterworkflowtemplates",
    "template",
    "clusterWorkflowTemplate",
    "cluster_workflow_template",
    "cluster workflow template",
    ToolGroup.TEMPLATES,
    True,
    template_summary,
    template_detail,
)
CRON_WORKFLOW = TemplateKind(
    "CronWorkflow",
    "cron-workflows",
    "cronworkflows",
    "cronWorkflow",
    "cronWorkflow",
    "cron_workflow",
    "cron workflow",
    ToolGroup.CRON,
    False,
    cron_summary,
    cron_detail,
)

# Parameter help is short: the tool descriptions say what `full` does, and a manifest is a Kubernetes object
# any model knows the shape of (its kind and apiVersion are filled in when left out).
MANIFEST_HELP = "The object or one YAML document, sent as written."
NAME_HELP = "Default: manifest.metadata.name."


# ---- inputs -------------------------------------------------------------------------------------------------
class ListTemplatesInput(ListOptionsInput):
    full: bool = False

    def extra_query(self) -> dict[str, Any]:
        return {}


class ListWorkflowTemplatesInput(ListTemplatesInput):
    name_pattern: str | None = Field(default=None, description="Only templates whose name contains this.")

    def extra_query(self) -> dict[str, Any]:
        return {"namePattern": self.name_pattern}


class ClusterListInput(ListOptions):
    full: bool = False

    def extra_query(self) -> dict[str, Any]:
        return {}


class GetInput(NamedInput):
    full: bool = False


class ClusterNamedInput(ToolInput):
    name: ResourceName


class ClusterGetInput(ClusterNamedInput):
    full: bool = False


class DeleteOptions(ToolInput):
    grace_period_seconds: int | None = Field(default=None, ge=0)
    propagation_policy: Literal["Foreground", "Background", "Orphan"] | None = None

    def delete_options(self) -> dict[str, Any]:
        return {
            "deleteOptions.gracePeriodSeconds": self.grace_period_seconds,
            "deleteOptions.propagationPolicy": self.propagation_policy,
        }


class DeleteInput(DeleteOptions, NamedInput):
    pass


class ClusterDeleteInput(DeleteOptions, ClusterNamedInput):
    pass


class ManifestField(ToolInput):
    manifest: dict[str, Any] | str = Field(description=MANIFEST_HELP)

    @field_validator("manifest")
    @classmethod
    def _one_document(cls, value: dict[str, Any] | str) -> dict[str, Any] | str:
        metadata = single_manifest(value, "manifest").get("metadata")
        if metadata is not None and not isinstance(metadata, dict):
            raise ValueError("metadata must be a mapping, e.g. {name: my-template}")
        return value

    _document: dict[str, Any] | None = PrivateAttr(default=None)

    def document(self) -> dict[str, Any]:
        """The manifest as a mapping (YAML text parsed once per call; the argument itself is never modified)."""
        if self._document is None:
            self._document = single_manifest(self.manifest, "manifest")
        return self._document

    def prepare(self) -> None:
        self.document()

    def metadata(self) -> dict[str, Any]:
        return dict(self.document().get("metadata") or {})

    @cached_property
    def documents(self) -> list[dict[str, Any]]:
        """The manifest parsed, as the registry reads it for the tool's scope (its metadata.namespace), whether
        it was given as an object or as YAML text."""
        return [self.document()]

    @property
    def audit_name(self) -> str | None:
        """The object's name for the audit line (the manifest may be YAML text)."""
        metadata = self.metadata()
        name = metadata.get("name") or metadata.get("generateName")
        return name if isinstance(name, str) else None


# A namespaced object's manifest: its metadata.namespace, when given, is the namespace acted in.
class ManifestInput(ManifestField, NamespacedInput):
    @model_validator(mode="after")
    def _namespace_from_manifest(self) -> Self:
        declared = self.metadata().get("namespace")
        if declared is None:
            return self
        if self.namespace is None:
            # Validated like the argument, so the allow-list and RBAC see a real namespace name.
            if not isinstance(declared, str):
                raise ValueError("manifest.metadata.namespace must be a string, e.g. 'argo'")
            self.namespace = namespace_name(declared)
        elif declared != self.namespace:
            raise ValueError(
                f"manifest.metadata.namespace {declared!r} does not match namespace {self.namespace!r}; "
                "give the same in both, or only one of them"
            )
        return self


class UpdateInput(ManifestInput):
    name: ResourceName | None = Field(default=None, description=NAME_HELP)


# A cluster-scoped object's manifest: it has no namespace.
class ClusterManifestInput(ManifestField):
    @model_validator(mode="after")
    def _no_namespace(self) -> Self:
        if self.metadata().get("namespace"):
            raise ValueError(
                "manifest.metadata.namespace is set, but a ClusterWorkflowTemplate is cluster-scoped; "
                "remove it (or use the workflow template tools for a namespaced template)"
            )
        return self


class ClusterUpdateInput(ClusterManifestInput):
    name: ResourceName | None = Field(default=None, description=NAME_HELP)


# ---- handlers -----------------------------------------------------------------------------------------------
def _checked(
    kind: TemplateKind, args: ManifestField, namespace: str | None, *, name: str | None, need_name: bool
) -> dict[str, Any]:
    """The manifest as Argo must receive it: kind checked, apiVersion and kind filled in, metadata.name and
    (namespaced kinds) metadata.namespace set. Every other value is the caller's, untouched."""
    document = args.document()
    if document.get("kind", kind.kind) != kind.kind:
        raise ToolError(
            f"manifest.kind is {document.get('kind')!r}, but this tool takes kind {kind.kind}; "
            f"use the {document.get('kind')} tools for that kind, or fix manifest.kind"
        )
    if document.get("apiVersion", API_VERSION) != API_VERSION:
        raise ToolError(f"manifest.apiVersion is {document.get('apiVersion')!r}; use {API_VERSION!r}")
    if not isinstance(document.get("spec"), dict):
        raise ToolError(f"manifest.spec is required: the {kind.kind}'s spec as a mapping")
    metadata = dict(document.get("metadata") or {})
    declared = metadata.get("name")
    if name is not None and declared not in (None, name):
        raise ToolError(f"manifest.metadata.name {declared!r} does not match name {name!r}")
    if name is not None:
        metadata["name"] = name
    elif need_name and not declared and not metadata.get("generateName"):
        raise ToolError("manifest.metadata.name is required (or metadata.generateName)")
    if namespace is not None:
        metadata["namespace"] = namespace
    return {"apiVersion": API_VERSION, "kind": kind.kind, **document, "metadata": metadata}


def template_tools(kind: TemplateKind) -> list[Tool[Any]]:
    """The tools of one kind (CronWorkflows also get suspend and resume)."""

    def path(ctx: ToolContext, *rest: str) -> str:
        return api(kind.plural, *rest) if kind.cluster else api(kind.plural, ctx.namespace, *rest)

    def where(ctx: ToolContext, name: str | None = None) -> str:
        if kind.cluster:
            return str(name) if name else "the cluster"
        return f"{ctx.namespace}/{name}" if name else f"namespace {ctx.namespace}"

    def body(ctx: ToolContext, manifest: dict[str, Any]) -> dict[str, Any]:
        shaped = {kind.body_key: manifest}
        return shaped if kind.cluster else {"namespace": ctx.namespace, **shaped}

    def namespace_of(ctx: ToolContext) -> str | None:
        return None if kind.cluster else ctx.namespace

    async def list_objects(ctx: ToolContext, args: ListTemplatesInput | ClusterListInput) -> dict[str, Any]:
        shape = ListShape(kind.summary, full=args.full, cap=ctx.settings.max_answer_bytes)
        answer = await ctx.argo.request(
            "GET",
            path(ctx),
            query={**args.list_options(), **args.extra_query()},
            what=f"list {kind.words}s" + ("" if kind.cluster else f" in namespace {ctx.namespace}"),
            check_body=shape.check_body,
        )
        return shape.shape(answer)

    async def read(ctx: ToolContext, name: str) -> dict[str, Any]:
        answer: dict[str, Any] = await ctx.argo.request(
            "GET", path(ctx, name), what=f"get {kind.words} {where(ctx, name)}"
        )
        return answer

    async def get_object(ctx: ToolContext, args: GetInput | ClusterGetInput) -> dict[str, Any]:
        answer = await read(ctx, args.name)
        return clean(answer) if args.full else kind.detail(answer)

    async def create_object(ctx: ToolContext, args: ManifestField) -> dict[str, Any]:
        manifest = _checked(kind, args, namespace_of(ctx), name=None, need_name=True)
        answer = await ctx.argo.request(
            "POST", path(ctx), body=body(ctx, manifest), what=f"create {kind.words} in {where(ctx)}"
        )
        created = saved(answer)
        return {"result": f"{kind.words} {where(ctx, created.get('name'))} created", **created}

    async def update_object(ctx: ToolContext, args: UpdateInput | ClusterUpdateInput) -> dict[str, Any]:
        name = args.name or args.metadata().get("name")
        if not name:
            raise ToolError("give name, or manifest.metadata.name: which object to update")
        manifest = _checked(kind, args, namespace_of(ctx), name=str(name), need_name=True)

        async def live_version() -> str | None:
            current = await read(ctx, manifest["metadata"]["name"])
            return (current.get("metadata") or {}).get("resourceVersion")

        async def put(replacement: dict[str, Any]) -> dict[str, Any]:
            answer: dict[str, Any] = await ctx.argo.request(
                "PUT",
                path(ctx, replacement["metadata"]["name"]),
                body=body(ctx, replacement),
                what=f"update {kind.words} {where(ctx, name)}",
            )
            return answer

        answer = await replace_object(manifest, live_version, put)
        return {"result": f"{kind.words} {where(ctx, name)} updated", **saved(answer)}

    async def delete_object(ctx: ToolContext, args: DeleteInput | ClusterDeleteInput) -> dict[str, Any]:
        await ctx.argo.request(
            "DELETE",
            path(ctx, args.name),
            query=args.delete_options(),
            what=f"delete {kind.words} {where(ctx, args.name)}",
        )
        return {"result": f"{kind.words} {where(ctx, args.name)} deleted", "name": args.name}

    async def lint_object(ctx: ToolContext, args: ManifestField) -> dict[str, Any]:
        manifest = _checked(kind, args, namespace_of(ctx), name=None, need_name=False)
        result = await lint_request(
            ctx, path(ctx, "lint"), body(ctx, manifest), what=f"lint {kind.words} in {where(ctx)}"
        )
        if result["valid"]:
            return {"valid": True, kind.answer_key: kind.detail(result["answer"])}
        return result

    def cron_action(action: str, past: str) -> Handler[NamedInput]:
        async def handler(ctx: ToolContext, args: NamedInput) -> dict[str, Any]:
            answer = await ctx.argo.request(
                "PUT",
                path(ctx, args.name, action),
                body={"namespace": ctx.namespace, "name": args.name},
                what=f"{action} {kind.words} {where(ctx, args.name)}",
            )
            suspended = bool((answer.get("spec") or {}).get("suspend"))
            return {
                "result": f"{kind.words} {where(ctx, args.name)} {past}",
                **saved(answer),
                "suspended": suspended,
            }

        return handler

    noun = kind.kind
    scope = Scope.cluster() if kind.cluster else Scope.argument()
    manifest_scope = Scope.cluster() if kind.cluster else Scope.manifest("documents")
    place = "cluster-wide" if kind.cluster else "in a namespace"

    def tool(
        name: str,
        title: str,
        description: str,
        tool_kind: ToolKind,
        model: tuple[type[Any], type[Any]],
        handler: Handler[Any],
        verb: str,
        *,
        idempotent: bool = False,
        manifest: bool = False,
    ) -> Tool[Any]:
        return Tool(
            name=name,
            title=title,
            description=description,
            group=kind.group,
            kind=tool_kind,
            input_model=model[1] if kind.cluster else model[0],
            handler=handler,
            idempotent=idempotent,
            permission=Permission(verb, kind.resource),
            scope=manifest_scope if manifest else scope,
        )

    single = kind.singular
    cron = kind is CRON_WORKFLOW
    list_model = ListWorkflowTemplatesInput if kind is WORKFLOW_TEMPLATE else ListTemplatesInput
    listed = "schedules, suspended, last run, outcome counts" if cron else "name, entrypoint, parameters"
    summarised = (
        "schedules, policy, status and the workflow it runs"
        if cron
        else "entrypoint, arguments with defaults, templates by name and type"
    )
    deleted = (
        "its schedule stops and it submits no more workflows"
        if cron
        else "workflows can no longer be submitted from it"
    )
    tools = [
        tool(
            f"list_{single}s",
            f"List {noun}s",
            f"List {noun}s {place}: {listed} (full=true for whole objects).",
            ToolKind.READ_ONLY,
            (list_model, ClusterListInput),
            list_objects,
            "list",
        ),
        tool(
            f"get_{single}",
            f"Get a {noun}",
            f"Get one {noun} by name, summarised: {summarised} (full=true for the object).",
            ToolKind.READ_ONLY,
            (GetInput, ClusterGetInput),
            get_object,
            "get",
        ),
        tool(
            f"create_{single}",
            f"Create a {noun}",
            f"Create a {noun} from a manifest.",
            ToolKind.MUTATING,
            (ManifestInput, ClusterManifestInput),
            create_object,
            "create",
            manifest=True,
        ),
        tool(
            f"update_{single}",
            f"Update a {noun}",
            f"Update an existing {noun}; the manifest's spec replaces the live one.",
            ToolKind.MUTATING,
            (UpdateInput, ClusterUpdateInput),
            update_object,
            "update",
            idempotent=True,
            manifest=True,
        ),
        tool(
            f"delete_{single}",
            f"Delete a {noun}",
            f"Delete a {noun} by name; {deleted}.",
            ToolKind.DESTRUCTIVE,
            (DeleteInput, ClusterDeleteInput),
            delete_object,
            "delete",
        ),
        tool(
            f"lint_{single}",
            f"Lint a {noun}",
            f"Lint a {noun} manifest server-side without creating it.",
            ToolKind.READ_ONLY,
            (ManifestInput, ClusterManifestInput),
            lint_object,
            "list",
            manifest=True,
        ),
    ]
    if cron:
        tools += [
            tool(
                "suspend_cron_workflow",
                "Suspend a CronWorkflow",
                "Suspend a CronWorkflow: it schedules no new workflows until resumed (running ones continue).",
                ToolKind.MUTATING,
                (NamedInput, NamedInput),
                cron_action("suspend", "suspended"),
                "update",
                idempotent=True,
            ),
            tool(
                "resume_cron_workflow",
                "Resume a CronWorkflow",
                "Resume a suspended CronWorkflow: it schedules workflows again.",
                ToolKind.MUTATING,
                (NamedInput, NamedInput),
                cron_action("resume", "resumed"),
                "update",
                idempotent=True,
            ),
        ]
    return tools


TOOLS: list[Tool[Any]] = [
    *template_tools(WORKFLOW_TEMPLATE),
    *template_tools(CLUSTER_WORKFLOW_TEMPLATE),
    *template_tools(CRON_WORKFLOW),
]
