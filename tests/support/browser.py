"""Headless Chromium driven over the DevTools protocol, for tests that check what a person sees.

Debian's `chromium` talks CDP over a pipe (`--remote-debugging-pipe`: it reads commands on fd 3 and writes on
fd 4, each message JSON ending in a NUL byte), so no WebSocket client and no new dependency are needed. Input is
sent as real mouse and key events at screen coordinates, so a click lands where a person's would, through the
frames in between. `scripts/browser-prereqs` installs the browser; `chromium_path()` says where it is.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any


def chromium_path() -> str:
    found = (
        os.environ.get("ARGO_MCP_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if not found:
        raise RuntimeError(
            "Chromium is not installed: run scripts/browser-prereqs (Debian's chromium package)"
        )
    return found


class Page:
    """One tab: evaluate JavaScript in a frame, click and press keys, take screenshots."""

    def __init__(self, browser: Browser, session: str) -> None:
        self.browser, self.session = browser, session

    async def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.browser.send(method, params, session=self.session)

    async def evaluate(self, expression: str, *, frame: str | None = None) -> Any:
        """The value of `expression` (awaited when it is a promise), in the page or in the frame whose URL or
        name is `frame` (a sandboxed view's frame is another origin: the page's own script cannot reach in)."""
        params: dict[str, Any] = {"expression": expression, "awaitPromise": True, "returnByValue": True}
        if frame is not None:
            params["contextId"] = await self._frame_context(frame)
        answer = await self.send("Runtime.evaluate", params)
        if "exceptionDetails" in answer:
            raise AssertionError(f"{expression!r} threw: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    async def _frame_context(self, name: str) -> int:
        tree = (await self.send("Page.getFrameTree"))["frameTree"]
        frames = [child["frame"] for child in tree.get("childFrames", [])]
        found = next((f for f in frames if f.get("name") == name), None)
        if found is None:
            raise AssertionError(f"no frame named {name!r} in {[f.get('name') for f in frames]}")
        world = await self.send("Page.createIsolatedWorld", {"frameId": found["id"], "worldName": "test"})
        return int(world["executionContextId"])

    async def wait_for(self, expression: str, *, frame: str | None = None, timeout: float = 20) -> Any:
        """Poll `expression` until it is truthy; its value."""
        deadline = asyncio.get_running_loop().time() + timeout
        last: Any = None
        while asyncio.get_running_loop().time() < deadline:
            with contextlib.suppress(AssertionError):
                last = await self.evaluate(expression, frame=frame)
                if last:
                    return last
            await asyncio.sleep(0.2)
        raise AssertionError(f"{expression!r} stayed {last!r} for {timeout}s")

    async def click(self, x: float, y: float) -> None:
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            await self.send(
                "Input.dispatchMouseEvent",
                {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1},
            )

    async def press_enter(self) -> None:
        for kind in ("keyDown", "keyUp"):
            await self.send(
                "Input.dispatchKeyEvent",
                {"type": kind, "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13, "text": "\r"},
            )

    async def screenshot(self, path: Path) -> None:
        shot = await self.send("Page.captureScreenshot", {"format": "png"})
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))


class Browser:
    def __init__(
        self, process: asyncio.subprocess.Process, reader: asyncio.StreamReader, write_fd: int
    ) -> None:
        self.process, self.reader, self.write_fd = process, reader, write_fd
        self.next_id = 0
        self.waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.pump = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while True:
            try:
                raw = await self.reader.readuntil(b"\0")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                break
            message = json.loads(raw[:-1])
            waiter = self.waiting.pop(message.get("id", -1), None)
            if waiter is not None and not waiter.done():
                waiter.set_result(message)
        for waiter in self.waiting.values():
            if not waiter.done():
                waiter.set_exception(RuntimeError("Chromium closed its DevTools pipe"))

    async def send(
        self, method: str, params: dict[str, Any] | None = None, *, session: str | None = None
    ) -> dict[str, Any]:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        waiter: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.waiting[self.next_id] = waiter
        os.write(self.write_fd, json.dumps(message).encode() + b"\0")
        answer = await asyncio.wait_for(waiter, 30)
        if "error" in answer:
            raise AssertionError(f"{method} failed: {answer['error']}")
        result: dict[str, Any] = answer.get("result", {})
        return result

    async def open(self, url: str, *, width: int = 1100, height: int = 900, dark: bool = False) -> Page:
        target = await self.send("Target.createTarget", {"url": "about:blank"})
        attached = await self.send("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True})
        page = Page(self, attached["sessionId"])
        await page.send("Page.enable")
        await page.send("Runtime.enable")
        await page.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        scheme = "dark" if dark else "light"
        await page.send(
            "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": scheme}]}
        )
        await page.send("Page.navigate", {"url": url})
        return page


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """Headless Chromium on a DevTools pipe, with a throwaway profile; killed and reaped on the way out."""
    to_browser_r, to_browser_w = os.pipe()
    from_browser_r, from_browser_w = os.pipe()

    def wire_fds() -> None:  # in the child: its fd 3 reads our commands, its fd 4 writes its answers
        os.dup2(to_browser_r, 3)
        os.dup2(from_browser_w, 4)

    with tempfile.TemporaryDirectory(prefix="argo-mcp-chromium-", ignore_cleanup_errors=True) as profile:
        process = await asyncio.create_subprocess_exec(
            chromium_path(),
            "--headless",
            "--remote-debugging-pipe",
            "--no-sandbox",  # tests run as root, where Chromium's own sandbox cannot start
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-features=IsolateSandboxedIframes",
            f"--user-data-dir={profile}",
            "about:blank",
            preexec_fn=wire_fds,
            start_new_session=True,  # its own process group: its helpers (zygote, renderers) go with it
            close_fds=False,  # fds 3 and 4 are the only inheritable ones it gets (os.pipe ends are close-on-exec)
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        reader = asyncio.StreamReader(limit=64 * 1024 * 1024)
        transport, _ = await asyncio.get_running_loop().connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(from_browser_r, "rb", buffering=0)
        )
        browser = Browser(process, reader, to_browser_w)
        try:
            yield browser
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(browser.send("Browser.close"), 5)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), 5)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # the group this function started, nothing else
            await process.wait()
            browser.pump.cancel()
            transport.close()
            os.close(to_browser_w)
