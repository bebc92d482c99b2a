"""Workflow lifecycle tools: submit, lint, suspend/resume, resubmit, set; and the destructive ones: retry,
stop, terminate, delete.

The seven `PUT /api/v1/workflows/{namespace}/{name}/{action}` operations share one handler factory; each
input model only declares the extra fields its Argo request body takes (see `action_body`).
"""

from __future__ import annotations

import json
from dataclasses import replace
from functools import cached_property
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from argo_mcp.argo.errors import ArgoBadRequest, ArgoError, ArgoNotFound, ArgoServerError
from argo_mcp.policy import (
    WORKFLOWS_CREATE,
    WORKFLOWS_DELETE,
    WORKFLOWS_LIST,
    WORKFLOWS_UPDATE,
    Permission,
    Scope,
    ToolError,
)
from argo_mcp.settings import ToolGroup
from argo_mcp.tools.compat import linted
from argo_mcp.tools.conflicts import retry_on_conflict
from argo_mcp.tools.inputs import NamedInput, NamespacedInput, NewResourceName, ResourceName, ToolInput
from argo_mcp.tools.manifests import manifest_documents
from argo_mcp.tools.paths import api
from argo_mcp.tools.registry import Handler, Tool, ToolContext, ToolKind
from argo_mcp.tools.shaping import brief, clean
from argo_mcp.tools.suggest import closest, name_list
from argo_mcp.tools.watch import WaitInput, wait_for_workflow

ParameterValue = str | int | float | bool
LINT_FINDING_CODES = frozenset({2, 3})  # gRPC Unknown, InvalidArgument
NODE_SELECTOR_HELP = "e.g. 'displayName=approve'."


PARAMETERS_HELP = "{name: value} overrides."


def parameters_as_argo(parameters: dict[str, ParameterValue] | None) -> list[str] | None:
    """Argo takes parameters as `name=value` strings."""
    if not parameters:
        return None
    return [f"{name}={json.dumps(v) if isinstance(v, bool) else v}" for name, v in parameters.items()]


WAIT_HELP = "Wait for the run to end."


class Waiting(ToolInput):
    """`wait`: a tool that starts a run answers with the run's end instead of at once (watch.py waits)."""

    wait: bool = Field(default=False, description=WAIT_HELP)


class WorkflowAction(NamedInput):
    """Base of the PUT actions; the body is namespace + name + the subclass's own fields."""

    def action_body(self, namespace: str) -> dict[str, Any]:
        extra = self.model_dump(by_alias=True, exclude_none=True, exclude={"namespace", "name", "wait"})
        if "parameters" in extra:
            extra["parameters"] = parameters_as_argo(extra["parameters"])
        return {"namespace": namespace, "name": self.name, **extra}


class ResumeInput(WorkflowAction):
    node_field_selector: str | None = Field(
        default=None, description=f"Only these suspend nodes, {NODE_SELECTOR_HELP}"
    )


class ResubmitInput(WorkflowAction, Waiting):
    memoized: bool | None = Field(default=None, description="Reuse the run's successful steps.")
    parameters: dict[str, ParameterValue] | None = Field(default=None, description=PARAMETERS_HELP)


class SetInput(WorkflowAction):
    node_field_selector: str = Field(description=f"Nodes to change, {NODE_SELECTOR_HELP}")
    phase: Literal["Succeeded", "Failed", "Error"] | None = Field(
        default=None, description="New phase of the nodes."
    )
    message: str | None = Field(default=None, description="New message of the nodes.")
    output_parameters: dict[str, ParameterValue] | None = Field(
        default=None, description="Output parameters: {name: value}."
    )

    @model_validator(mode="after")
    def _something_to_set(self) -> SetInput:
        if self.phase is None and self.message is None and not self.output_parameters:
            raise ValueError("give at least one of phase, message or outputParameters to set")
        return self

    def action_body(self, namespace: str) -> dict[str, Any]:
        body = super().action_body(namespace)
        if self.output_parameters:
            body["outputParameters"] = json.dumps({k: str(v) for k, v in self.output_parameters.items()})
        return body


class RetryInput(WorkflowAction, Waiting):
    restart_successful: bool | None = Field(
        default=None, description="Also re-run successful nodes matching nodeFieldSelector."
    )
    node_field_selector: str | None = Field(
        default=None, description=f"With restartSuccessful, {NODE_SELECTOR_HELP}"
    )
    parameters: dict[str, ParameterValue] | None = Field(default=None, description=PARAMETERS_HELP)


