"""Process-level tuning for a long-running server: the event loop and the garbage collector.

Garbage collection: start-up leaves ~300k long-lived objects (the MCP SDK's pydantic models, the tool schemas),
and CPython's full (generation 2) collection walks all of them, a ~45 ms pause that showed as the p99 of every
call it overlapped. `gc.freeze()` once start-up is done moves them to a permanent generation no collection
scans, and larger thresholds make the young collections rarer (a call allocates thousands of short-lived
objects that reference counting frees anyway). Collection is off during start-up itself, which is all imports.

Event loop: uvloop when it is installed (a dependency on the platforms it supports), else asyncio's own. The HTTP
parser stays uvicorn's h11: the listener's protocol is h11's plus argo-mcp's idle, header and body timeouts and
connection limit (transport/connections.py), which an httptools protocol would not have.
"""

from __future__ import annotations

import asyncio
import gc
import importlib.util
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

# gen0: allocations minus deallocations before a young collection (CPython's default is 700);
# gen1/gen2: young collections per older one (defaults 10 and 10).
GC_THRESHOLDS = (50_000, 20, 100)


def start_up() -> None:
    """Call first thing: no collections while importing (start-up makes little cyclic garbage)."""
    gc.disable()


def settle() -> None:
    """Call once start-up is done, before serving: freeze what start-up built and collect with server thresholds.

    No `gc.collect()` first: the little cyclic garbage of start-up is not worth a full pass over everything."""
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    gc.enable()


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop if installed, else None (asyncio's default)."""
    if importlib.util.find_spec("uvloop") is None:
        return None
    import uvloop  # noqa: PLC0415 - optional: only where it is installed

    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def run(main: Coroutine[Any, Any, T]) -> T:
    """asyncio.run on the fastest loop available."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
