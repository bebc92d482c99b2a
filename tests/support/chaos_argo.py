"""A loopback Argo stand-in that misbehaves on demand, for the robustness suite and `./dev soak`.

The swagger stand-in (fake_argo.py) checks that argo-mcp speaks Argo's API correctly; this one checks that
argo-mcp survives an Argo that does not: it answers any path, records every request's raw path (so a test can
prove nothing was sent, or that each path segment was well-formed), and in each `Mode` fails the way a real
Argo, proxy or network does. Error bodies echo the request's Authorization header, as a careless proxy would,
so a leak of argo-mcp's own token to the agent shows up. Every stream it sends is bounded (`ENDLESS_CAP`
seconds), so a test that forgets to stop reading still ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import json
import random
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from tests.support.argo_spec import load_swagger
from tests.support.fake_argo import Workflow
from tests.support.processes import free_port

ENDLESS_CAP = 60.0  # seconds an "endless" stream or a "slow" answer lasts at most


class Mode(enum.StrEnum):
    OK = "ok"  # plausible answers: a workflow, a list of them, a short log, a version
    NOT_FOUND = "not-found"  # 404 with Argo's error body
    DOWN = "down"  # handled by the test: nothing listens (see `ChaosArgo.stop`)
    SLOW = "slow"  # headers never come (until ENDLESS_CAP)
    ERROR_5XX = "5xx"  # 500 with the Authorization header echoed in the message
    RESET = "reset"  # 200, half a JSON body, then the connection is aborted
    MALFORMED = "malformed"  # 200 with a body that is not JSON
    ODD_JSON = "odd-json"  # 200 with valid JSON of the wrong shape (a list, deep nesting)
    HUGE = "huge"  # 200 with a JSON body of HUGE_BYTES
    ENDLESS = "endless"  # 200 and a body that never ends (until ENDLESS_CAP)
    FLAKY = "flaky"  # OK, but `fail_rate` of the answers fail (5xx, reset or malformed, seeded)


HUGE_BYTES = 8 * 1024 * 1024


@dataclass
class Seen:
    method: str
    raw_path: str


@dataclass
class ChaosArgo:
    mode: Mode = Mode.OK
    fail_rate: float = 0.1
    seed: int = 11
    requests: list[Seen] = field(default_factory=list)
    failures_sent: int = 0
    _rng: random.Random = field(init=False)
    _runner: web.AppRunner | None = field(default=None, init=False)
    port: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self.app = web.Application(client_max_size=64 * 1024 * 1024)
        self.app.router.add_route("*", "/{tail:.*}", self._handle)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, port: int | None = None) -> str:
        self.port = port or self.port or free_port()
        self._runner = web.AppRunner(self.app, shutdown_timeout=0.5, handler_cancellation=True)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self.url

    async def stop(self) -> None:
        """Stop listening (mode DOWN: connections are refused); `start()` again reuses the port."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ---- answers -------------------------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        await request.read()
        self.requests.append(Seen(request.method, request.raw_path))
        mode = self.mode
        if mode is Mode.FLAKY:
            if self._rng.random() < self.fail_rate:
                self.failures_sent += 1
                mode = self._rng.choice([Mode.ERROR_5XX, Mode.RESET, Mode.MALFORMED])
            else:
                mode = Mode.OK
        auth = request.headers.get("Authorization", "")
        if mode is Mode.OK:
            return self._ok(request)
        if mode is Mode.NOT_FOUND:
            return web.json_response({"code": 5, "message": f"not found (request had {auth})"}, status=404)
        if mode is Mode.ERROR_5XX:
            return web.json_response(
                {"code": 13, "message": f"internal error; Authorization: {auth}"}, status=500
            )
        if mode is Mode.SLOW:
            await asyncio.sleep(ENDLESS_CAP)
            return web.json_response({})
        if mode is Mode.MALFORMED:
            return web.Response(
                status=200, text='{"metadata": {"name": "wf"' + auth, content_type="application/json"
            )
        if mode is Mode.ODD_JSON:
            deep: Any = "x"
            for _ in range(5000):
                deep = {"a": [deep]}
            return web.Response(status=200, text=json.dumps(deep), content_type="application/json")
        return await self._stream(request, mode)

    async def _stream(self, request: web.Request, mode: Mode) -> web.StreamResponse:
        response = web.StreamResponse(status=200)
        response.content_type = "application/json"
        with contextlib.suppress(ConnectionError, RuntimeError):
            await response.prepare(request)
            if mode is Mode.RESET:
                await response.write(b'{"metadata": {"name": "wf", "labels": {"a": "')
                await asyncio.sleep(0.05)
                if request.transport is not None:
                    request.transport.abort()
                return response
            if mode is Mode.HUGE:
                chunk = b'"' + b"x" * (1024 * 1024 - 3) + b'",'
                await response.write(b'{"items": [')
                for _ in range(HUGE_BYTES // len(chunk)):
                    await response.write(chunk)
                await response.write(b'"end"], "metadata": {}}')
                await response.write_eof()
                return response
            # ENDLESS: log lines (valid for the log tools, an ever-growing JSON array for the others)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + ENDLESS_CAP
            line = json.dumps({"result": {"content": "tick " * 20, "podName": "wf-1"}}).encode() + b"\n"
            while loop.time() < deadline:
                await response.write(line * 50)
                await asyncio.sleep(0.01)
        return response

    def _ok(self, request: web.Request) -> web.Response:
        path = request.path
        if path.endswith("/version"):
            return web.json_response({"version": "v3.7.0", "platform": "linux/amd64"})
        if path.endswith("/log") or path.endswith("/logs"):
            lines = [json.dumps({"result": {"content": f"line {i}", "podName": "wf-1"}}) for i in range(5)]
            return web.Response(text="\n".join(lines) + "\n", content_type="application/json")
        parts = path.strip("/").split("/")
        if parts[:3] == ["api", "v1", "workflows"] and len(parts) == 4 and request.method == "GET":
            items = [Workflow(f"wf-{i}", namespace=parts[3]).json() for i in range(5)]
            return web.json_response({"items": items, "metadata": {"resourceVersion": "1"}})
        if parts[:3] == ["api", "v1", "workflows"] and len(parts) >= 5:
            return web.json_response(
                Workflow(unquote(parts[4]), namespace=parts[3], phase="Succeeded").json()
            )
        return web.json_response({})


# ---- well-formed paths -------------------------------------------------------------------------------------
def _route(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")


ROUTES = [_route(template) for template in load_swagger()["paths"]]


def path_problem(raw_path: str) -> str | None:
    """Why a raw request path is not a well-formed Argo API path (one of swagger's, each segment sane)."""
    path = raw_path.split("?", 1)[0]
    if not any(route.match(path) for route in ROUTES):
        return f"{raw_path!r} is not one of Argo's API paths"
    for segment in path.split("/")[1:]:
        decoded = unquote(segment)
        if decoded in ("", ".", "..") or "/" in decoded or "\\" in decoded or len(decoded) > 253:
            return f"{raw_path!r} has a bad segment {segment!r}"
        if any(ord(char) < 0x20 or ord(char) == 0x7F for char in decoded):
            return f"{raw_path!r} has a control character in {segment!r}"
    return None


@contextlib.asynccontextmanager
async def running(chaos: ChaosArgo) -> AsyncIterator[ChaosArgo]:
    await chaos.start()
    try:
        yield chaos
    finally:
        await chaos.stop()
