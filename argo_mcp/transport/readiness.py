"""/readyz: is Argo answering? Asked at most once at a time, briefly, and remembered for a moment.

Every probe used to start its own Argo request and wait the whole --argo-timeout when Argo hung, so probes piled
up (kubelet probes every few seconds, with a 3 s timeout). Now one check is in flight at any time and every probe
that arrives meanwhile waits for that same check; the check gives up after `timeout` seconds (below the probe's
own timeout), and its verdict, good or bad, is reused for `cache_seconds`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from argo_mcp.argo.client import ArgoClient
from argo_mcp.argo.errors import ArgoError
from argo_mcp.metrics import record_argo_up

READY_CACHE_SECONDS = 2.0
READY_TIMEOUT_SECONDS = 2.0

Verdict = tuple[int, dict[str, Any]]


class Readiness:
    def __init__(
        self,
        argo: ArgoClient,
        *,
        timeout: float = READY_TIMEOUT_SECONDS,
        cache_seconds: float = READY_CACHE_SECONDS,
    ) -> None:
        self.argo = argo
        self.timeout = timeout
        self.cache_seconds = cache_seconds
        self._verdict: Verdict = (503, {"status": "unknown"})
        self._checked_at = -cache_seconds
        self._in_flight: asyncio.Task[Verdict] | None = None
        self.checks = 0  # Argo requests started, for tests and debugging

    async def _check(self) -> Verdict:
        self.checks += 1
        try:
            version = await asyncio.wait_for(
                self.argo.request("GET", "/api/v1/version", what="readiness check"), self.timeout
            )
        except TimeoutError:
            # The request was abandoned (so the client recorded nothing about Argo): Argo did not answer.
            record_argo_up(self.argo.base_url, False)
            return 503, {
                "status": "not ready",
                "reason": f"the Argo server did not answer /api/v1/version within {self.timeout:g}s",
            }
        except ArgoError as exc:
            return 503, {"status": "not ready", "reason": str(exc)}
        return 200, {"status": "ready", "argo": version.get("version", "unknown")}

    async def verdict(self) -> Verdict:
        if time.monotonic() - self._checked_at <= self.cache_seconds:
            return self._verdict
        if self._in_flight is None:
            self._in_flight = asyncio.create_task(self._check())
        task = self._in_flight
        try:
            # shield: a probe that gives up (client timeout) must not cancel the check the others wait for.
            verdict = await asyncio.shield(task)
        finally:
            if task.done() and self._in_flight is task:
                self._in_flight = None
        if self._checked_at < time.monotonic() - self.cache_seconds:
            self._verdict, self._checked_at = verdict, time.monotonic()
        return verdict

    def endpoint(self) -> Callable[[Request], Awaitable[JSONResponse]]:
        async def readyz(_request: Request) -> JSONResponse:
            status, body = await self.verdict()
            return JSONResponse(body, status_code=status)

        return readyz


class TargetsReadiness:
    """/readyz with several targets: ready while any target's Argo answers, and which ones do not, by name (a
    pod taken out of its Service because one cluster is down would take every other cluster's calls with it)."""

    def __init__(self, targets: Any) -> None:
        self.targets = targets
        self._each: dict[tuple[str, int], Readiness] = {}

    def _of(self, target: Any) -> Readiness:
        key = (target.name, id(target.argo))
        if key not in self._each:
            self._each[key] = Readiness(target.argo)
        return self._each[key]

    async def verdict(self) -> Verdict:
        await self.targets.reload_if_changed()
        current = self.targets.all()
        verdicts = await asyncio.gather(*(self._of(target).verdict() for target in current))
        body = {target.name: answer for target, (_status, answer) in zip(current, verdicts, strict=True)}
        ready = any(status == 200 for status, _ in verdicts)
        return (200 if ready else 503), {"status": "ready" if ready else "not ready", "targets": body}

    def endpoint(self) -> Callable[[Request], Awaitable[JSONResponse]]:
        async def readyz(_request: Request) -> JSONResponse:
            status, body = await self.verdict()
            return JSONResponse(body, status_code=status)

        return readyz
