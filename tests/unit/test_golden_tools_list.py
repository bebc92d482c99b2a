"""`tools/list` per configuration, compared with a reviewed snapshot, so a change to a tool's name, description,
input schema or annotations shows up in review as a diff of tests/unit/golden/tools-list-*.json.

After a deliberate change, rewrite the snapshots with
    ARGO_MCP_UPDATE_GOLDEN=1 python -m pytest tests/unit/test_golden_tools_list.py
and review their diff like code.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import mcp_types as types
import pytest

from argo_mcp.cli import parse_settings
from argo_mcp.settings import ToolGroup
from argo_mcp.tools import ALL_TOOLS
from argo_mcp.tools.registry import exposed

GOLDEN = Path(__file__).parent / "golden"
UPDATE = "ARGO_MCP_UPDATE_GOLDEN"
BASE = ["--argo-server-url", "http://argo:2746", "--argo-auth-mode", "none"]

CONFIGURATIONS: dict[str, list[str]] = {
    "default": [],
    "read-only": ["--read-only"],
    "disable-destructive": ["--disable-destructive"],
    **{f"toolset-{group.value}": ["--toolsets", group.value] for group in ToolGroup},
}


def tools_list(flags: list[str]) -> list[dict[str, Any]]:
    """The `tools` array of the server's tools/list answer for these flags, as it goes on the wire (what
    build_server lists: the exposed tools' MCP form, dumped by alias without absent fields)."""
    settings = parse_settings([*BASE, *flags], env={})
    listing = types.ListToolsResult(tools=[tool.to_mcp() for tool in exposed(ALL_TOOLS, settings)])
    tools: list[dict[str, Any]] = listing.model_dump(by_alias=True, exclude_none=True, mode="json")["tools"]
    return tools


def pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("config", sorted(CONFIGURATIONS))
def test_tools_list_matches_its_golden_snapshot(config: str) -> None:
    path = GOLDEN / f"tools-list-{config}.json"
    current = pretty(tools_list(CONFIGURATIONS[config]))
    if os.environ.get(UPDATE) == "1":
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(current)
    assert path.is_file(), (
        f"{path.name} is missing; create it with {UPDATE}=1 python -m pytest tests/unit/test_golden_tools_list.py"
    )
    assert path.read_text() == current, (
        f"tools/list for {config} ({' '.join(CONFIGURATIONS[config]) or 'no flags'}) differs from {path.name}; "
        f"if the change is deliberate, rewrite the snapshots with {UPDATE}=1 python -m pytest "
        "tests/unit/test_golden_tools_list.py and review their diff"
    )


def test_every_configuration_lists_something_and_the_default_lists_every_tool() -> None:
    assert len(tools_list([])) == len(ALL_TOOLS)
    read_only = {tool["name"] for tool in tools_list(["--read-only"])}
    assert read_only and all(tool.kind.value == "Read-only" for tool in ALL_TOOLS if tool.name in read_only)
    for flags in CONFIGURATIONS.values():
        assert tools_list(flags), flags
