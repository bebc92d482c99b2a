"""The one road every request that may reach Argo takes, whatever MCP method carried it.

target (which Argo server) → parse (once) → place (namespace; the allow-list) → authorize (the caller, per
Permission; the service accounts the call would run pods as, calls/accounts.py; fields the server's Argo version
drops, tools/compat.py) → confirm (only a call that passed every check, and only when a confirmer is given) →
admit (the in-flight budget) → run → shape (rendered once, the answer cap applied); then one record (log line,
metrics, audit line).

`tools/call`, `resources/*` and `completion/complete` are thin adapters over `CallPipeline.run` (server.py,
resources.py, completions.py): none of them checks, limits or audits anything itself, so a limit or a check
added here holds for every road. The outcome is data (`Answer`, `Refusal`, `InputNeeded`); turning it into an
MCP result or error is each adapter's last step.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import mcp_types as types
import structlog
from mcp.shared.exceptions import MCPError
from pydantic import ValidationError

from argo_mcp import telemetry
from argo_mcp.argo.buffers import ArgoBuffersFull
from argo_mcp.argo.client import ArgoClient
from argo_mcp.argo.errors import ArgoError
from argo_mcp.argo.streams import DestinationError
from argo_mcp.argo.version import server_version
from argo_mcp.calls import audit
from argo_mcp.calls.accounts import AccountRules
from argo_mcp.calls.accounts import refusal as accounts_refusal
from argo_mcp.calls.admission import Admission, Busy
from argo_mcp.calls.composition import destructive_steps, manifests, template_refs
from argo_mcp.calls.composition import refusal as composition_refusal
from argo_mcp.calls.hangup import CallerLeft, unless_hung_up
from argo_mcp.calls.render import (
    answer_size,
    error_result,
    first_text,
    render_output,
    too_large_message,
    validation_message,
)
from argo_mcp.calls.targets import TARGET_ARGUMENT, Target, Targets
from argo_mcp.policy import Authorizer, Caller, Permission, ScopeKind, ToolError
from argo_mcp.redaction import scrub
from argo_mcp.settings import Settings
from argo_mcp.tools import compat
from argo_mcp.tools.budget import AnswerTooLarge
from argo_mcp.tools.registry import Output, ProgressFn, Tool, ToolContext, ToolKind
from argo_mcp.tools.scoping import place

log = structlog.get_logger("argo_mcp.tools")


async def _no_progress(_progress: float, _total: float | None, _message: str | None) -> None:
    return None


@dataclass(frozen=True)
class Call:
    """One request for a tool's answer: what the adapter knows of it before any check."""

    tool: Tool[Any]
    arguments: dict[str, Any] | None
    road: str = "tools/call"
    """The MCP method that carried it (tools/call, resources/read, resources/list, completion/complete)."""
    caller: Caller | None = None
    peer: str | None = None
    """The client's address: who the call is counted against when callers are anonymous."""
    progress: ProgressFn = _no_progress
    brief: bool = False
    """One look (a task's poll): a waiting tool looks once, and the call is admitted as a short one."""
    target: str | None = None
    """The target a road other than tools/call names (a resource URI's); tools/call names it as an argument."""

    @property
    def caller_name(self) -> str | None:
        return self.caller.username if self.caller is not None else None

    @property
    def admission_key(self) -> str:
        return self.caller_name or self.peer or "local"


@dataclass(frozen=True)
class Answer:
    """The call ran: the handler's data and its one rendering."""

    data: Output
    result: types.CallToolResult

    @property
    def text(self) -> str:
        return first_text(self.result)


@dataclass(frozen=True)
class Refusal:
    """The call did not produce an answer: `outcome` is invalid, refused, busy, not-confirmed or error."""

    outcome: str
    message: str
    failure: BaseException | None = None

    @property
    def result(self) -> types.CallToolResult:
        return error_result(self.message)


@dataclass(frozen=True)
class InputNeeded:
    """A 2026-07-28 confirmation round trip: the client asks its user and calls again."""

    result: types.InputRequiredResult


Outcome = Answer | Refusal | InputNeeded

Confirmer = Callable[
    [Tool[Any], Any, str], Awaitable["types.CallToolResult | types.InputRequiredResult | None"]
]
"""(tool, parsed arguments, namespace) -> None when the user confirmed, else the answer to give instead."""


class InvalidArguments(ToolError):
    """The arguments do not validate against the tool's input model."""


@dataclass
class _Progress:
    """What the record at the end of a call needs, filled in stage by stage."""

    request_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    started: float = field(default_factory=time.perf_counter)
    namespace: str = ""
    args: Any = None
    outcome: str = "error"
    error: str | None = None
    failure: BaseException | None = None
    data: Any = None
    recorded: bool = True
    kind: ToolKind | None = None
    target: str | None = None


