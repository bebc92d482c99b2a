"""MCP Apps: the view's ui:// resource, its `_meta` links for clients that negotiated the extension, exactly
today's lists and answers for the others, the token cost of the links and of the icons, and the icons."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import mcp_types as types

from argo_mcp import apps, icons
from argo_mcp.cli import parse_settings
from argo_mcp.tools import ALL_TOOLS
from argo_mcp.tools.registry import exposed
from bench.tokens import count_tokens
from tests.support.apps_host import APPS
from tests.support.fake_argo import FakeArgo
from tests.support.processes import ServerProcess, http_client, text_of
from tests.support.samples import dag_workflow

GOLDEN = Path(__file__).parent / "golden" / "tools-list-default.json"
VIEW_BUDGET_BYTES = 40 * 1024
APPS_GROWTH_BUDGET = 150


def _wire(listing: types.ListToolsResult) -> list[dict[str, Any]]:
    tools: list[dict[str, Any]] = listing.model_dump(by_alias=True, exclude_none=True, mode="json")["tools"]
    return tools


def _tokens(tools: list[dict[str, Any]]) -> int:
    return count_tokens(json.dumps(tools, separators=(",", ":")))


def _listing() -> types.ListToolsResult:
    settings = parse_settings(["--argo-server-url", "http://argo:2746", "--argo-auth-mode", "none"], env={})
    return types.ListToolsResult(tools=[t.to_mcp() for t in exposed(ALL_TOOLS, settings)])


def test_the_view_is_one_small_self_contained_file() -> None:
    html = apps.view_html()
    size = len(html.encode())
    assert size < VIEW_BUDGET_BYTES, f"the view is {size} bytes"
    # nothing fetched: no external script, style, font, image or connection
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", html)
    assert "@import" not in html and "url(" not in html and "fetch(" not in html
    assert "default-src 'none'" in html
    # text from Argo is set as text, never parsed as HTML
    assert "innerHTML" not in html


def test_the_links_cost_apps_clients_under_150_tokens() -> None:
    plain = _listing()
    linked = apps.with_view(plain)
    growth = _tokens(_wire(linked)) - _tokens(_wire(plain))
    assert 0 < growth < APPS_GROWTH_BUDGET, f"the _meta links add {growth} tokens"
    meta = {t["name"]: t.get("_meta") for t in _wire(linked)}
    assert {name for name, m in meta.items() if m} == set(apps.VIEW_TOOLS)
    assert meta["get_workflow"] == {"ui": {"resourceUri": "ui://argo-mcp/workflow.html"}}


def test_group_icons_are_too_big_for_every_conversation() -> None:
    """Measured: why handshake-era clients get the list without tool icons (icons.py)."""
    plain = _listing()
    groups = {t.name: t.group for t in ALL_TOOLS}
    growth = _tokens(_wire(icons.with_group_icons(plain, groups))) - _tokens(_wire(plain))
    assert growth > 2_000, (
        growth
    )  # ~5,000 tokens: over the 8,000-token tools/list budget with the list's 7,947
    for group_icons in icons.GROUP_ICONS.values():
        assert [i.theme for i in group_icons] == ["light", "dark"]
        assert all(i.src.startswith("data:image/svg+xml,") and "#" not in i.src for i in group_icons)


async def test_clients_without_apps_get_todays_list_and_answers(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    golden = json.loads(GOLDEN.read_text())
    argo.on("WorkflowService_GetWorkflow", dag_workflow())
    async with http_client(shared_server.url, mode="legacy") as plain:
        listed = _wire(await plain.list_tools())
        assert listed == golden  # byte for byte the reviewed snapshot: no _meta, no icons
        plain_answer = await plain.call_tool("get_workflow", {"name": "diamond"})
        plain_resources = await plain.list_resource_templates()
        info = plain.server_info
    assert all(t.meta is None for t in plain_resources.resource_templates)
    async with http_client(shared_server.url, extensions=[APPS]) as app:
        linked = _wire(await app.list_tools())
        app_answer = await app.call_tool("get_workflow", {"name": "diamond"})
        app_templates = await app.list_resource_templates()
        read = await app.read_resource(apps.VIEW_URI)
    assert [t["name"] for t in linked] == [t["name"] for t in golden]
    assert {t["name"] for t in linked if t.get("_meta")} == set(apps.VIEW_TOOLS)
    # the answers themselves are the same for both: the link is in the list, not in the result
    assert text_of(app_answer) == text_of(plain_answer)
    workflow = next(t for t in app_templates.resource_templates if t.name == "workflow")
    assert workflow.meta == apps.VIEW_META
    view = read.contents[0]
    assert isinstance(view, types.TextResourceContents)
    assert view.mime_type == "text/html;profile=mcp-app" and view.text == apps.view_html()
    assert info is not None and info.icons is not None
    assert [i.theme for i in info.icons] == ["light", "dark"]


async def test_a_2026_client_without_apps_gets_the_plain_list(shared_server: ServerProcess) -> None:
    async with http_client(shared_server.url) as modern:
        listed = _wire(await modern.list_tools())
    assert [t["name"] for t in listed] == [t["name"] for t in json.loads(GOLDEN.read_text())]
    assert all("icons" not in t and "_meta" not in t for t in listed)  # icons measured too costly