class StopInput(WorkflowAction):
    node_field_selector: str | None = Field(
        default=None, description=f"Only these nodes, {NODE_SELECTOR_HELP}"
    )
    message: str | None = Field(default=None, description="Why (recorded on the workflow).")


def workflow_action(action: str, past: str) -> Handler[Any]:
    async def handler(ctx: ToolContext, args: WorkflowAction) -> dict[str, Any]:
        async def send() -> dict[str, Any]:
            answer: dict[str, Any] = await ctx.argo.request(
                "PUT",
                api("workflows", ctx.namespace, args.name, action),
                body=args.action_body(ctx.namespace),
                what=f"{action} workflow {ctx.namespace}/{args.name}",
            )
            return answer

        # A conflict just after the workflow finished is the controller's (conflicts.py): sent again.
        answer = await retry_on_conflict(send)
        started = {"result": f"workflow {ctx.namespace}/{args.name} {past}", **brief(answer, ctx.namespace)}
        return await then_wait(ctx, args, started)

    return handler


# ---- submit -------------------------------------------------------------------------------------------------
class SubmitInput(NamespacedInput, Waiting):
    resource_kind: Literal["WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow"] = Field(
        default="WorkflowTemplate", description="The template's kind."
    )
    resource_name: ResourceName = Field(description="The template's name.")
    parameters: dict[str, ParameterValue] | None = Field(
        default=None, description="Parameters: {name: value}."
    )
    labels: dict[str, str] | None = Field(default=None, description="Labels of the new workflow.")
    annotations: dict[str, str] | None = Field(default=None, description="Its annotations.")
    name: NewResourceName | None = Field(default=None, description="Its exact name.")
    generate_name: str | None = Field(
        default=None,
        description="Name prefix (default: the template's name + '-').",
    )
    entry_point: str | None = Field(
        default=None, description="Template to start at (default: spec.entrypoint)."
    )
    service_account: str | None = Field(default=None, description="ServiceAccount of its pods.")
    priority: int | None = Field(default=None, description="Higher runs first under parallelism limits.")
    server_dry_run: bool | None = Field(default=None, description="Validate only; create nothing.")

    @field_validator("labels", "annotations")
    @classmethod
    def _no_commas(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        for key, item in (value or {}).items():
            if "," in key or "," in item or "=" in key:
                raise ValueError(
                    f"{key}={item}: keys may not contain ',' or '=' and values may not contain ','"
                )
        return value

    @property
    def audit_name(self) -> str:
        """What a submit acts on, for the audit line: the template it runs."""
        return f"{self.resource_kind}/{self.resource_name}"


def _pairs(values: dict[str, str] | None) -> str | None:
    return ",".join(f"{k}={v}" for k, v in values.items()) if values else None


def _template_path(ctx: ToolContext, args: SubmitInput) -> str:
    if args.resource_kind == "ClusterWorkflowTemplate":
        return api("cluster-workflow-templates", args.resource_name)
    kind = "cron-workflows" if args.resource_kind == "CronWorkflow" else "workflow-templates"
    return api(kind, ctx.namespace, args.resource_name)


def declared_parameters(template: dict[str, Any], kind: str, entry_point: str | None) -> list[str] | None:
    """The parameter names a submit of `template` can set: its spec.arguments.parameters (a CronWorkflow's
    spec.workflowSpec's) and the entry template's inputs.parameters (Argo passes the workflow's arguments to
    it). None when they cannot be known from the template: one that runs another by workflowTemplateRef."""
    spec = template.get("spec") or {}
    if kind == "CronWorkflow":  # (Argo's answers carry no `kind`)
        spec = spec.get("workflowSpec") or {}
    if not isinstance(spec, dict) or spec.get("workflowTemplateRef"):
        return None
    names = [
        p.get("name") for p in (spec.get("arguments") or {}).get("parameters") or [] if isinstance(p, dict)
    ]
    entry = entry_point or spec.get("entrypoint")
    for step in spec.get("templates") or []:
        if isinstance(step, dict) and step.get("name") == entry:
            inputs = (step.get("inputs") or {}).get("parameters") or []
            names += [p.get("name") for p in inputs if isinstance(p, dict)]
    return [name for name in dict.fromkeys(names) if isinstance(name, str) and name]


async def check_parameter_names(ctx: ToolContext, args: SubmitInput) -> None:
    """Refuse a parameter the template does not declare, before anything is created: Argo adds it to the
    workflow's arguments silently, so a misspelt name (`mesage`) runs with the template's default instead.

    One GET of the template, only when parameters are given. A template that declares none takes none (a
    parameter can only be used where it is declared). When the template cannot be read, Argo's submit answers
    as it would have."""
    if not args.parameters:
        return
    try:
        template = await ctx.argo.request(
            "GET", _template_path(ctx, args), what=f"get {args.resource_kind} {args.resource_name}"
        )
    except ArgoError:
        return
    template = template if isinstance(template, dict) else {}
    declared = declared_parameters(template, args.resource_kind, args.entry_point)
    if declared is None:
        return
    unknown = [name for name in args.parameters if name not in declared]
    if not unknown:
        return
    what = f"{args.resource_kind} {args.resource_name}"
    if not declared:
        raise ToolError(
            f"{what} declares no parameters: submit it without parameters (got {', '.join(unknown)})"
        )
    guesses = [
        f"{name!r} (did you mean {hint!r}?)" if (hint := closest(name, declared)) else repr(name)
        for name in unknown
    ]
    raise ToolError(
        f"{what} declares no parameter {', '.join(guesses)}; its parameters: {name_list(declared)}"
    )


async def submit_workflow(ctx: ToolContext, args: SubmitInput) -> dict[str, Any]:
    await check_parameter_names(ctx, args)
    options = {
        "parameters": parameters_as_argo(args.parameters),
        "labels": _pairs(args.labels),
        "annotations": _pairs(args.annotations),
        "name": args.name,
        "generateName": args.generate_name,
        "entryPoint": args.entry_point,
        "serviceAccount": args.service_account,
        "priority": args.priority,
        "serverDryRun": args.server_dry_run,
    }
    answer = await ctx.argo.request(
        "POST",
        api("workflows", ctx.namespace, "submit"),
        body={
            "namespace": ctx.namespace,
            "resourceKind": args.resource_kind,
            "resourceName": args.resource_name,
            "submitOptions": {k: v for k, v in options.items() if v is not None},
        },
        what=f"submit {args.resource_kind} {args.resource_name} in namespace {ctx.namespace}",
    )
    submitted = brief(answer, ctx.namespace)
    started = {"result": f"submitted workflow {submitted['namespace']}/{submitted.get('name')}", **submitted}
    return await then_wait(ctx, args, started)


async def then_wait(ctx: ToolContext, args: Any, started: dict[str, Any]) -> dict[str, Any]:
    """With `wait`, the run's end (or what it is at when the wait gives up; for a task, at the first look) under
    `waited`; the workflow named in `started` is the one Argo made (a resubmit's is a new one)."""
    if not getattr(args, "wait", False) or getattr(args, "server_dry_run", None) or not started.get("name"):
        return started
    namespace = started.get("namespace") or ctx.namespace
    look = WaitInput(name=started["name"], namespace=namespace)
    return {**started, "waited": await wait_for_workflow(replace(ctx, namespace=namespace), look)}


# ---- lint ---------------------------------------------------------------------------------------------------
class LintInput(NamespacedInput):
    workflow: dict[str, Any] | str = Field(
        description="A Workflow object or YAML/JSON text; '---' documents are linted one by one."
    )

    @field_validator("workflow")
    @classmethod
    def _parse(cls, value: dict[str, Any] | str) -> dict[str, Any] | str:
        _documents(value)
        return value

    @cached_property
    def manifests(self) -> list[dict[str, Any]]:
        """The manifests to lint, exactly as written (the text itself is kept, never trimmed); the registry
        reads their metadata.namespace (the tool's scope) and the handler lints them."""
        return _documents(self.workflow)

    def prepare(self) -> None:
        self.manifests  # noqa: B018 - parsed where the arguments were validated (off the loop when big)


def _documents(value: dict[str, Any] | str) -> list[dict[str, Any]]:
    return manifest_documents(value, what="Workflow objects")


async def lint_request(ctx: ToolContext, path: str, body: dict[str, Any], *, what: str) -> dict[str, Any]:
    """POST a lint request; a manifest Argo rejects is a finding (`valid: false`), not a tool error.

    Argo answers a manifest that fails validation with 400, or 500 with gRPC code Unknown (3.7); a referenced
    template that does not exist is a 404, and a finding about the manifest too.
    """
    try:
        answer = await ctx.argo.request("POST", path, body=body, what=what)
    except ArgoNotFound as exc:
        return {"valid": False, "errors": exc.argo_message or exc.detail}
    except (ArgoBadRequest, ArgoServerError) as exc:
        if isinstance(exc, ArgoServerError) and exc.grpc_code not in LINT_FINDING_CODES:
            raise
        return {"valid": False, "errors": exc.argo_message or exc.detail}
    return {"valid": True, "answer": answer}


async def _lint_one(ctx: ToolContext, manifest: dict[str, Any]) -> dict[str, Any]:
    if manifest.get("kind", "Workflow") != "Workflow":
        raise ToolError(f"lint_workflow lints kind Workflow, got kind {manifest.get('kind')!r}")
    metadata = manifest.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise ToolError("the manifest's metadata must be a mapping")
    # Argo resolves referenced templates in the manifest's own namespace, so that one is the namespace acted in:
    # the registry placed the call there (the tool's scope is the manifest) and checked it.
    namespace = ctx.namespace
    manifest = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        **manifest,
        "metadata": {**metadata, "namespace": namespace},
    }
    result = await lint_request(
        ctx,
        api("workflows", namespace, "lint"),
        {"namespace": namespace, "workflow": manifest},
        what=f"lint workflow in namespace {namespace}",
    )
    if result["valid"]:
        result = {"valid": True, "workflow": clean(result["answer"])}
    return await linted(ctx, manifest, result)