def _manifest_field(tool: Tool[Any]) -> str | None:
    """The input field that carries the call's manifest(s): the manifest scope's, or `documents` for the tools
    of cluster-scoped kinds (a ClusterWorkflowTemplate's manifest has no namespace to scope by)."""
    if tool.scope.kind is ScopeKind.MANIFEST:
        return tool.scope.field
    return "documents" if hasattr(tool.input_model, "documents") else None


class CallPipeline:
    """The stages, in order, shared by every road; one instance per server."""

    def __init__(
        self,
        settings: Settings,
        argo: ArgoClient,
        *,
        authorize: Authorizer | None = None,
        admission: Admission | None = None,
        targets: Targets | None = None,
    ) -> None:
        self.targets = targets or Targets(settings, (), argo=argo)
        self.settings = self.targets.primary.settings
        """The default target's settings (the command line's, without a targets file)."""
        self.argo = self.targets.primary.argo
        self.authorize = authorize
        self.admission = admission or Admission.of(
            settings.max_inflight_calls, settings.max_long_calls, settings.max_long_calls_per_caller
        )

    async def run(self, call: Call, confirm: Confirmer | None = None) -> Outcome:
        """Every stage for one call; always an outcome, never an exception for the client (but the MCP errors a
        confirmer raises, such as a missing client capability)."""
        state = _Progress(namespace=self.settings.argo.default_namespace)
        try:
            return await self._stages(call, confirm, state)
        except MCPError:
            state.outcome = (
                "refused"  # the client cannot be asked (a missing capability): the adapter says so
            )
            raise
        except asyncio.CancelledError:
            state.outcome = "cancelled"  # the client left; what was already sent to Argo stays done
            raise
        except Exception as exc:
            return self._failed(call, state, exc)
        finally:
            if state.recorded:
                audit.record(
                    tool=call.tool,
                    kind=state.kind or call.tool.kind,
                    road=call.road,
                    request_id=state.request_id,
                    caller=call.caller_name,
                    namespace=state.namespace,
                    target=state.target if self.targets.file is not None else None,
                    args=state.args,
                    outcome=state.outcome,
                    seconds=time.perf_counter() - state.started,
                    error=state.error,
                    failure=state.failure,
                    data=state.data,
                )

    async def _stages(self, call: Call, confirm: Confirmer | None, state: _Progress) -> Outcome:
        tool = call.tool
        target, arguments = await self._target(call)
        state.target = target.name
        if self.targets.file is not None:
            telemetry.annotate("argo_mcp.target", target.name)
        args = state.args = await self._parse(call, arguments)
        state.kind = self._kind(tool, args, target.settings)
        ctx = self._context(call, state, target)
        placement = await self._place(call, args, ctx)
        state.namespace = ctx.namespace = placement.namespace
        ctx.resolved = placement.resolved
        await self._review_reads(call, args, ctx.namespace)
        self._guard_accounts(tool, args, ctx.namespace, state.kind, target.settings)
        await self._check_versions(call, args, target.argo)
        if confirm is not None and self._asks(state.kind, target.settings):
            answer = await confirm(tool, args, ctx.namespace)
            if isinstance(answer, types.InputRequiredResult):
                state.recorded = False  # asked, not run: the retry with the user's answer is the call
                return InputNeeded(answer)
            if answer is not None:
                state.outcome = "not-confirmed"
                return Refusal("not-confirmed", first_text(answer))
        what = tool.name if call.road == "tools/call" else call.road
        ticket = self.admission.enter(call.admission_key, what, long=tool.is_long(args) and not call.brief)
        try:
            data = await unless_hung_up(tool.handler(ctx, args))
        finally:
            ticket.release()
        return self._shape(tool, data, state)

    async def _target(self, call: Call) -> tuple[Target, dict[str, Any] | None]:
        """The Argo server the call goes to (its `target` argument, the road's, or the default), refused alike
        when unknown or not the caller's to use; and the arguments without `target`, which no tool takes."""
        arguments = call.arguments
        name = call.target
        if self.targets.file is not None and arguments is not None and TARGET_ARGUMENT in arguments:
            arguments = dict(arguments)
            named = arguments.pop(TARGET_ARGUMENT)
            if named is not None and not isinstance(named, str):
                raise InvalidArguments(
                    f"Invalid arguments for {call.tool.name}: 'target' must be a target's name (a string); "
                    "list_targets names them"
                )
            name = named or name
        target = await self.targets.choose(name, call.caller, self.authorize)
        if self.targets.file is not None and call.tool.name not in target.tools:
            raise ToolError(
                f"{call.tool.name} is disabled on target {target.name!r} (its mode or toolsets); "
                "list_targets says what each target allows"
            )
        return target, arguments

    @staticmethod
    def _asks(kind: ToolKind, settings: Settings) -> bool:
        return settings.confirm_destructive and kind is ToolKind.DESTRUCTIVE

    def _kind(self, tool: Tool[Any], args: Any, settings: Settings) -> ToolKind:
        """The call's kind: the tool's, or destructive when the manifest it carries deletes or replaces objects
        (composition.py); refused here, before Argo sees anything, when the server refuses destructive calls."""
        field = _manifest_field(tool)
        if tool.kind is not ToolKind.MUTATING or field is None:
            return tool.kind
        steps = destructive_steps(args, field)
        if not steps:
            return tool.kind
        if settings.scope.disable_destructive:
            raise ToolError(composition_refusal(tool.name, steps))
        return ToolKind.DESTRUCTIVE

    async def _parse(self, call: Call, arguments: dict[str, Any] | None) -> Any:
        """The arguments, validated once; every later stage reads the parsed model."""
        tool = call.tool
        try:
            return await tool.input_model.parse_tool_arguments(arguments)
        except ValidationError as exc:
            raise InvalidArguments(validation_message(tool.name, exc)) from exc
        except RecursionError:
            # Arguments nested thousands of levels deep (the JSON round trip recurses): the caller's input, not
            # Argo's answer, which the RecursionError arm of _failed speaks of.
            raise InvalidArguments(
                f"Invalid arguments for {tool.name}: 'arguments' are nested too deeply to read; no tool takes "
                "more than a manifest's few dozen levels"
            ) from None

    def _context(self, call: Call, state: _Progress, target: Target) -> ToolContext:
        ctx = ToolContext(
            argo=target.argo,
            settings=target.settings,
            namespace=state.namespace,
            request_id=state.request_id,
            progress=call.progress,
            caller=call.caller_name,
            one_look=call.brief,
            target=target.name,
            targets_default=self.targets.default,
        )

        async def usable() -> list[Any]:
            return list(await self.targets.usable(call.caller, self.authorize))

        ctx.usable_targets = usable

        async def check_permission(permission: Permission) -> None:
            # A second permission a tool exercises on the way, only ever in the namespace the call was placed
            # in (which has passed the allow-list).
            await self._authorize(call, permission, ctx.namespace)

        ctx.authorize_permission = check_permission
        return ctx

    async def _authorize(self, call: Call, permission: Permission | None, namespace: str) -> None:
        if self.authorize is not None and permission is not None:
            await self.authorize(permission, namespace, call.caller)

    async def _place(self, call: Call, args: Any, ctx: ToolContext) -> Any:
        """The namespace from the tool's declared scope, through the allow-list and the caller's check. A UID
        lookup (the one read made before the namespace is known) is admitted like any other Argo request."""
        tool = call.tool

        async def check(namespace: str) -> None:
            await self._authorize(call, tool.permission, namespace)

        lookup = tool.scope.kind is ScopeKind.RESOLVED_BY_UID and getattr(args, tool.scope.field or "", None)
        ticket = self.admission.enter(call.admission_key, tool.name) if lookup else None
        try:
            return await place(
                tool.scope,
                args,
                settings=ctx.settings,
                check=check,
                context=ctx,
                tool_name=tool.name,
                changes=tool.kind is not ToolKind.READ_ONLY,
            )
        finally:
            if ticket is not None:
                ticket.release()

    async def _review_reads(self, call: Call, args: Any, namespace: str) -> None:
        """The caller's review for what the call makes Argo read on the way (the template a submit names, the
        templates a manifest refers to), so argo-mcp never reads for a caller what the caller may not read."""
        if self.authorize is None:
            return
        tool = call.tool
        reads = list(tool.reads(args)) if tool.reads is not None else []
        field = _manifest_field(tool)
        if field is not None:
            for _name, cluster in sorted(template_refs(args, field)):
                resource = "clusterworkflowtemplates" if cluster else "workflowtemplates"
                reads.append((Permission("get", resource), cluster))
        for permission, cluster in dict.fromkeys(reads):
            try:
                await self._authorize(call, permission, "" if cluster else namespace)
            except ToolError as exc:
                sent = (
                    "Only the lookup by UID was sent to Argo."
                    if tool.scope.kind is ScopeKind.RESOLVED_BY_UID
                    else "Nothing was sent to Argo."
                )
                raise ToolError(
                    f"{exc} ({tool.name} makes Argo read it with your identity.) {sent}"
                ) from None

    async def _check_versions(self, call: Call, args: Any, argo: ArgoClient) -> None:
        """Refuse a manifest that uses a field the server's Argo version drops or refuses (tools/compat.py), before
        the user is asked and before anything is sent: Argo would lose it silently. The version is asked (once
        per client, cached; admitted like any Argo request) only when a manifest holds such a field; lint
        tools report these fields instead of being refused."""
        tool = call.tool
        field = _manifest_field(tool)
        if tool.kind is ToolKind.READ_ONLY or field is None:
            return
        found = [f for manifest in compat.manifests_in(args, field) for f in compat.findings(manifest)]
        if not found:
            return
        ticket = self.admission.enter(call.admission_key, tool.name)
        try:
            version = await server_version(argo)  # the call's target's Argo
        finally:
            ticket.release()
        message = compat.refusal(tool.name, found, version)
        if message is not None:
            raise ToolError(message)

    @staticmethod
    def _guard_accounts(
        tool: Tool[Any], args: Any, namespace: str, kind: ToolKind, settings: Settings
    ) -> None:
        """The service-account guard (accounts.py), for every call that changes something: the accounts its
        manifest(s) or its submit options would run pods as, refused unless allowed in the namespace."""
        entries = settings.scope.allowed_service_accounts
        if not entries or kind is ToolKind.READ_ONLY:
            return
        submitted = getattr(args, "service_account", None)
        problem = accounts_refusal(
            AccountRules.of(entries),
            tool.name,
            namespace,
            manifests(args, _manifest_field(tool)),
            submitted if isinstance(submitted, str) else None,
        )
        if problem is not None:
            raise ToolError(problem)

    def _shape(self, tool: Tool[Any], data: Output, state: _Progress) -> Outcome:
        result = render_output(data)
        size = answer_size(result)
        if size > self.settings.max_answer_bytes:
            state.outcome = "refused"
            return Refusal("refused", too_large_message(tool, size, self.settings.max_answer_bytes))
        state.outcome, state.data = "ok", data
        return Answer(data, result)

    def _failed(self, call: Call, state: _Progress, exc: Exception) -> Refusal:
        """What a failure in any stage becomes: a message that says what to do, and the outcome to record."""
        tool, request_id = call.tool, state.request_id
        bound = log.bind(request_id=request_id, tool=tool.name, caller=call.caller_name)
        if isinstance(exc, CallerLeft):
            # Not an error of anyone's: the record says the caller left; what was sent to Argo stays done.
            return self._note(
                state, Refusal("cancelled", f"the client went away before {tool.name} finished")
            )
        if isinstance(exc, InvalidArguments):
            return self._note(state, Refusal("invalid", str(exc), exc.__cause__ or exc))
        if isinstance(exc, AnswerTooLarge):
            # Found out while the answer was shaped, before its JSON existed: said the way the final cap says it.
            message = too_large_message(tool, exc.size, exc.cap).replace(" would be ", " would be about ", 1)
            return self._note(state, Refusal("refused", f"{message} About {exc.fits} items fit."))
        if isinstance(exc, Busy | ArgoBuffersFull):
            log.warning("call_refused_busy", tool=tool.name, road=call.road, limit=self.admission.limit)
            return self._note(state, Refusal("busy", str(exc), exc))
        if isinstance(exc, ToolError):
            return self._note(state, Refusal("refused", str(exc), exc))
        if isinstance(exc, ArgoError | DestinationError):
            state.error, state.failure = scrub(str(exc)), exc
            return Refusal("error", state.error, exc)
        if isinstance(exc, RecursionError):
            # The shaping walks and the JSON writer recurse: an answer nested too deep for them.
            bound.warning("tool_answer_too_deep", namespace=state.namespace)
            return Refusal(
                "error",
                f"Argo's answer for {tool.name} is nested too deeply for argo-mcp to return; ask for less of "
                "the object (fields), or look at it with the argo CLI",
                exc,
            )
        if isinstance(exc, AttributeError | TypeError | KeyError | IndexError):
            # Argo (or something posing as it) answered valid JSON whose fields are not of the types its API
            # documents, and a summary could not be made of it. Say so; the log keeps the trace in case it is ours.
            bound.exception("tool_answer_unreadable", namespace=state.namespace)
            return Refusal(
                "error",
                f"argo-mcp could not summarise Argo's answer for {tool.name}: a field is not of the type Argo's "
                f"API documents ({type(exc).__name__}); call again with full=true or fields for the raw object, "
                f"and check that --argo-server-url points at an Argo Server (request id {request_id})",
                exc,
            )
        bound.exception("tool_failed_unexpectedly", namespace=state.namespace)
        return Refusal(
            "error",
            f"argo-mcp failed unexpectedly while running {tool.name} (request id {request_id}); "
            "the server log has the details",
            exc,
        )

    @staticmethod
    def _note(state: _Progress, refusal: Refusal) -> Refusal:
        state.outcome = refusal.outcome
        return refusal
