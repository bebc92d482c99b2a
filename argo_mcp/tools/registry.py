"""The tool registry: one declaration per tool, and the one place that does the repetitive work.

A tool is data (name, title, description, group, kind, input model) plus one handler. From that the registry
derives the MCP `Tool` (JSON schema, annotations), validates arguments before anything is sent to Argo,
defaults and confines the namespace, times and logs the call, and turns every failure into a tool error
(`isError`) with an actionable message, so no handler repeats any of it.
"""

from __future__ import annotations

import enum
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeVar

import mcp_types as types
import orjson
import structlog
from pydantic import ValidationError

from argo_mcp.argo.client import ArgoClient
from argo_mcp.argo.errors import ArgoError
from argo_mcp.argo.streams import DestinationError
from argo_mcp.metrics import record_tool_call
from argo_mcp.policy import POD_LOGS as POD_LOGS  # noqa: PLC0414  (re-exports: one definition for tools/ and access/)
from argo_mcp.policy import Permission as Permission  # noqa: PLC0414
from argo_mcp.policy import Scope as Scope  # noqa: PLC0414
from argo_mcp.policy import ToolError as ToolError  # noqa: PLC0414
from argo_mcp.redaction import scrub
from argo_mcp.settings import Settings, ToolGroup, describe_size
from argo_mcp.tools.inputs import ToolInput
from argo_mcp.tools.schema import lean_schema
from argo_mcp.tools.scoping import AccessCheck, declaration_problems, place

log = structlog.get_logger("argo_mcp.tools")
audit_log = structlog.get_logger("argo_mcp.audit")

InputT = TypeVar("InputT", bound=ToolInput)


class ToolKind(enum.StrEnum):
    """The reference's three kinds; decides annotations and what --read-only/--disable-destructive hide."""

    READ_ONLY = "Read-only"
    MUTATING = "Mutating"
    DESTRUCTIVE = "Destructive"


ProgressFn = Callable[[float, float | None, str | None], Awaitable[None]]


async def _no_progress(_progress: float, _total: float | None, _message: str | None) -> None:
    return None


PermissionCheck = Callable[[Permission], Awaitable[None]]


async def _no_check(_namespace: str) -> None:
    return None


async def _no_permission_check(_permission: Permission) -> None:
    return None


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
        )


def _shown(value: Any) -> str:
    """The start of a bad value as JSON; orjson refuses some (integers past 64 bits), which are named instead."""
    try:
        return orjson.dumps(value, default=str).decode()[:80]
    except (TypeError, orjson.JSONEncodeError):
        return f"a {type(value).__name__} argo-mcp cannot show"


def validation_message(tool: str, error: ValidationError) -> str:
    """One line per bad field, naming the field and the fix."""
    problems = []
    for item in error.errors(include_url=False):
        where = ".".join(str(part) for part in item["loc"]) or "arguments"
        if item["type"] == "missing":
            problems.append(f"'{where}' is required")
        elif item["type"] == "extra_forbidden":
            problems.append(f"'{where}' is not an argument of {tool} (see the tool's input schema)")
        else:
            message = str(item["msg"]).removeprefix("Value error, ")
            if item["type"].endswith(("_type", "_parsing")):
                # Strict inputs: say what was sent, so "yes" for a boolean is obviously the problem.
                message += f" (got {_shown(item['input'])})"
            problems.append(f"'{where}': {message}")
    return f"Invalid arguments for {tool}: " + "; ".join(problems)


def render_output(output: Output) -> types.CallToolResult:
    """One payload per answer, never the same one twice: a JSON answer is one compact JSON text block (what
    every MCP client shows the model; no `structuredContent` copy, as no tool declares an outputSchema); a text
    answer (logs, graphs) is its text plus only small metadata as structured content."""
    if isinstance(output, TextOutput):
        return types.CallToolResult(
            content=[types.TextContent(text=output.text)], structured_content=output.data or None
        )
    if isinstance(output, ContentOutput):
        return types.CallToolResult(
            content=[types.TextContent(text=compact_json(output.data)), *output.blocks]
        )
    return types.CallToolResult(content=[types.TextContent(text=compact_json(output))])


