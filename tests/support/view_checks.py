"""What a person sees in argo-mcp's workflow view, read from a real browser: shared by the unit test (argo-mcp
against the Argo stand-in) and the e2e test (the real stack)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tests.support.browser import Page

REPO = Path(__file__).resolve().parents[2]
VIEW = "view"  # the host page's frame name


def artifacts_dir() -> Path:
    """Where screenshots are kept: $ARGO_MCP_ARTIFACTS, else tmp/artifacts in the checkout (ignored by git)."""
    return Path(os.environ.get("ARGO_MCP_ARTIFACTS") or REPO / "tmp" / "artifacts") / "apps-view"


async def drawn_nodes(page: Page) -> list[dict[str, Any]]:
    """Every node button: its name, the text a person reads on it, its accessible label and its box."""
    nodes: list[dict[str, Any]] = await page.evaluate(
        "Array.from(document.querySelectorAll('.node')).map(b => {const r = b.getBoundingClientRect();"
        " return {name: b.dataset.node, text: b.innerText, label: b.getAttribute('aria-label'),"
        " cls: b.className, top: r.y, x: r.x + r.width / 2, y: r.y + r.height / 2, visible: r.width > 0 && r.height > 0}})",
        frame=VIEW,
    )
    return nodes


async def click_node(page: Page, name: str) -> None:
    """A real mouse click on the node's button, at its centre on the screen (frame offset included)."""
    frame = await page.evaluate(
        "(() => {const r = document.getElementById('view').getBoundingClientRect(); return [r.x, r.y]})()"
    )
    node = next(n for n in await drawn_nodes(page) if n["name"] == name)
    await page.click(frame[0] + node["x"], frame[1] + node["y"])


async def enter_on_node(page: Page, name: str) -> None:
    """Keyboard: focus the node's button and press Enter, as a keyboard user does after tabbing to it."""
    await page.evaluate(f"document.querySelector('.node[data-node=\"{name}\"]').focus()", frame=VIEW)
    await page.press_enter()


async def _text_shown(page: Page, element_id: str, expected: str) -> str:
    """The inner text of the view's element `element_id` once it includes `expected`."""
    text: str = await page.wait_for(
        f"(() => {{const t = document.getElementById({element_id!r}).innerText;"
        f" return t.includes({expected!r}) ? t : ''}})()",
        frame=VIEW,
    )
    return text


async def logs_shown(page: Page, expected: str) -> str:
    """The clicked node's log lines once they include `expected`."""
    return await _text_shown(page, "d-logs", expected)


async def node_outputs_shown(page: Page, expected: str) -> str:
    """The clicked node's own outputs (parameters, artifacts, result, exit code) once they include `expected`."""
    return await _text_shown(page, "d-node", expected)
