"""The README's tool reference, generated from the registry so it cannot drift (`python -m argo_mcp.docs`)."""

from __future__ import annotations

from typing import Any

from argo_mcp.settings import ToolGroup
from argo_mcp.tools import ALL_TOOLS
from argo_mcp.tools.registry import Tool, ToolKind

SECTIONS = (
    "Info",
    "Workflow read",
    "Workflow lifecycle",
    "Workflow destructive",
    "Artifacts",
    "Archived workflow read",
    "Archived workflow mutating",
    "Event sources",
    "Sensors",
    "Workflow templates",
    "Cluster workflow templates",
    "Cron workflows",
    "Beyond the reference",
)
# Tools the reference does not have: its contract test checks the other 38 exactly.
BEYOND_THE_REFERENCE = frozenset(
    {"wait_for_workflow", "get_workflow_graph", "get_workflow_node", "diagnose_workflow"}
    | {tool.name for tool in ALL_TOOLS if tool.group in (ToolGroup.TEMPLATES, ToolGroup.CRON)}
)


def section_of(tool: Tool[Any]) -> str:
    """The reference's grouping of tools into tables, then the tables of the tools beyond it."""
    if tool.group is ToolGroup.TEMPLATES:
        return "Cluster workflow templates" if "cluster" in tool.name else "Workflow templates"
    if tool.group is ToolGroup.CRON:
        return "Cron workflows"
    if tool.name in BEYOND_THE_REFERENCE:
        return "Beyond the reference"
    if tool.group is ToolGroup.INFO:
        return "Info"
    if tool.group is ToolGroup.WORKFLOWS:
        if tool.kind is ToolKind.DESTRUCTIVE:
            return "Workflow destructive"
        if tool.kind is ToolKind.READ_ONLY and tool.name.startswith(("list_", "get_")):
            return "Workflow read"
        return "Workflow lifecycle"
    if tool.group is ToolGroup.ARTIFACTS:
        return "Artifacts"
    if tool.group is ToolGroup.ARCHIVE:
        return "Archived workflow read" if tool.kind is ToolKind.READ_ONLY else "Archived workflow mutating"
    return "Event sources" if "event_source" in tool.name else "Sensors"


def tool_reference() -> str:
    lines: list[str] = []
    for section in SECTIONS:
        tools = [t for t in ALL_TOOLS if section_of(t) == section]
        lines += [
            f"#### {section}",
            "",
            "| Tool | Description | Kind | Toolset |",
            "| --- | --- | --- | --- |",
        ]
        lines += [f"| `{t.name}` | {t.description} | {t.kind.value} | {t.group.value} |" for t in tools]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(tool_reference(), end="")
