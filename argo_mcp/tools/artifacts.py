"""Artifact tools: stream a workflow's output or input artifact to a file under the allowed directory.

Live workflows are addressed by name, archived ones by UID. Argo's by-UID artifact paths do not confine the
workflow to a namespace (`/input-artifacts-by-uid/{uid}/...` takes none), so with workflowUid the scope is resolved
by UID: the registry reads the archived workflow first, checks ITS namespace against the allow-list and the
caller's access, and the download then names that namespace. Bytes go straight from the socket to a temporary
file in the destination directory (memory bounded by one chunk), hashed on the way, renamed when complete.

Without destinationPath, an artifact of at most --inline-artifact-kib comes back in the answer, so an agent that
talks over HTTP can read it without access to the server's disk: valid UTF-8 (without NUL bytes) as the answer's
text, anything else as an embedded resource blob (base64), with `bytes` and `sha256` either way. A larger one is
saved as `<namespace>/<workflow>/<nodeId>/<direction>/<artifactName>` under --artifact-dir, in the same single
request. With destinationPath the artifact always goes to that file, whatever its size (the caller asked for a
file).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import asdict
from pathlib import Path
from typing import Any

import mcp_types as types
from pydantic import Field, model_validator

from argo_mcp.argo.errors import ArgoBadRequest, ArgoError, ArgoNotFound, ArgoServerError
from argo_mcp.argo.streams import download_to_file, read_or_save, resolve_destination
from argo_mcp.policy import WORKFLOWS_GET, Scope, ToolError
from argo_mcp.settings import ToolGroup
from argo_mcp.tools.archive import archived_by_uid
from argo_mcp.tools.inputs import NamespacedInput, PathSegment, ResourceName, Uid
from argo_mcp.tools.paths import api, raw
from argo_mcp.tools.registry import ContentOutput, Output, TextOutput, Tool, ToolContext, ToolKind
from argo_mcp.tools.suggest import closest, name_list, unknown_name


class ArtifactInput(NamespacedInput):
    workflow_name: ResourceName | None = Field(default=None, description="A live workflow (or workflowUid).")
    workflow_uid: Uid | None = Field(
        default=None,
        description="An archived workflow's UID (or workflowName).",
    )
    node_id: PathSegment = Field(description="Node id (a status.nodes key).")
    artifact_name: PathSegment = Field(description="As the template names it.")
    destination_path: str | None = Field(
        default=None,
        description="Save to this file (under the server's artifact directory).",
    )
    overwrite: bool = Field(default=False, description="Replace an existing file.")

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


async def _download(ctx: ToolContext, args: ArtifactInput, path: str, direction: str) -> Output:
    try:
        return await _fetch(ctx, args, path, direction)
    except (ArgoServerError, ArgoNotFound, ArgoBadRequest):
        # Argo answers a node or an artifact name it does not have with 500 ("retry shortly"): when that is
        # the cause, say so with the names there are. Only on this path, so a download costs no extra request.
        await _check_names(ctx, args, direction)
        raise


async def _workflow_nodes(ctx: ToolContext, args: ArtifactInput) -> dict[str, Any]:
    """status.nodes of the workflow: the archived one the registry read to place the call, or a live one's."""
    if args.workflow_uid:
        wf = ctx.resolved if isinstance(ctx.resolved, dict) else {}
    else:
        assert args.workflow_name is not None
        try:
            wf = await ctx.argo.request(
                "GET",
                api("workflows", ctx.namespace, args.workflow_name),
                query={"fields": "status.nodes"},
                what=f"get workflow {ctx.namespace}/{args.workflow_name}",
            )
        except ArgoError:
            return {}
    nodes = ((wf if isinstance(wf, dict) else {}).get("status") or {}).get("nodes") or {}
    return {key: node for key, node in nodes.items() if isinstance(node, dict)}


def _artifact_names(node: dict[str, Any], direction: str) -> list[str]:
    artifacts = (node.get(f"{direction}s") or {}).get("artifacts") or []
    return [str(a["name"]) for a in artifacts if isinstance(a, dict) and a.get("name")]


