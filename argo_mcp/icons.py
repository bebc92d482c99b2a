"""Icons (2025-11-25 schema: `Implementation.icons`, `Tool.icons`): SVG data URIs, one for light and one for dark
backgrounds, so a client shows argo-mcp and its tool groups without fetching anything.

The server's icons go in `serverInfo` (the initialize answer, once a session). A tool group's icons on every tool
would add ~19,900 tokens to tools/list (measured in tests/unit/test_apps.py), more than twice its 8,000-token
budget, so no client gets them in the list; `with_group_icons` is kept for the measurement and for a leaner form.
"""

from __future__ import annotations

from urllib.parse import quote

import mcp_types as types

from argo_mcp.settings import ToolGroup

# Each glyph is drawn with `currentColor`-free fills so it renders the same in an <img>: {fg} and {accent}.
_FRAME = (
    "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 24 24' fill='none' stroke='{fg}' stroke-width='2' "
    "stroke-linecap='round'>{body}</svg>"
)
# The server: a small DAG, one node failed-red, as Argo draws a workflow.
_SERVER = (
    "<path d='M12 6v4M12 10l-6 6M12 10l6 6'/><circle cx='12' cy='5' r='2.5' fill='{fg}'/>"
    "<circle cx='6' cy='18' r='2.5' fill='{fg}'/><circle cx='18' cy='18' r='2.5' fill='{accent}' stroke='{accent}'/>"
)
_GROUPS: dict[ToolGroup, str] = {
    ToolGroup.INFO: "<circle cx='12' cy='12' r='9'/><path d='M12 11v6M12 7v.5'/>",
    ToolGroup.WORKFLOWS: "<path d='M12 7v4l-6 6M12 11l6 6'/><circle cx='12' cy='5' r='2'/><circle cx='6' cy='19' r='2'/>"
    "<circle cx='18' cy='19' r='2' stroke='{accent}'/>",
    ToolGroup.ARCHIVE: "<rect x='3' y='4' width='18' height='5' rx='1'/><path d='M5 9v10h14V9M10 13h4'/>",
    ToolGroup.ARTIFACTS: "<path d='M6 3h8l4 4v14H6zM14 3v4h4'/>",
    ToolGroup.EVENTS: "<path d='M13 2L5 14h6l-1 8 8-12h-6z'/>",
    ToolGroup.TEMPLATES: "<rect x='4' y='4' width='16' height='16' rx='2'/><path d='M8 9h8M8 13h8M8 17h5'/>",
    ToolGroup.CRON: "<circle cx='12' cy='12' r='9'/><path d='M12 7v5l3 3'/>",
}
_THEMES = {"light": ("#1d2330", "#d64550"), "dark": ("#e4e8ee", "#f07a82")}


def _icons(body: str) -> list[types.Icon]:
    icons = []
    for theme, (fg, accent) in _THEMES.items():
        svg = _FRAME.format(fg=fg, body=body.format(fg=fg, accent=accent))
        icons.append(
            types.Icon(
                src="data:image/svg+xml," + quote(svg, safe="='/:;,.-"),
                mime_type="image/svg+xml",
                sizes=["any"],
                theme=theme,
            )
        )
    return icons


SERVER_ICONS = _icons(_SERVER)
GROUP_ICONS: dict[ToolGroup, list[types.Icon]] = {group: _icons(body) for group, body in _GROUPS.items()}


def with_group_icons(listing: types.ListToolsResult, groups: dict[str, ToolGroup]) -> types.ListToolsResult:
    """The same list, each tool with its group's icons (`groups`: tool name to group)."""
    return types.ListToolsResult(
        tools=[
            tool.model_copy(update={"icons": GROUP_ICONS[groups[tool.name]]}) if tool.name in groups else tool
            for tool in listing.tools
        ]
    )