async def lint_workflow(ctx: ToolContext, args: LintInput) -> dict[str, Any]:
    documents = args.manifests
    if len(documents) == 1:
        return await _lint_one(ctx, documents[0])
    results = []
    for index, manifest in enumerate(documents):
        try:
            result = await _lint_one(ctx, manifest)
        except ToolError as exc:
            result = {"valid": False, "errors": str(exc)}
        metadata = manifest.get("metadata")
        name = (metadata.get("name") or metadata.get("generateName")) if isinstance(metadata, dict) else None
        results.append({"document": index, "name": name, **result})
    return {"valid": all(r["valid"] for r in results), "documents": results}


# ---- delete -------------------------------------------------------------------------------------------------
class DeleteInput(NamedInput):
    grace_period_seconds: int | None = Field(default=None, ge=0, description="Seconds before deletion.")
    propagation_policy: Literal["Foreground", "Background", "Orphan"] | None = Field(
        default=None, description="How dependents (pods) are deleted."
    )
    force: bool | None = Field(default=None, description="Even if finalizers are pending.")


async def delete_workflow(ctx: ToolContext, args: DeleteInput) -> dict[str, Any]:
    await ctx.argo.request(
        "DELETE",
        api("workflows", ctx.namespace, args.name),
        query={
            "deleteOptions.gracePeriodSeconds": args.grace_period_seconds,
            "deleteOptions.propagationPolicy": args.propagation_policy,
            "force": args.force,
        },
        what=f"delete workflow {ctx.namespace}/{args.name}",
    )
    return {
        "result": f"workflow {ctx.namespace}/{args.name} deleted",
        "name": args.name,
        "namespace": ctx.namespace,
    }