async def _check_names(ctx: ToolContext, args: ArtifactInput, direction: str) -> None:
    """A ToolError when the workflow has no node `nodeId` or the node no such artifact, naming what it has;
    nothing when the workflow cannot be read or the names are right (Argo's own error then stands)."""
    nodes = await _workflow_nodes(ctx, args)
    if not nodes:
        return
    where = f"workflow {args.target}"
    node = nodes.get(args.node_id)
    if node is None:
        named = [key for key, n in nodes.items() if args.node_id in (n.get("displayName"), n.get("name"))]
        if len(named) == 1:
            raise ToolError(f"nodeId takes a node's id: {args.node_id!r} is the name of node {named[0]!r}")
        with_artifacts = [
            f"{key} ({n.get('displayName') or n.get('name')})"
            for key, n in nodes.items()
            if _artifact_names(n, "input") or _artifact_names(n, "output")
        ]
        hint = closest(args.node_id, nodes)
        raise ToolError(
            f"{where} has no node with id {args.node_id!r}"
            + (f" (did you mean {hint!r}?)" if hint else "")
            + (
                f"; nodes with artifacts: {name_list(with_artifacts)}"
                if with_artifacts
                else "; no node has artifacts"
            )
        )
    names = _artifact_names(node, direction)
    if args.artifact_name in names:
        return
    other = "input" if direction == "output" else "output"
    message = unknown_name(
        f"{direction} artifact", args.artifact_name, names, where=f"node {args.node_id} of {where}"
    )
    if others := _artifact_names(node, other):
        message += f"; its {other} artifacts (get_workflow_{other}_artifact): {name_list(others)}"
    raise ToolError(message)


async def _fetch(ctx: ToolContext, args: ArtifactInput, path: str, direction: str) -> Output:
    what = f"{direction} artifact {args.artifact_name!r} of node {args.node_id} of workflow {args.target}"
    # The answer must also fit --max-answer-mib once base64-encoded; beyond that an artifact is saved instead.
    limit = min(ctx.settings.inline_artifact_bytes, max(0, (ctx.settings.max_answer_bytes - 1024) * 3 // 4))
    if args.destination_path is not None or limit == 0:
        destination = resolve_destination(
            ctx.settings.artifact_dir,
            args.destination_path or _default_destination(ctx, args, direction),
            overwrite=args.overwrite,
        )
        saved = await download_to_file(ctx.argo, path, destination, overwrite=args.overwrite, what=what)
        return asdict(saved)

    def spill() -> Path:
        return resolve_destination(
            ctx.settings.artifact_dir, _default_destination(ctx, args, direction), overwrite=args.overwrite
        )

    got = await read_or_save(ctx.argo, path, limit=limit, spill=spill, overwrite=args.overwrite, what=what)
    if not isinstance(got, bytes):
        return {
            **asdict(got),
            "note": (
                f"larger than {limit // 1024} KiB (--inline-artifact-kib, within --max-answer-mib), so saved "
                "under --artifact-dir"
            ),
        }
    return inline_answer(got, _artifact_uri(ctx, args, direction), args.artifact_name)


def _default_destination(ctx: ToolContext, args: ArtifactInput, direction: str) -> str:
    """Where an artifact too large to inline is saved: every segment is a validated name, so no traversal."""
    return "/".join((ctx.namespace, args.target, args.node_id, direction, args.artifact_name))


def _artifact_uri(ctx: ToolContext, args: ArtifactInput, direction: str) -> str:
    kind = "archived-workflows" if args.workflow_uid else "workflows"
    return (
        f"argo://{kind}/{ctx.namespace}/{args.target}/nodes/{args.node_id}/{direction}s/{args.artifact_name}"
    )


def inline_answer(data: bytes, uri: str, name: str) -> Output:
    """Text as text (the answer's text, metadata as structured content), anything else as a blob."""
    meta: dict[str, Any] = {"artifact": name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    if b"\x00" not in data:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return TextOutput(text=text, data={**meta, "encoding": "utf-8"})
    blob = types.BlobResourceContents(
        uri=uri, mime_type="application/octet-stream", blob=base64.b64encode(data).decode("ascii")
    )
    return ContentOutput(
        data={**meta, "encoding": "base64", "uri": uri}, blocks=(types.EmbeddedResource(resource=blob),)
    )


async def get_output_artifact(ctx: ToolContext, args: ArtifactInput) -> Output:
    return await _download(ctx, args, _output_path(ctx, args), "output")


async def get_input_artifact(ctx: ToolContext, args: ArtifactInput) -> Output:
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
        description=(
            "Get a workflow output artifact: small ones inline, larger ones saved to a file on the server; with "
            "bytes and sha256."
        ),
        group=ToolGroup.ARTIFACTS,
        kind=ToolKind.READ_ONLY,
        input_model=ArtifactInput,
        handler=get_output_artifact,
        scope=ARTIFACT_SCOPE,
        permission=WORKFLOWS_GET,
        long=True,
    ),
    Tool(
        name="get_workflow_input_artifact",
        title="Download an input artifact",
        description=(
            "Get a workflow input artifact: small ones inline, larger ones saved to a file on the server; with "
            "bytes and sha256."
        ),
        group=ToolGroup.ARTIFACTS,
        kind=ToolKind.READ_ONLY,
        input_model=ArtifactInput,
        handler=get_input_artifact,
        scope=ARTIFACT_SCOPE,
        permission=WORKFLOWS_GET,
        long=True,
    ),
]
