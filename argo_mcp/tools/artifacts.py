"""Artifact tools: stream a workflow's output or input artifact to a file under the allowed directory.

Live workflows are addressed by name, archived ones by UID. Argo's by-UID artifact paths do not confine the
workflow to a namespace (`/input-artifacts-by-uid/{uid}/...` takes none), so with workflowUid the scope is resolved
by UID: the registry reads the archived workflow first, checks ITS namespace against the allow-list and the
caller's access, and the download then names that namespace. Bytes go straight from the socket to a temporary
file in the destination directory (memory bounded by one chunk), hashed on the way, renamed when complete.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from pydantic import Field, model_validator

from argo_mcp.argo.streams import download_to_file, resolve_destination
from argo_mcp.settings import ToolGroup
from argo_mcp.tools.archive import archived_by_uid
from argo_mcp.tools.inputs import NamespacedInput, PathSegment, ResourceName, Uid
from argo_mcp.tools.paths import raw
from argo_mcp.tools.registry import Permission, Scope, Tool, ToolContext, ToolKind


class ArtifactInput(NamespacedInput):
    workflow_name: ResourceName | None = Field(
        default=None, description="Name of a live workflow (give this or workflowUid)."
    )
    workflow_uid: Uid | None = Field(
        default=None,
        description=(
            "UID of an archived workflow (give this or workflowName); its namespace must be "
            "one argo-mcp may act in."
        ),
    )
    node_id: PathSegment = Field(description="Node id (a status.nodes key; get_workflow lists them).")
    artifact_name: PathSegment = Field(description="The artifact's name as declared in the template.")
    destination_path: str = Field(
        description="File to write under --artifact-dir (a relative path is resolved there)."
    )
    overwrite: bool = Field(default=False, description="Replace the destination file if it already exists.")

    @property
    def target(self) -> str:
        """The workflow, as named in messages and the audit log."""
        return self.workflow_name or self.workflow_uid or ""

    @model_validator(mode="after")
    def _one_workflow_reference(self) -> ArtifactInput:
        if (self.workflow_name is None) == (self.workflow_uid is None):
            raise ValueError(
                "give exactly one of workflowName (live workflow) or workflowUid (archived workflow)"
            )
        return self


def _output_path(ctx: ToolContext, args: ArtifactInput) -> str:
    if args.workflow_uid:
        return raw(
            "artifact-files",
            ctx.namespace,
            "archived-workflows",
            args.workflow_uid,
            args.node_id,
            "outputs",
            args.artifact_name,
        )
    assert args.workflow_name is not None
    # Argo's server matches "workflows" here (server/artifacts/artifact_server.go); swagger.json's enum says
    # "workflow", which the server answers with 400. The e2e suite proves the path against a real server.
    return raw(
        "artifact-files",
        ctx.namespace,
        "workflows",
        args.workflow_name,
        args.node_id,
        "outputs",
        args.artifact_name,
    )


def _input_path(ctx: ToolContext, args: ArtifactInput) -> str:
    if args.workflow_uid:
        return raw("input-artifacts-by-uid", args.workflow_uid, args.node_id, args.artifact_name)
    assert args.workflow_name is not None
    return raw("input-artifacts", ctx.namespace, args.workflow_name, args.node_id, args.artifact_name)


async def _download(ctx: ToolContext, args: ArtifactInput, path: str, direction: str) -> dict[str, Any]:
    destination = resolve_destination(
        ctx.settings.artifact_dir, args.destination_path, overwrite=args.overwrite
    )
    workflow = args.target
    saved = await download_to_file(
        ctx.argo,
        path,
        destination,
        overwrite=args.overwrite,
        what=f"{direction} artifact {args.artifact_name!r} of node {args.node_id} of workflow {workflow}",
    )
    return asdict(saved)


async def get_output_artifact(ctx: ToolContext, args: ArtifactInput) -> dict[str, Any]:
    return await _download(ctx, args, _output_path(ctx, args), "output")


async def get_input_artifact(ctx: ToolContext, args: ArtifactInput) -> dict[str, Any]:
    return await _download(ctx, args, _input_path(ctx, args), "input")


ARTIFACT_SCOPE = Scope.by_uid(
    "workflow_uid",
    archived_by_uid(
        "workflow_uid", hint="workflowUid addresses archived workflows; address a live one by workflowName"
    ),
)

TOOLS: list[Tool[Any]] = [
    Tool(
        name="get_workflow_output_artifact",
        title="Download an output artifact",
        description="Stream a workflow output artifact to a local file; returns { path, bytes, sha256 }.",
        group=ToolGroup.ARTIFACTS,
        kind=ToolKind.READ_ONLY,
        input_model=ArtifactInput,
        handler=get_output_artifact,
        scope=ARTIFACT_SCOPE,
        permission=Permission("get", "workflows"),
    ),
    Tool(
        name="get_workflow_input_artifact",
        title="Download an input artifact",
        description="Stream a workflow input artifact to a local file; returns { path, bytes, sha256 }.",
        group=ToolGroup.ARTIFACTS,
        kind=ToolKind.READ_ONLY,
        input_model=ArtifactInput,
        handler=get_input_artifact,
        scope=ARTIFACT_SCOPE,
        permission=Permission("get", "workflows"),
    ),
]
