"""MCP tasks for long work: `wait_for_workflow`, and `submit_workflow`, `create_workflow`, `resubmit_workflow` and
`retry_workflow` called with `wait`, answer with a task instead of holding a request for minutes.

Two eras, one model (calls/tasks.py: the task id is sealed and names the workflow, so Argo is the store):
- 2026-07-28, the Tasks extension (SEP-2663, `io.modelcontextprotocol/tasks`): a `tools/call` whose request
  declares the extension is answered with `resultType: "task"`; `tasks/get` (the result inline once the
  workflow finished) and `tasks/cancel`. The server decides per request: a workflow that already finished is
  answered at once, as without tasks.
- 2025-11-25, the experimental tasks (SEP-1686): a `tools/call` with a `task` field is answered with
  `CreateTaskResult`; `tasks/get`, `tasks/result` (blocks until the workflow finishes) and `tasks/cancel`. The
  SDK sieves 2025-era `tools/call` answers to `CallToolResult`, so this era's task creation is answered by a
  server middleware, which owns its result. `tasks/list` is not offered: a list of one caller's tasks would need
  a store, and Argo is the only one.

Every poll is a call down the pipeline (a single look at the workflow, admitted as a short call), so the
allow-list, the caller's RBAC and the limits apply to it as to the tool; an id that is forged, expired, of
another caller, or refused is answered as an unknown task. `tasks/cancel` of a wait ends the wait and leaves
the workflow alone; of a run the task started, it stops the workflow (its exit handlers run), and a second
cancel, once the workflow is stopping, terminates it; under `--confirm-destructive` it refuses and names
stop_workflow, which asks the user. This replica answers `cancelled` for the task from then on.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp_types.version import is_version_at_least
from pydantic import BaseModel

from argo_mcp.argo.errors import ArgoNotFound
from argo_mcp.calls import Answer, Call, CallPipeline, Confirmer, Refusal
from argo_mcp.calls.requests import caller_of, peer_of
from argo_mcp.calls.tasks import MIN_POLL_MS, TTL_MS, TaskRef, open_task, seal_task
from argo_mcp.metrics import TASK_RESULTS_WAITING, TASKS_CREATED
from argo_mcp.sealing import Sealer
from argo_mcp.tools.registry import Tool

EXTENSION = "io.modelcontextprotocol/tasks"
RELATED_TASK = "io.modelcontextprotocol/related-task"
LEGACY_CAPABILITY: dict[str, Any] = {"cancel": {}, "requests": {"tools": {"call": {}}}}
LONGEST_WAIT = 3600  # tasks/result blocks at most this long per call (the wait tool's own bound)
CANCELLED_KEPT = 10_000
POLL_TOOL = "wait_for_workflow"  # what every task's poll runs, one look at a time


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _unknown() -> MCPError:
    return MCPError(
        types.INVALID_PARAMS,
        "Unknown task: no such task, it has expired (a task lives a day), or it is not this caller's",
    )


def _modern(ctx: ServerRequestContext[Any, Any]) -> bool:
    return is_version_at_least(ctx.protocol_version, "2026-07-28")


class Tasks:
    """The task methods and the task-creating paths of `tools/call`, over the one call pipeline."""

    def __init__(
        self,
        pipeline: CallPipeline,
        tools: Mapping[str, Tool[Any]],
        sealer: Sealer,
        confirmer: Callable[[ServerRequestContext[Any, Any], types.CallToolRequestParams], Confirmer],
    ) -> None:
        self.pipeline, self.tools, self.sealer, self.confirmer = pipeline, tools, sealer, confirmer
        self.cancelled: OrderedDict[str, None] = OrderedDict()

    # ---- creation ----------------------------------------------------------------------------------------------
    def becomes_task(self, name: str, arguments: Mapping[str, Any] | None) -> bool:
        """Whether a call of `name` is long work a task can stand for: a wait, or a run started with `wait`."""
        tool = self.tools.get(name)
        if tool is None or not tool.task or POLL_TOOL not in self.tools:
            return False
        given = arguments or {}
        return tool.long or given.get("wait") is True or given.get("follow") is True

    def wanted(
        self, ctx: ServerRequestContext[Any, Any], name: str, arguments: Mapping[str, Any] | None
    ) -> bool:
        """Whether a 2026-07-28 `tools/call` may be answered with a task: the call is long work a task can
        stand for, and the request declares the extension."""
        if not _modern(ctx) or not self.becomes_task(name, arguments):
            return False
        capabilities = ctx.session.client_capabilities
        return bool(capabilities and capabilities.extensions and EXTENSION in capabilities.extensions)

    async def start(
        self, ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams, *, legacy: bool
    ) -> dict[str, Any]:
        """The call through the pipeline (a destructive one confirmed as always) with one look at the workflow; a
        task naming it, or (2026-07-28) the answer itself when the workflow already finished, the call was
        refused, or the user must answer a confirmation first."""
        tool = self.tools[params.name]
        look = dict(params.arguments or {})
        named = look.get("target")
        target = named if isinstance(named, str) else None  # several targets: every later look goes there too
        then_args: dict[str, Any] = {}
        if look.get("follow") is True:
            # A log follow: read once without following (this checks the arguments and the caller's right to
            # the logs), and let the task answer with the logs once the workflow ended.
            then_args = {**look, "follow": False}
            first = await self.pipeline.run(Call(tool, then_args, caller=caller_of(ctx), peer=peer_of(ctx)))
            if not isinstance(first, Answer):
                return self._dump(first.result)
            look = {"name": look.get("name"), "namespace": look.get("namespace")}
            call = Call(
                self.tools[POLL_TOOL],
                look,
                caller=caller_of(ctx),
                peer=peer_of(ctx),
                brief=True,
                target=target,
            )
            outcome = await self.pipeline.run(call)
        else:
            call = Call(tool, look, caller=caller_of(ctx), peer=peer_of(ctx), brief=True)
            outcome = await self.pipeline.run(call, self.confirmer(ctx, params))
        if not isinstance(outcome, Answer) or not isinstance(outcome.data, dict):
            return self._dump(outcome.result)  # refused, failed, or a confirmation the user must answer first
        if then_args and outcome.data.get("finished") and not legacy:
            return self._dump(first.result)  # the run is over: its logs now are the answer
        waited = outcome.data.get("waited") or outcome.data  # a started run's first look, or the wait's
        summary = waited.get("workflow") or {}
        if waited.get("finished") and not legacy:
            return self._dump(outcome.result)
        poll = look.get("pollSeconds")
        ref = TaskRef(
            tool=tool.name,
            namespace=str(summary.get("namespace") or look.get("namespace") or ""),
            name=str(summary.get("name") or look.get("name")),
            uid=str(summary.get("uid") or ""),
            caller=self._caller(ctx),
            created=time.time(),
            poll_ms=max(MIN_POLL_MS, int(float(poll) * 1000)) if isinstance(poll, int | float) else 3000,
            submitted=tool.name != POLL_TOOL and not then_args,
            then=tool.name if then_args else "",
            then_args={k: v for k, v in then_args.items() if v is not None},
            target=target or "",
        )
        task_id = seal_task(self.sealer, ref)
        TASKS_CREATED.inc()
        status = "completed" if waited.get("finished") else "working"
        task = self._fields(task_id, ref, status, self._message(summary), legacy=legacy)
        return {"task": task} if legacy else {"resultType": "task", **task}

    # ---- the task methods --------------------------------------------------------------------------------------
    async def get(self, ctx: ServerRequestContext[Any, Any], task_id: str) -> dict[str, Any]:
        ref, status, detail = await self._look(ctx, task_id)
        legacy = not _modern(ctx)
        task = self._fields(task_id, ref, status, detail.get("message"), legacy=legacy)
        if legacy:
            return task
        extra: dict[str, Any] = {key: detail[key] for key in ("result", "error") if key in detail}
        return {"resultType": "complete", **task, **extra}

    async def result(self, ctx: ServerRequestContext[Any, Any], task_id: str) -> dict[str, Any]:
        """2025-11-25 `tasks/result`: the tool's answer, waiting (as the tool would) until the workflow ends."""
        ref, status, detail = await self._look(ctx, task_id)
        if "result" in detail or "error" in detail or status == "cancelled":
            answer = detail.get("result") or {"content": [], "isError": True}
            if "error" in detail:
                raise MCPError(detail["error"]["code"], detail["error"]["message"])
        else:
            wait = {"name": ref.name, "namespace": ref.namespace, "timeoutSeconds": LONGEST_WAIT}
            wait["pollSeconds"] = ref.poll_ms / 1000
            caller, peer = caller_of(ctx), peer_of(ctx)
            waited = Call(
                self.tools[POLL_TOOL],
                wait,
                road="tasks/result",
                caller=caller,
                peer=peer,
                target=ref.target or None,
            )
            with TASK_RESULTS_WAITING.track_inprogress():
                outcome = await self.pipeline.run(waited)
            if ref.then in self.tools and isinstance(outcome, Answer):
                then = Call(
                    self.tools[ref.then],
                    ref.then_args,
                    road="tasks/result",
                    caller=caller,
                    peer=peer,
                    target=ref.target or None,
                )
                outcome = await self.pipeline.run(then)
            answer = self._dump(outcome.result)
        return {**answer, "_meta": {**answer.get("_meta", {}), RELATED_TASK: {"taskId": task_id}}}

    async def cancel(self, ctx: ServerRequestContext[Any, Any], task_id: str) -> dict[str, Any]:
        ref = open_task(self.sealer, task_id, self._caller(ctx))
        if ref is None:
            raise _unknown()
        if ref.submitted:
            await self._stop(ctx, ref)
        self.cancelled[task_id] = None
        while len(self.cancelled) > CANCELLED_KEPT:
            self.cancelled.popitem(last=False)
        if _modern(ctx):
            return {}
        return self._fields(
            task_id, ref, "cancelled", "the wait ended; the workflow was left running", legacy=True
        )

    async def _stop(self, ctx: ServerRequestContext[Any, Any], ref: TaskRef) -> None:
        """Stop the run the task started (its exit handlers run); terminate it when it is stopping already (a
        second cancel). Each is a call down the pipeline, so scope, RBAC, limits and the audit line apply."""
        if self.pipeline.settings.confirm_destructive:
            raise MCPError(
                types.INVALID_REQUEST,
                f"This server confirms destructive calls with the user (--confirm-destructive), and tasks/cancel "
                f"cannot ask: nothing was stopped. Call stop_workflow for {ref.namespace}/{ref.name} (it asks the "
                "user), or terminate_workflow to kill it at once",
            )
        target = {"name": ref.name, "namespace": ref.namespace}
        look = (
            Call(
                self.tools["get_workflow"],
                {**target, "fields": "metadata.uid,spec.shutdown,status.phase"},
                road="tasks/cancel",
                caller=caller_of(ctx),
                peer=peer_of(ctx),
                target=ref.target or None,
            )
            if "get_workflow" in self.tools
            else None
        )
        seen = await self.pipeline.run(look) if look is not None else None
        data = seen.data if isinstance(seen, Answer) and isinstance(seen.data, dict) else {}
        if (data.get("status") or {}).get("phase") in ("Succeeded", "Failed", "Error"):
            return  # already over: nothing to stop
        if data.get("metadata", {}).get("uid") not in (None, ref.uid):
            raise _unknown()  # another workflow now has its name: not the task's to stop
        verb = "terminate_workflow" if (data.get("spec") or {}).get("shutdown") == "Stop" else "stop_workflow"
        if verb not in self.tools:
            raise MCPError(types.INVALID_REQUEST, f"{verb} is disabled on this server; nothing was stopped")
        outcome = await self.pipeline.run(
            Call(
                self.tools[verb],
                target,
                road="tasks/cancel",
                caller=caller_of(ctx),
                peer=peer_of(ctx),
                target=ref.target or None,
            )
        )
        if isinstance(outcome, Refusal):
            raise MCPError(types.INVALID_REQUEST, f"the task was not cancelled: {outcome.message}")

    # ---- helpers -----------------------------------------------------------------------------------------------
    async def _look(
        self, ctx: ServerRequestContext[Any, Any], task_id: str
    ) -> tuple[TaskRef, str, dict[str, Any]]:
        """(task, status, detail): one look at the workflow, through the pipeline as the task's caller."""
        ref = open_task(self.sealer, task_id, self._caller(ctx))
        tool = self.tools.get(POLL_TOOL)
        if ref is None or tool is None:
            raise _unknown()
        if task_id in self.cancelled:
            return ref, "cancelled", {"message": "the wait ended; the workflow was left running"}
        look = {"name": ref.name, "namespace": ref.namespace}
        call = Call(
            tool,
            look,
            road="tasks/get",
            caller=caller_of(ctx),
            peer=peer_of(ctx),
            brief=True,
            target=ref.target or None,
        )
        outcome = await self.pipeline.run(call)
        if isinstance(outcome, Refusal):
            return self._refused(ref, outcome)
        assert isinstance(outcome, Answer) and isinstance(outcome.data, dict)
        summary = outcome.data.get("workflow") or {}
        if ref.uid and summary.get("uid") and summary["uid"] != ref.uid:
            gone = f"workflow {ref.namespace}/{ref.name} was deleted and another one made with its name"
            return ref, "failed", {"message": gone, "error": {"code": types.INVALID_PARAMS, "message": gone}}
        message = self._message(summary)
        if outcome.data.get("finished") and ref.then in self.tools:
            then = Call(
                self.tools[ref.then],
                ref.then_args,
                road="tasks/get",
                caller=caller_of(ctx),
                peer=peer_of(ctx),
                target=ref.target or None,
            )
            return (
                ref,
                "completed",
                {"message": message, "result": self._dump((await self.pipeline.run(then)).result)},
            )
        if outcome.data.get("finished"):
            return ref, "completed", {"message": message, "result": self._dump(outcome.result)}
        return ref, "working", {"message": message}

    def _refused(self, ref: TaskRef, refusal: Refusal) -> tuple[TaskRef, str, dict[str, Any]]:
        if refusal.outcome == "busy":
            raise MCPError(types.INTERNAL_ERROR, refusal.message)
        if isinstance(refusal.failure, ArgoNotFound):
            gone = f"workflow {ref.namespace}/{ref.name} no longer exists in Argo"
            return ref, "failed", {"message": gone, "error": {"code": types.INVALID_PARAMS, "message": gone}}
        if refusal.outcome == "error":
            raise MCPError(types.INTERNAL_ERROR, refusal.message)
        raise _unknown()  # refused by scope or RBAC: said as for a task that does not exist

    @staticmethod
    def _message(summary: Mapping[str, Any]) -> str:
        phase = summary.get("phase", "Pending")
        progress = summary.get("progress")
        return f"{phase}, {progress} nodes done" if progress else str(phase)

    @staticmethod
    def _fields(
        task_id: str, ref: TaskRef, status: str, message: str | None, *, legacy: bool
    ) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "taskId": task_id,
            "status": status,
            "createdAt": _iso(ref.created),
            "lastUpdatedAt": _iso(time.time()),
        }
        if message:
            fields["statusMessage"] = message
        if legacy:
            return {**fields, "ttl": TTL_MS, "pollInterval": ref.poll_ms}
        return {**fields, "ttlMs": TTL_MS, "pollIntervalMs": ref.poll_ms}

    @staticmethod
    def _caller(ctx: ServerRequestContext[Any, Any]) -> str:
        caller = caller_of(ctx)
        return caller.username if caller is not None else ""

    @staticmethod
    def _dump(result: BaseModel) -> dict[str, Any]:
        return result.model_dump(by_alias=True, mode="json", exclude_none=True)

    # ---- wiring ------------------------------------------------------------------------------------------------
    def handlers(self) -> dict[str, Callable[..., Awaitable[dict[str, Any]]]]:
        async def on_get(
            ctx: ServerRequestContext[Any, Any], params: types.GetTaskRequestParams
        ) -> dict[str, Any]:
            return await self.get(ctx, params.task_id)

        async def on_result(
            ctx: ServerRequestContext[Any, Any], params: types.GetTaskPayloadRequestParams
        ) -> dict[str, Any]:
            return await self.result(ctx, params.task_id)

        async def on_cancel(
            ctx: ServerRequestContext[Any, Any], params: types.CancelTaskRequestParams
        ) -> dict[str, Any]:
            return await self.cancel(ctx, params.task_id)

        return {"tasks/get": on_get, "tasks/result": on_result, "tasks/cancel": on_cancel}

    async def middleware(self, ctx: ServerRequestContext[Any, Any], call_next: Any) -> Any:
        """2025-11-25: declare the tasks capability in `initialize`, and answer a task-augmented `tools/call`
        of a task tool with `CreateTaskResult` (the SDK's 2025-era sieve only lets `CallToolResult` through)."""
        params = ctx.params if isinstance(ctx.params, Mapping) else {}
        if ctx.method == "tools/call" and not _modern(ctx) and isinstance(params.get("task"), Mapping):
            name, arguments = params.get("name"), params.get("arguments")
            if isinstance(name, str) and self.becomes_task(
                name, arguments if isinstance(arguments, dict) else None
            ):
                typed = types.CallToolRequestParams.model_validate(dict(params), by_name=False)
                return await self.start(ctx, typed, legacy=True)
        result = await call_next(ctx)
        if (
            ctx.method == "initialize"
            and isinstance(result, dict)
            and isinstance(result.get("capabilities"), dict)
        ):
            version = result.get("protocolVersion")
            if isinstance(version, str) and version >= "2025-11-25":
                result = {**result, "capabilities": {**result["capabilities"], "tasks": LEGACY_CAPABILITY}}
        return result