def _block_size(block: Any) -> int:
    if isinstance(block, types.TextContent):
        return len(block.text.encode())
    if isinstance(block, types.EmbeddedResource):
        inner = block.resource
        return len(inner.blob) if isinstance(inner, types.BlobResourceContents) else len(inner.text.encode())
    return 0


def answer_size(result: types.CallToolResult) -> int:
    """Bytes of the answer's text and embedded resources (what the agent would receive; structured metadata is
    small)."""
    return sum(_block_size(block) for block in result.content)


_NARROWING = {
    "limit": "a smaller limit (page on with continue)",
    "label_selector": "a labelSelector",
    "field_selector": "a fieldSelector",
    "fields": "fields (only what you need)",
    "full": "full=false (the compact summary)",
    "tail_lines": "tailLines",
}


def too_large_message(tool: Tool[Any], size: int, cap: int) -> str:
    """Why the answer is refused, and the arguments of this tool that make it smaller."""
    ways = [hint for field_name, hint in _NARROWING.items() if field_name in tool.input_model.model_fields]
    narrow = f"narrow the request with {', '.join(ways)}" if ways else "narrow the request"
    return (
        f"The answer of {tool.name} would be {describe_size(size)}, more than the {describe_size(cap)} argo-mcp "
        f"returns (--max-answer-mib); {narrow}; or raise --max-answer-mib."
    )


def compact_json(value: Any) -> str:
    """Plain compact JSON (no spaces, UTF-8 kept) with orjson: ~5-10x faster than json.dumps on large answers.

    orjson refuses what valid JSON from Argo may still hold (integers beyond 64 bits, nesting past 255 levels);
    the standard library writes those, so such an answer is still returned, only slower."""
    try:
        return orjson.dumps(value, default=str).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value, default=str, ensure_ascii=False, separators=(",", ":"))


def error_result(message: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(text=scrub(message))], is_error=True)


_TARGET_FIELDS = ("audit_name", "name", "uid", "workflow_name", "workflow_uid", "resource_name")


def audit_target(args: Any) -> str | None:
    """The name of what a call acts on, for the audit line: a model's own `audit_name`, else its name/UID
    argument, else the manifest's metadata.name (or generateName)."""
    for field_name in _TARGET_FIELDS:
        value = getattr(args, field_name, None)
        if isinstance(value, str) and value:
            return value
    manifest = getattr(args, "manifest", None)
    metadata = manifest.get("metadata") if isinstance(manifest, dict) else None
    if isinstance(metadata, dict):
        name = metadata.get("name") or metadata.get("generateName")
        return name if isinstance(name, str) else None
    return None


Authorizer = Callable[["Tool[Any]", str, Any], Awaitable[None]]
"""(tool, namespace, caller) -> None, or raise ToolError: the per-call access decision (see access/). The
namespace is "" for a cluster-wide check; the registry adds to a refusal what Argo has already seen."""

OutcomeFn = Callable[[str, BaseException | None], None]
"""(outcome, exception) once a call ends: "ok", "invalid", "refused" or "error", with what was raised (an
ArgoError, a ToolError...) when there was one. Resources use it to answer with the JSON-RPC error that fits."""


