"""A client's hang-up ends the call it started.

The HTTP transport marks each request's life (`request_life`) and says when its client is gone; the pipeline runs
a call's handler so that the hang-up cancels it: its admission slot is freed, its Argo polling stops, and its
own clean-up runs (a download's partial file is removed). What was already sent to Argo stays done, and the
record says the caller left.

The mark travels as a context variable: it reaches the handler whichever road the SDK takes (the single-exchange
fast path runs it in the request's task; the SDK's stateless paths in tasks started from it, which copy the
context), and the pipeline cancels only the handler task it started itself, never a task of the SDK's.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")


class CallerLeft(Exception):
    """The client went away before the call finished."""


class RequestLife:
    """One HTTP request: whether its client is gone, and what to cancel when it goes."""

    def __init__(self) -> None:
        self.gone = False
        self._on_gone: set[Callable[[], object]] = set()

    def hang_up(self) -> None:
        if self.gone:
            return
        self.gone = True
        for cancel in list(self._on_gone):
            cancel()

    @contextlib.contextmanager
    def cancels(self, task: asyncio.Future[T]) -> Iterator[None]:
        cancel = task.cancel
        self._on_gone.add(cancel)
        try:
            yield
        finally:
            self._on_gone.discard(cancel)


_LIFE: ContextVar[RequestLife | None] = ContextVar("argo_mcp_request_life", default=None)


@contextlib.contextmanager
def request_life() -> Iterator[RequestLife]:
    """Mark the current task (and the tasks it starts) as serving one request."""
    life = RequestLife()
    token = _LIFE.set(life)
    try:
        yield life
    finally:
        _LIFE.reset(token)


async def unless_hung_up(work: Awaitable[T]) -> T:
    """`work`, cancelled when the current request's client hangs up (then `CallerLeft`). Outside a marked
    request (stdio, where the SDK's own `notifications/cancelled` handling applies; in-process calls) it is
    awaited as is, at no cost."""
    life = _LIFE.get()
    if life is None:
        return await work
    if life.gone:
        if asyncio.iscoroutine(work):
            work.close()
        raise CallerLeft()
    task = asyncio.ensure_future(work)
    with life.cancels(task):
        try:
            return await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if life.gone and (current is None or current.cancelling() == 0):
                raise CallerLeft() from None
            raise
