"""Kubernetes' optimistic concurrency, where a conflict is argo-mcp's to absorb and not the agent's to handle.

Argo answers 409 when an object changed between the version a write was based on and the write itself. Two
such conflicts are the controllers' doing, not the agent's, and are tried again after a short wait, as
client-go's RetryOnConflict does:
- a workflow action just after the workflow finished: the controller is still writing it (archiving labels).
  A conflicting action changed nothing, so it is safe to send again;
- an update whose manifest had no resourceVersion: argo-mcp read the live one, and a controller changed the
  object before the write. Argo Events, for one, writes a new EventSource's status right after its creation
  (seen in e2e). The version is read again before each try, so the agent's spec replaces the live object.
A resourceVersion the agent gave is its own optimistic lock, so that conflict is answered at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from argo_mcp.argo.errors import ArgoConflict

T = TypeVar("T")

CONFLICT_RETRY_DELAYS = (0.5, 1.0, 2.0)
"""Waits before the second, third and fourth tries; the fourth try's conflict is answered."""


async def retry_on_conflict(attempt: Callable[[], Awaitable[T]]) -> T:
    """`attempt()`, tried again after each of `CONFLICT_RETRY_DELAYS` while Argo answers 409."""
    for delay in CONFLICT_RETRY_DELAYS:
        try:
            return await attempt()
        except ArgoConflict:
            await asyncio.sleep(delay)
    return await attempt()


async def replace_object(
    manifest: dict[str, Any],
    live_version: Callable[[], Awaitable[str | None]],
    put: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]],
) -> dict[str, Any]:
    """PUT `manifest`. Without a resourceVersion of its own it carries the live one, read again before each try."""
    metadata = manifest["metadata"]
    if metadata.get("resourceVersion"):
        return await put(manifest)

    async def read_then_put() -> dict[str, Any]:
        metadata["resourceVersion"] = await live_version()
        return await put(manifest)

    return await retry_on_conflict(read_then_put)
