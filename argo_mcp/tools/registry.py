"""The tool registry: what a tool is, and which tools a server exposes.

A tool is data (name, title, description, group, kind, input model, scope, permission) plus one handler. From
that the registry derives the MCP `Tool` (JSON schema, annotations) and the exposure decision. Running a call
(validation, placement, authorization, confirmation, admission, errors, audit) is the call pipeline's job
(argo_mcp/calls/), so no handler and no MCP method repeats any of it.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import mcp_types as types

from argo_mcp.argo.client import ArgoClient
from argo_mcp.argo.version import ArgoVersion, server_version
from argo_mcp.policy import Permission, Scope
from argo_mcp.settings import Settings, ToolGroup
from argo_mcp.tools.inputs import ToolInput
from argo_mcp.tools.schema import lean_schema
from argo_mcp.tools.scoping import declaration_problems

InputT = TypeVar("InputT", bound=ToolInput)

ReadsFn = Callable[[Any], Iterable[tuple[Permission, bool]]]


class ToolKind(enum.StrEnum):
    """The reference's three kinds; decides annotations and what --read-only/--disable-destructive hide."""

    READ_ONLY = "Read-only"
    MUTATING = "Mutating"
    DESTRUCTIVE = "Destructive"


ProgressFn = Callable[[float, float | None, str | None], Awaitable[None]]


async def _no_progress(_progress: float, _total: float | None, _message: str | None) -> None:
    return None


PermissionCheck = Callable[[Permission], Awaitable[None]]


async def _no_permission_check(_permission: Permission) -> None:
    return None


async def _no_targets() -> list[Any]:
    return []


@dataclass
class ToolContext:
    """What a handler may use: the Argo client, the settings, the namespace the registry placed the call in
    (checked against the allow-list and the caller's access), what a UID lookup read, progress reporting."""

    argo: ArgoClient
    settings: Settings
    namespace: str
    request_id: str
    progress: ProgressFn = _no_progress
    caller: str | None = None
    resolved: Any = None
    # A second permission a tool may exercise on the way, checked for the caller in the namespace the call was
    # placed in (diagnose_workflow reads pod logs, and leaves them out when this refuses).
    authorize_permission: PermissionCheck = _no_permission_check
    one_look: bool = False
    """A task's poll: a tool that waits looks once and answers with what it saw, instead of waiting."""
    target: str | None = None
    """The target the call was sent to (argo_mcp/calls/targets.py); "default" without a targets file."""
    usable_targets: Callable[[], Awaitable[list[Any]]] = _no_targets
    """The targets the caller may use (calls/targets.py), for list_targets."""
    targets_default: str | None = None

    async def argo_version(self) -> ArgoVersion:
        """The Argo Server's version (cached per Argo client; UNKNOWN when Argo cannot say): what a tool
        consults where Argo versions accept different things."""
        return await server_version(self.argo)


@dataclass(frozen=True)
class TextOutput:
    """A tool answer whose main payload is text (logs); `data` becomes the structured content."""

    text: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ContentOutput:
    """A JSON answer followed by content blocks that are not JSON (an inline artifact's embedded blob): the
    JSON text block stays first, so `data` is read the same way as any other answer."""

    data: dict[str, Any]
    blocks: tuple[types.EmbeddedResource, ...] = ()


Output = dict[str, Any] | TextOutput | ContentOutput
Handler = Callable[[ToolContext, InputT], Awaitable[Output]]


