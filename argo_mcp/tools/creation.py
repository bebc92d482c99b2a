"""`create_workflow`: run a Workflow manifest as it is (the `argo submit wf.yaml` of every Argo user).

`submit_workflow` only starts a run from a template, so an agent holding a manifest had to create a template
first. This tool takes the manifest like every manifest tool (an object or YAML text, its metadata.namespace the
namespace acted in, `generateName` kept), so the allow-list, the caller's RBAC, the composition rules
(templates it refers to, destructive resource templates) and the service-account guard all apply in the call
pipeline before anything is sent. `serverDryRun` asks Argo what it would create without creating it; `wait`
answers with the run's end, as a task where the client supports tasks (like submit_workflow's).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

from pydantic import Field, model_validator

from argo_mcp.policy import WORKFLOWS_CREATE, Scope
from argo_mcp.settings import ToolGroup
from argo_mcp.tools.kinds import checked_manifest
from argo_mcp.tools.lifecycle import Waiting, then_wait
from argo_mcp.tools.paths import api
from argo_mcp.tools.registry import Tool, ToolContext, ToolKind
from argo_mcp.tools.shaping import brief
from argo_mcp.tools.templates import ManifestInput


@dataclass(frozen=True)
class _WorkflowKind:
    kind: str = "Workflow"


WORKFLOW = _WorkflowKind()


class CreateWorkflowInput(Waiting, ManifestInput):
    server_dry_run: bool = Field(default=False, description="Preview only; create nothing.")

    @model_validator(mode="after")
    def _nothing_to_wait_for(self) -> Self:
        # A preview creates no run: a wait (or a task standing for one) would wait for a workflow that does
        # not exist, so the pair is refused instead of answering a task that can only fail.
        if self.wait and self.server_dry_run:
            raise ValueError("serverDryRun creates no workflow, so there is no run to wait for: drop wait")
        return self


async def manifest_check(ctx: ToolContext, manifest: dict[str, Any]) -> dict[str, Any]:
    """The call site for rules that judge the manifest against the Argo it is sent to (issue 26's version-aware
    compat table: a field the server's version drops or refuses is refused here, naming the replacement, before
    the create request). Returns the manifest to send, or raises ToolError naming the field and its fix; a rule
    that needs the server's version reads it through `ctx` (cached per server). Today: no rule, unchanged."""
    del ctx
    return manifest


async def create_workflow(ctx: ToolContext, args: CreateWorkflowInput) -> dict[str, Any]:
    manifest = checked_manifest(WORKFLOW, args.document(), ctx.namespace, name=None, need_name=True)
    manifest = await manifest_check(ctx, manifest)
    body: dict[str, Any] = {"namespace": ctx.namespace, "workflow": manifest}
    if args.server_dry_run:
        body["serverDryRun"] = True
    answer = await ctx.argo.request(
        "POST",
        api("workflows", ctx.namespace),
        body=body,
        what=f"create workflow in namespace {ctx.namespace}",
    )
    made = brief(answer, ctx.namespace)
    where = f"{made['namespace']}/{made.get('name')}"
    if args.server_dry_run:
        made.pop("phase", None)  # a preview never runs
        return {"result": f"dry run: Argo accepts workflow {where}; nothing was created", **made}
    return await then_wait(ctx, args, {"result": f"created workflow {where}", **made})


TOOLS: list[Tool[Any]] = [
    Tool(
        name="create_workflow",
        title="Create a workflow",
        description="Create and run a workflow from a Workflow manifest.",
        group=ToolGroup.WORKFLOWS,
        kind=ToolKind.MUTATING,
        input_model=CreateWorkflowInput,
        handler=create_workflow,
        scope=Scope.manifest("documents"),
        permission=WORKFLOWS_CREATE,
        task=True,
    ),
]
