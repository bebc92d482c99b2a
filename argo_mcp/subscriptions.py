"""Live updates of `argo://workflows/{namespace}/{name}`: `subscriptions/listen` (2026-07-28, SEP-2575) and
`resources/subscribe` (handshake era, where the transport can carry notifications: stdio).

One upstream Argo watch per workflow (`/api/v1/workflow-events`, filtered to its name), shared by every
subscriber of it and stopped with the last one; each change Argo reports becomes one
`notifications/resources/updated` for the workflow's URI (the client reads the resource again). A subscription is
authorised like a read: the workflow is read once through the call pipeline as the caller (allow-list, RBAC,
limits), and a URI that read refuses is left out of what the server acknowledges. Subscriptions are bounded per
caller and in all; a dropped watch is opened again while anyone still listens.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import mcp_types as types
import orjson
import structlog
from mcp.server.context import ServerRequestContext
from mcp.server.subscriptions import InMemorySubscriptionBus, ListenHandler, ResourceUpdated
from mcp.shared.exceptions import MCPError

from argo_mcp.argo.client import ArgoClient
from argo_mcp.argo.errors import ArgoError
from argo_mcp.calls import Answer, Call, CallPipeline
from argo_mcp.calls.requests import caller_of, peer_of
from argo_mcp.resources import WORKFLOW, split_target, with_target
from argo_mcp.tools.paths import api
from argo_mcp.tools.registry import Tool

log = structlog.get_logger("argo_mcp.subscriptions")

PER_CALLER = 16
IN_ALL = 1024
RETRY_SECONDS = 2.0
WATCH_SECONDS = 300  # one watch request's life; it is opened again while someone listens


Where = tuple[str | None, str, str]
"""(target, namespace, name) of a watched workflow; target None: the default one."""


@dataclass
class _Watch:
    task: asyncio.Task[None]
    users: int = 0


@dataclass
class WorkflowWatches:
    """The upstream watches, one per workflow, reference-counted."""

    argo_of: Callable[[str | None], ArgoClient]
    """The Argo client of a target (None: the default target)."""
    publish: Callable[[str], None]
    watches: dict[Where, _Watch] = field(default_factory=dict)

    def acquire(self, target: str | None, namespace: str, name: str) -> Callable[[], None]:
        key = (target, namespace, name)
        watch = self.watches.get(key)
        if watch is None:
            watch = self.watches[key] = _Watch(asyncio.create_task(self._follow(target, namespace, name)))
        watch.users += 1

        def release() -> None:
            watch.users -= 1
            if watch.users <= 0 and self.watches.get(key) is watch:
                del self.watches[key]
                watch.task.cancel()

        return release

    async def _follow(self, target: str | None, namespace: str, name: str) -> None:
        uri = with_target(WORKFLOW.uri(namespace=namespace, name=name), target)
        query = {
            "listOptions.fieldSelector": f"metadata.name={name}",
            "listOptions.timeoutSeconds": str(WATCH_SECONDS),
            "fields": "result.type,result.object.metadata.resourceVersion,result.object.status.phase",
        }
        while True:
            try:
                async with self.argo_of(target).stream(
                    api("workflow-events", namespace), query=query, timeout=WATCH_SECONDS + 30
                ) as response:
                    async for line in response.content:
                        if self._is_change(line):
                            self.publish(uri)
            except (ArgoError, OSError, TimeoutError) as exc:
                log.info(
                    "workflow_watch_interrupted", namespace=namespace, name=name, error=type(exc).__name__
                )
            except Exception:
                log.warning("workflow_watch_failed", namespace=namespace, name=name, exc_info=True)
            await asyncio.sleep(RETRY_SECONDS)

    @staticmethod
    def _is_change(line: bytes) -> bool:
        with contextlib.suppress(orjson.JSONDecodeError, AttributeError, TypeError):
            event = orjson.loads(line).get("result") or {}
            return event.get("type") in ("ADDED", "MODIFIED", "DELETED")
        return False


class Subscriptions:
    """`subscriptions/listen` and `resources/subscribe` over the shared watches."""

    def __init__(self, pipeline: CallPipeline, tools: Mapping[str, Tool[Any]]) -> None:
        self.pipeline, self.tools = pipeline, tools
        self.bus = InMemorySubscriptionBus()
        self.listen_handler = ListenHandler(self.bus, max_subscriptions=IN_ALL)
        targets = pipeline.targets
        self.watches = WorkflowWatches(
            lambda name: (targets.get(name) or targets.primary).argo, self._publish
        )
        self.by_caller: Counter[str] = Counter()
        self.subscribed: dict[str, Callable[[], None]] = {}  # resources/subscribe (stdio: one session)
        self.sessions: dict[str, Any] = {}

    def _publish(self, uri: str) -> None:
        asyncio.get_running_loop().create_task(self.bus.publish(ResourceUpdated(uri=uri)))
        for subscribed, session in list(self.sessions.items()):
            if subscribed == uri:
                params = types.ResourceUpdatedNotificationParams(uri=uri)
                asyncio.get_running_loop().create_task(
                    session.send_notification(types.ResourceUpdatedNotification(params=params))
                )

    async def _readable(self, ctx: ServerRequestContext[Any, Any], uri: str) -> Where | None:
        """(target, namespace, name) of a workflow URI the caller may read now (one read through the pipeline)."""
        base, target = split_target(uri) if self.pipeline.targets.multi else (uri, None)
        arguments = WORKFLOW.match(base)
        tool = self.tools.get(WORKFLOW.tool)
        if arguments is None or tool is None:
            return None
        call = Call(tool, {**arguments, "fields": "metadata.name"}, road="subscribe", caller=caller_of(ctx),
                    peer=peer_of(ctx), target=target)  # fmt: skip
        outcome = await self.pipeline.run(call)
        return (target, arguments["namespace"], arguments["name"]) if isinstance(outcome, Answer) else None

    def _admit(self, ctx: ServerRequestContext[Any, Any], count: int) -> str:
        caller = caller_of(ctx)
        key = caller.username if caller is not None else (peer_of(ctx) or "local")
        if self.by_caller[key] + count > PER_CALLER:
            raise MCPError(
                types.INVALID_REQUEST,
                f"argo-mcp is busy for this caller: it already has {self.by_caller[key]} workflow subscriptions, "
                f"at most {PER_CALLER} at once; end one (or list fewer URIs) and listen again",
            )
        self.by_caller[key] += count
        return key

    def _leave(self, key: str, count: int) -> None:
        self.by_caller[key] -= count
        if self.by_caller[key] <= 0:
            del self.by_caller[key]

    async def listen(
        self, ctx: ServerRequestContext[Any, Any], params: types.SubscriptionsListenRequestParams
    ) -> types.SubscriptionsListenResult:
        asked = params.notifications.resource_subscriptions or []
        readable = [(uri, where) for uri in dict.fromkeys(asked) if (where := await self._readable(ctx, uri))]
        key = self._admit(ctx, len(readable))
        releases = [self.watches.acquire(*where) for _, where in readable]
        honored = replace_subscriptions(params, [uri for uri, _ in readable])
        try:
            return await self.listen_handler(ctx, honored)
        finally:
            for release in releases:
                release()
            self._leave(key, len(readable))

    async def subscribe(
        self, ctx: ServerRequestContext[Any, Any], params: types.SubscribeRequestParams
    ) -> None:
        uri = str(params.uri)
        if not ctx.session.can_send_request:
            raise MCPError(
                types.INVALID_REQUEST,
                "resources/subscribe needs a connection that carries notifications: this stateless HTTP request "
                "has none. Use subscriptions/listen (2026-07-28 clients) or connect over stdio",
            )
        where = await self._readable(ctx, uri)
        if where is None:
            raise MCPError(types.INVALID_PARAMS, f"Cannot subscribe to {uri!r}: no such workflow this caller may read",
                           {"uri": uri})  # fmt: skip
        if uri not in self.subscribed:
            key = self._admit(ctx, 1)
            release = self.watches.acquire(*where)

            def end() -> None:
                release()
                self._leave(key, 1)

            self.subscribed[uri] = end
            self.sessions[uri] = ctx.session

    async def unsubscribe(
        self, _ctx: ServerRequestContext[Any, Any], params: types.UnsubscribeRequestParams
    ) -> None:
        uri = str(params.uri)
        end = self.subscribed.pop(uri, None)
        self.sessions.pop(uri, None)
        if end is not None:
            end()


def replace_subscriptions(
    params: types.SubscriptionsListenRequestParams, uris: list[str]
) -> types.SubscriptionsListenRequestParams:
    """`params` asking for exactly `uris` (the ones the caller may read) besides what else it asked."""
    notifications = params.notifications.model_copy(update={"resource_subscriptions": uris or None})
    return params.model_copy(update={"notifications": notifications})