@dataclass(frozen=True)
class Tool(Generic[InputT]):
    name: str
    title: str
    description: str
    group: ToolGroup
    kind: ToolKind
    input_model: type[InputT]
    handler: Handler[InputT]
    scope: Scope
    """How the call's namespace is known; the registry confines and authorizes it from this (see scoping.py)."""
    idempotent: bool = False
    permission: Permission | None = None
    reads: ReadsFn | None = None
    """What else the call makes Argo read with the caller's identity on the way to acting (submit reads the
    template it names): (permission, cluster-wide) pairs reviewed for the caller besides `permission`."""
    long: bool = False
    task: bool = False
    """May answer with an MCP task instead of blocking (tasks.py), for clients that support tasks: always when
    the tool is long (a wait), else when the call asks to `wait` for the run it starts or to `follow` logs."""
    """Holds its slot for minutes (a wait, a download): admitted from the long-call budget, so it never takes a
    slot short calls need. A log tool called with `follow`, and a call that asks to `wait`, are long too."""

    def is_long(self, args: Any) -> bool:
        return self.long or getattr(args, "follow", False) is True or getattr(args, "wait", False) is True

    def annotations(self) -> types.ToolAnnotations:
        return types.ToolAnnotations(
            title=self.title,
            read_only_hint=self.kind is ToolKind.READ_ONLY,
            destructive_hint=self.kind is ToolKind.DESTRUCTIVE,
            idempotent_hint=self.idempotent or self.kind is ToolKind.READ_ONLY,
            open_world_hint=False,
        )

    def input_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = lean_schema(self.input_model.model_json_schema(by_alias=True))
        schema.setdefault("properties", {})
        schema["additionalProperties"] = False
        return schema

    def wire_annotations(self) -> types.ToolAnnotations:
        """The annotations as `tools/list` sends them: only the hints a client acts on, where they differ from the
        spec's defaults.

        A read-only tool says so (its destructive and idempotent hints are meaningless per the spec); a tool that
        changes something says whether it is destructive, and idempotent when it is. Not sent: the title (the
        tool's name says it; a client shows the name when there is no title) and `openWorldHint: false` on every
        tool (a client that reads the hint falls back to the cautious default). ~12 tokens a tool, on every
        conversation; `annotations()` keeps the full set."""
        if self.kind is ToolKind.READ_ONLY:
            return types.ToolAnnotations(read_only_hint=True)
        if self.idempotent:
            return types.ToolAnnotations(
                destructive_hint=self.kind is ToolKind.DESTRUCTIVE, idempotent_hint=True
            )
        return types.ToolAnnotations(destructive_hint=self.kind is ToolKind.DESTRUCTIVE)

    def wire_description(self) -> str:
        """The reference's description, marked `[Mutating]` or `[Destructive]` when the tool changes something
        (what a model sees of the kind: most clients pass it no annotations). A read-only tool, two in three,
        is unmarked: the server's instructions say so once instead of ~3 tokens in each of ~40 tools."""
        if self.kind is ToolKind.READ_ONLY:
            return self.description
        return f"{self.description} [{self.kind.value}]"

    def to_mcp(self) -> types.Tool:
        return types.Tool(
            name=self.name,
            description=self.wire_description(),
            input_schema=self.input_schema(),
            annotations=self.wire_annotations(),
            # 2025-11-25 clients may augment a wait with a task (2026-07-28 clients declare the extension). Tools
            # that become one only with `wait` are not marked: ~10 tokens each on every conversation, and a
            # 2025-11-25 client that asks anyway is still answered with a task.
            execution=types.ToolExecution(task_support="optional") if self.task and self.long else None,
        )


def exposed(tools: Iterable[Tool[Any]], settings: Settings) -> list[Tool[Any]]:
    """The single exposure decision: toolsets, read-only and destructive switches."""
    scope = settings.scope
    chosen = []
    for tool in tools:
        if tool.group not in scope.toolsets:
            continue
        if scope.read_only and tool.kind is not ToolKind.READ_ONLY:
            continue
        if scope.disable_destructive and tool.kind is ToolKind.DESTRUCTIVE:
            continue
        chosen.append(tool)
    return chosen


def check_declarations(tools: Sequence[Tool[Any]]) -> None:
    """Every tool's scope must be enforceable: a permission with no namespace to check it in, or a namespace
    argument the scope ignores, would let calls past the allow-list or the caller's check."""
    problems = [
        problem
        for tool in tools
        for problem in declaration_problems(
            tool.name, tool.scope, tool.permission, tool.input_model.model_fields
        )
    ]
    if problems:
        raise RuntimeError("tools declared without an enforceable scope: " + "; ".join(problems))


def check_unique(tools: Sequence[Tool[Any]]) -> None:
    names = [tool.name for tool in tools]
    duplicates = {name for name in names if names.count(name) > 1}
    if duplicates:
        raise RuntimeError(f"duplicate tool names: {sorted(duplicates)}")