SUBMITTED_FROM = {
    "WorkflowTemplate": Permission("get", "workflowtemplates"),
    "ClusterWorkflowTemplate": Permission("get", "clusterworkflowtemplates"),
    "CronWorkflow": Permission("get", "cronworkflows"),
}


def submitted_from(args: SubmitInput) -> list[tuple[Permission, bool]]:
    """Argo's own submit reads the template (or CronWorkflow) with the caller's identity: so does argo-mcp's."""
    return [(SUBMITTED_FROM[args.resource_kind], args.resource_kind == "ClusterWorkflowTemplate")]


def reads_the_workflow(_args: Any) -> list[tuple[Permission, bool]]:
    """A resubmit reads the workflow it copies."""
    return [(Permission("get", "workflows"), False)]


TOOLS: list[Tool[Any]] = [
    Tool(
        name="submit_workflow",
        reads=submitted_from,
        title="Submit a workflow",
        description="Submit a workflow from a referenced template (WorkflowTemplate, ClusterWorkflowTemplate, CronWorkflow).",
        group=ToolGroup.WORKFLOWS,
        kind=ToolKind.MUTATING,
        input_model=SubmitInput,
        handler=submit_workflow,
        scope=Scope.argument(),
        permission=WORKFLOWS_CREATE,
        task=True,
    ),
    Tool(
        name="lint_workflow",
        title="Lint a workflow",
        description="Lint a workflow manifest server-side without creating it.",
        group=ToolGroup.WORKFLOWS,
        kind=ToolKind.READ_ONLY,
        input_model=LintInput,
        handler=lint_workflow,
        scope=Scope.manifest("manifests"),
        permission=WORKFLOWS_LIST,
    ),
    Tool(
        name="suspend_workflow",
        title="Suspend a workflow",
        description="Suspend a running workflow at the next step boundary (reversible via resume_workflow).",
        group=ToolGroup.WORKFLOWS,
        kind=ToolKind.MUTATING,
        input_model=WorkflowAction,
        handler=workflow_action("suspend", "suspended"),
        scope=Scope.argument(),
        idempotent=True,
        permission=WORKFLOWS_UPDATE,
    ),
    Tool(
        name="resume_workflow",
        title="Resume a workflow",
        description="Resume a previously suspended workflow.",
        group=ToolGroup.WORKFLOWS,
        kind=ToolKind.MUTATING,
        input_model=ResumeInput,
        handler=workflow_action("resume", "resumed"),
        scope=Scope.argument(),
        idempotent=True,
        permission=WORKFLOWS_UPDATE,
    ),
    Tool(
        name="resubmit_workflow",
        reads=reads_the_workflow,
        title="Resubmit a workflow",
        description="Resubmit a workflow as a new run; the original workflow is left untouched.",
        group=ToolGroup.WORKFLOWS,
        kind=ToolKind.MUTATING,
        input_model=ResubmitInput,
        handler=workflow_action("resubmit", "resubmitted as a new workflow"),
        scope=Scope.argument(),
        permission=WORKFLOWS_CREATE,
        task=True,
    ),
    Tool(
        name="set_workflow",
        title="Set node fields",
        description="Set node-level fields on a workflow: phase, message, or output parameters.",
        group=ToolGroup.WORKFLOWS,
        kind=ToolKind.MUTATING,
        input_model=SetInput,
        handler=workflow_action("set", "updated"),
        scope=Scope.argument(),
        idempotent=True,
        permission=WORKFLOWS_UPDATE,
    ),
    Tool(
        name="retry_workflow",
        title="Retry a workflow",
        description="Retry a failed or errored workflow; failed pods are deleted and the run restarts. Irreversible.",
        group=ToolGroup.WORKFLOWS,
        kind=ToolKind.DESTRUCTIVE,
        input_model=RetryInput,
        handler=workflow_action("retry", "retried"),
        scope=Scope.argument(),
        permission=WORKFLOWS_UPDATE,
        task=True,
    ),
    Tool(
        name="stop_workflow",
        title="Stop a workflow",
        description="Gracefully stop a running workflow via the exit handler, leaving it in a terminal state.",
        group=ToolGroup.WORKFLOWS,
        kind=ToolKind.DESTRUCTIVE,
        input_model=StopInput,
        handler=workflow_action("stop", "stopped"),
        scope=Scope.argument(),
        idempotent=True,
        permission=WORKFLOWS_UPDATE,
    ),
    Tool(
        name="terminate_workflow",
        title="Terminate a workflow",
        description="Hard-kill a workflow; every pod is deleted immediately without running exit handlers.",
        group=ToolGroup.WORKFLOWS,
        kind=ToolKind.DESTRUCTIVE,
        input_model=WorkflowAction,
        handler=workflow_action("terminate", "terminated"),
        scope=Scope.argument(),
        idempotent=True,
        permission=WORKFLOWS_UPDATE,
    ),
    Tool(
        name="delete_workflow",
        title="Delete a workflow",
        description="Permanently delete a workflow resource from the cluster; history and outputs are lost.",
        group=ToolGroup.WORKFLOWS,
        kind=ToolKind.DESTRUCTIVE,
        input_model=DeleteInput,
        handler=delete_workflow,
        scope=Scope.argument(),
        permission=WORKFLOWS_DELETE,
    ),
]