async def run_tool(
    tool: Tool[Any],
    arguments: dict[str, Any] | None,
    *,
    argo: ArgoClient,
    settings: Settings,
    progress: ProgressFn = _no_progress,
    caller: Any = None,
    authorize: Authorizer | None = None,
    on_outcome: OutcomeFn | None = None,
) -> types.CallToolResult:
    """Validate, scope, run and log one tool call; always returns a result, never raises to the client."""
    request_id = uuid.uuid4().hex[:16]
    started = time.perf_counter()
    caller_name = getattr(caller, "username", None)
    bound = log.bind(request_id=request_id, tool=tool.name, caller=caller_name)
    namespace = settings.argo.default_namespace
    outcome = "error"
    args: Any = None
    error: str | None = None
    failure: BaseException | None = None
    try:
        try:
            args = await tool.input_model.parse_tool_arguments(arguments)
        except ValidationError as exc:
            outcome, failure = "invalid", exc
            return error_result(validation_message(tool.name, exc))
        except RecursionError:
            # Arguments nested thousands of levels deep (the JSON round trip recurses): the caller's input, not
            # Argo's answer, which the RecursionError handler below speaks of.
            outcome = "invalid"
            return error_result(
                f"Invalid arguments for {tool.name}: 'arguments' are nested too deeply to read; no tool takes "
                "more than a manifest's few dozen levels"
            )
        check: AccessCheck = _no_check
        check_permission: PermissionCheck = _no_permission_check
        if authorize is not None:
            gate = authorize

            async def check(ns: str) -> None:
                await gate(tool, ns, caller)

            async def check_permission(permission: Permission) -> None:
                # Only ever the namespace the call was placed in, which has passed the allow-list.
                await gate(replace(tool, permission=permission), ctx.namespace, caller)

        ctx = ToolContext(
            argo=argo,
            settings=settings,
            namespace=namespace,
            request_id=request_id,
            progress=progress,
            caller=caller_name,
            authorize_permission=check_permission,
        )
        placement = await place(
            tool.scope,
            args,
            settings=settings,
            check=check,
            context=ctx,
            tool_name=tool.name,
            changes=tool.kind is not ToolKind.READ_ONLY,
        )
        namespace = ctx.namespace = placement.namespace
        ctx.resolved = placement.resolved
        result = render_output(await tool.handler(ctx, args))
        size = answer_size(result)
        if size > settings.max_answer_bytes:
            outcome = "refused"
            return error_result(too_large_message(tool, size, settings.max_answer_bytes))
        outcome = "ok"
        return result
    except ToolError as exc:
        outcome, failure = "refused", exc
        return error_result(str(exc))
    except (ArgoError, DestinationError) as exc:
        failure = exc
        bound = bound.bind(error_type=type(exc).__name__, status=getattr(exc, "status", None))
        error = scrub(str(exc))
        return error_result(error)
    except RecursionError:
        # The shaping walks and the JSON writer recurse: an answer nested too deep for them.
        bound.warning("tool_answer_too_deep", namespace=namespace)
        return error_result(
            f"Argo's answer for {tool.name} is nested too deeply for argo-mcp to return; ask for less of the "
            "object (fields), or look at it with the argo CLI"
        )
    except (AttributeError, TypeError, KeyError, IndexError) as exc:
        # Argo (or something posing as it) answered valid JSON whose fields are not of the types its API
        # documents, and a summary could not be made of it. Say so; the log keeps the trace in case it is ours.
        bound.exception("tool_answer_unreadable", namespace=namespace)
        return error_result(
            f"argo-mcp could not summarise Argo's answer for {tool.name}: a field is not of the type Argo's API "
            f"documents ({type(exc).__name__}); call again with full=true or fields for the raw object, and check "
            f"that --argo-server-url points at an Argo Server (request id {request_id})"
        )
    except Exception:
        bound.exception("tool_failed_unexpectedly", namespace=namespace)
        return error_result(
            f"argo-mcp failed unexpectedly while running {tool.name} (request id {request_id}); "
            "the server log has the details"
        )
    finally:
        elapsed = time.perf_counter() - started
        if on_outcome is not None:
            on_outcome(outcome, failure)
        record_tool_call(tool.name, outcome, elapsed)
        # A failed call is an operator's concern (warning); refusals and bad input are the caller's (info).
        emit = bound.warning if outcome == "error" else bound.info
        emit(
            "tool_call",
            namespace=namespace,
            outcome=outcome,
            duration_ms=round(elapsed * 1000, 1),
            **({"error": error[:500]} if error else {}),
        )
        if tool.kind is not ToolKind.READ_ONLY:
            # The audit trail: who changed what, where, and whether it happened, one line per mutating call.
            audit_log.info(
                "audit",
                request_id=request_id,
                caller=caller_name or "anonymous",
                tool=tool.name,
                kind=tool.kind.value,
                namespace=namespace or None,
                name=audit_target(args),
                outcome=outcome,
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
