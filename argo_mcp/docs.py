"""The README's generated tables, so they cannot drift: the tool reference from the registry, the command-line
table from the settings table. `python -m argo_mcp.docs` rewrites both between their markers; the unit tests
only compare and name this command."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from argo_mcp.config_table import flag_table
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
    {
        "wait_for_workflow",
        "get_workflow_graph",
        "get_workflow_node",
        "diagnose_workflow",
        "convert_manifest",
        "create_workflow",
    }
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


COMMAND = "python -m argo_mcp.docs"
README = Path(__file__).resolve().parents[1] / "README.md"
# Each generated section: its start marker, its end marker, and what goes between them.
SECTIONS_IN_README = (
    (f"<!-- tools:start ({COMMAND}) -->\n", "<!-- tools:end -->", tool_reference),
    (f"<!-- flags:start ({COMMAND}) -->\n", "<!-- flags:end -->", flag_table),
)


def embedded(readme: str, start: str, end: str) -> str:
    """The text between two markers; a clear error when a marker is gone (the README was edited by hand)."""
    if start not in readme or end not in readme:
        raise ValueError(f"README.md lost its generated-section markers {start.strip()} ... {end}")
    return readme.split(start, 1)[1].split(end, 1)[0]


def regenerate(readme: str) -> str:
    """The README with every generated section replaced by what the code says today."""
    for start, end, generate in SECTIONS_IN_README:
        old = embedded(readme, start, end)
        readme = readme.replace(start + old + end, start + generate() + "\n" + end, 1)
    return readme


def main() -> None:
    text = README.read_text()
    new = regenerate(text)
    if new != text:
        README.write_text(new)
    print(f"{README.name}: {'rewritten' if new != text else 'up to date'}")


if __name__ == "__main__":
    main()
