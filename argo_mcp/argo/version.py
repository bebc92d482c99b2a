"""The Argo Server's version, learned once per Argo client and reused.

What Argo accepts differs between versions (v4 refuses a CronWorkflow's singular `schedule` and silently drops a
Workflow's singular `mutex`), so some tools must know which Argo they talk to before they send anything. Asking
on every call would double the requests of those calls; the version changes only when Argo is upgraded, so it
is kept per client for `TTL_SECONDS` and asked again after that. A failed fetch is not kept for long
(`RETRY_SECONDS`): a caller then works with "unknown" (tools never refuse on a guess) and the next call after
the pause asks again. `get_argo_version`'s own answer refreshes the cache too.

The cache lives beside the client (a weak mapping), so each Argo target has its own and a closed client's
entry goes with it.
"""

from __future__ import annotations

import asyncio
import re
import time
import weakref
from dataclasses import dataclass
from typing import Any

from argo_mcp.argo.client import ArgoClient
from argo_mcp.argo.errors import ArgoError

VERSION_PATH = "/api/v1/version"
TTL_SECONDS = 600.0
RETRY_SECONDS = 15.0
_SEMVER = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)")


@dataclass(frozen=True)
class ArgoVersion:
    """A server version as Argo spelled it, and its numbers when it is a release (`v4.0.7`, `v3.7.12+abc`).
    A build from a branch (`latest`, `untagged`) has no numbers: treated as unknown."""

    text: str
    number: tuple[int, int, int] | None

    @classmethod
    def parse(cls, text: str) -> ArgoVersion:
        found = _SEMVER.match(text.strip())
        number = (int(found[1]), int(found[2]), int(found[3])) if found else None
        return cls(text=text.strip(), number=number)

    @property
    def known(self) -> bool:
        return self.number is not None

    def at_least(self, number: tuple[int, int, int]) -> bool:
        return self.number is not None and self.number >= number

    @property
    def line(self) -> str | None:
        """`v4.0`: the release line, what the pinned schemas are named by."""
        return None if self.number is None else f"v{self.number[0]}.{self.number[1]}"


UNKNOWN = ArgoVersion(text="unknown", number=None)


@dataclass
class _Entry:
    lock: asyncio.Lock
    version: ArgoVersion | None = None
    until: float = 0.0


_CACHE: weakref.WeakKeyDictionary[ArgoClient, _Entry] = weakref.WeakKeyDictionary()


def _entry(client: ArgoClient) -> _Entry:
    entry = _CACHE.get(client)
    if entry is None:
        entry = _CACHE[client] = _Entry(lock=asyncio.Lock())
    return entry


def remember(client: ArgoClient, answer: Any) -> ArgoVersion:
    """Keep what Argo's GET /api/v1/version answered (any caller that made the request may hand it in)."""
    text = answer.get("version") if isinstance(answer, dict) else None
    version = ArgoVersion.parse(text) if isinstance(text, str) and text.strip() else UNKNOWN
    entry = _entry(client)
    # A version that says nothing (a branch build, an odd answer) is asked again soon, like a failed look.
    entry.version = version
    entry.until = time.monotonic() + (TTL_SECONDS if version.known else RETRY_SECONDS)
    return version


def forget(client: ArgoClient) -> None:
    """Drop the cached version (tests; an operator that knows Argo was just upgraded)."""
    _CACHE.pop(client, None)


async def server_version(client: ArgoClient) -> ArgoVersion:
    """The server's version: cached, else asked once (concurrent callers share the one request); UNKNOWN when
    Argo could not say (unreachable, not an Argo Server)."""
    entry = _entry(client)
    if entry.version is not None and time.monotonic() < entry.until:
        return entry.version
    async with entry.lock:
        if entry.version is not None and time.monotonic() < entry.until:
            return entry.version
        try:
            answer = await client.request("GET", VERSION_PATH, what="get the Argo Server's version")
        except ArgoError:
            entry.version, entry.until = UNKNOWN, time.monotonic() + RETRY_SECONDS
            return UNKNOWN
        return remember(client, answer)
