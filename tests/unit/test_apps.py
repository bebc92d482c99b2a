"""MCP Apps: the view's ui:// resource, its `_meta` links for clients that negotiated the extension, exactly
today's lists and answers for the others, the token cost of the links and of the icons, and the icons."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import aiohttp
import mcp_types as types

from argo_mcp import apps, icons
from argo_mcp.cli import parse_settings
from argo_mcp.tools import ALL_TOOLS
from argo_mcp.tools.registry import exposed
from bench.tokens import count_tokens
from tests.support.apps_host import APPS
from tests.support.fake_argo import FakeArgo
from tests.support.processes import ServerProcess, http_client, text_of
from tests.support.raw_mcp import ACCEPT, HEADERS, initialize_request, rpc_answer
from tests.support.samples import dag_workflow
from tests.support.stdio_session import INITIALIZED, start_stdio, tools_list

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


# ---- 2025-11-25: the extension declared once, in initialize ---------------------------------------------------
APPS_CAPABILITIES = {
    "extensions": {"io.modelcontextprotocol/ui": {"mimeTypes": ["text/html;profile=mcp-app"]}}
}


def _initialize(capabilities: dict[str, Any]) -> dict[str, Any]:
    request = initialize_request("2025-11-25")
    request["params"]["capabilities"] = capabilities
    return request


async def _post(
    http: aiohttp.ClientSession, url: str, message: dict[str, Any], session: str | None
) -> dict[str, Any]:
    headers = {**HEADERS, **({"Mcp-Session-Id": session} if session else {})}
    async with http.post(url, json=message, headers=headers) as response:
        assert response.status == 200, await response.text()
        return rpc_answer(await response.text())


async def _handshake_era(url: str, capabilities: dict[str, Any]) -> dict[str, Any]:
    """A raw 2025-11-25 HTTP client: initialize (declaring `capabilities`), then the lists, a resource read and
    a call, each a POST of its own that carries the session id the initialize answer gave, if any."""
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json=_initialize(capabilities), headers=ACCEPT) as response:
            assert response.status == 200
            session = response.headers.get("Mcp-Session-Id")
            init = rpc_answer(await response.text())
        await http.post(url, json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=HEADERS)
        answers: dict[str, Any] = {"session": session, "initialize": init["result"]}
        for i, (method, params) in enumerate(
            (
                ("tools/list", {}),
                ("resources/list", {}),
                ("resources/templates/list", {}),
                ("tools/call", {"name": "get_workflow", "arguments": {"name": "diamond"}}),
            ),
            start=2,
        ):
            message = {"jsonrpc": "2.0", "id": i, "method": method, "params": params}
            answers[method] = (await _post(http, url, message, session))["result"]
    return answers


async def test_a_2025_client_that_declares_apps_in_initialize_gets_the_links(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    argo.on("WorkflowService_GetWorkflow", dag_workflow())
    argo.on("WorkflowService_ListWorkflows", {"metadata": {}, "items": []})
    app = await _handshake_era(shared_server.url, APPS_CAPABILITIES)
    plain = await _handshake_era(shared_server.url, {})

    # the server declares the extension back, and the session id carries the negotiation to later POSTs
    assert app["initialize"]["capabilities"]["extensions"] == {
        "io.modelcontextprotocol/ui": {"mimeTypes": ["text/html;profile=mcp-app"]}
    }
    assert app["session"] is not None and app["session"].startswith(apps.SESSION_PREFIX)
    linked = {t["name"] for t in app["tools/list"]["tools"] if t.get("_meta")}
    assert linked == set(apps.VIEW_TOOLS)
    assert app["resources/list"]["resources"][0]["uri"] == apps.VIEW_URI
    workflow = next(
        t for t in app["resources/templates/list"]["resourceTemplates"] if t["name"] == "workflow"
    )
    assert workflow["_meta"] == apps.VIEW_META

    # a client that declared nothing: no session id, no extension, exactly today's list and answers
    assert plain["session"] is None
    assert "extensions" not in plain["initialize"]["capabilities"]
    assert {
        **app["initialize"],
        "capabilities": {**app["initialize"]["capabilities"], "extensions": None},
    } == {
        **plain["initialize"],
        "capabilities": {**plain["initialize"]["capabilities"], "extensions": None},
    }
    assert plain["tools/list"]["tools"] == json.loads(GOLDEN.read_text())
    assert all("_meta" not in r for r in plain["resources/list"]["resources"])
    assert all("_meta" not in t for t in plain["resources/templates/list"]["resourceTemplates"])
    assert app["tools/call"] == plain["tools/call"]  # the call's answer is the same for both


async def test_a_2025_client_without_the_view_mime_type_gets_no_links(shared_server: ServerProcess) -> None:
    """Declaring the extension without `text/html;profile=mcp-app` is not MCP Apps (SEP-1865)."""
    other = {"extensions": {"io.modelcontextprotocol/ui": {"mimeTypes": ["text/plain"]}}}
    answers = await _handshake_era(shared_server.url, other)
    assert answers["session"] is None and "extensions" not in answers["initialize"]["capabilities"]
    assert all("_meta" not in t for t in answers["tools/list"]["tools"])


async def test_the_sdk_legacy_client_with_apps_gets_the_links(shared_server: ServerProcess) -> None:
    async with http_client(shared_server.url, mode="legacy", extensions=[APPS]) as app:
        linked = {t.name for t in (await app.list_tools()).tools if t.meta}
    async with http_client(shared_server.url, mode="legacy") as plain:
        unlinked = {t.name for t in (await plain.list_tools()).tools if t.meta}
    assert linked == set(apps.VIEW_TOOLS) and unlinked == set()


async def test_a_2025_stdio_client_that_declares_apps_gets_the_links(
    argo_fake: tuple[FakeArgo, str], tmp_path: Path
) -> None:
    _, url = argo_fake
    answers = {}
    # plain first (its answers are cached for the next start), then Apps (not served the cached plain answers,
    # and its own not recorded), then plain again (served from the cache, still plain)
    for label, capabilities in (("plain", {}), ("app", APPS_CAPABILITIES), ("again", {})):
        session = await start_stdio(url, tmp_path / "cache", tmp_path, "--argo-auth-mode", "none")
        await session.send(_initialize(capabilities))
        init = json.loads(await session.line())["result"]
        await session.send(INITIALIZED, tools_list(2))
        tools = json.loads(await session.line())["result"]["tools"]
        assert await session.close() == 0
        answers[label] = (init, tools)
    (app_init, app_tools), (plain_init, plain_tools) = answers["app"], answers["plain"]
    assert app_init["capabilities"]["extensions"] == {apps.EXTENSION_ID: apps.SERVER_EXTENSION}
    assert "extensions" not in plain_init["capabilities"]
    assert {t["name"] for t in app_tools if t.get("_meta")} == set(apps.VIEW_TOOLS)
    assert plain_tools == json.loads(GOLDEN.read_text())
    assert answers["again"] == answers["plain"]
