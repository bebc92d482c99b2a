"""The values table of the chart README, from values.yaml (helm-docs style ``# --`` comments); `./dev gen`.

Each key with a ``# -- description`` comment above it (continued on the following ``#`` lines) becomes a row:
its dotted path, its type, its default as JSON and the description. The unit suite fails when the README
differs from this output, so the table never lags behind values.yaml.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

CHART = Path(__file__).resolve().parents[2] / "deploy" / "helm" / "argo-mcp"
START = "<!-- values:start (./dev gen) -->"
END = "<!-- values:end -->"
_KEY = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z0-9_.-]+):(?P<rest>.*)$")


@dataclass(frozen=True)
class Row:
    path: str
    type: str
    default: str
    description: str


def _type(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "bool", int: "int", float: "float", str: "string", list: "list", dict: "object"}.get(
        type(value), type(value).__name__
    )


def _lookup(values: Any, path: list[str]) -> Any:
    for part in path:
        values = values[part]
    return values


def rows(values_text: str) -> list[Row]:
    """The documented keys of values.yaml, in file order."""
    values = yaml.safe_load(values_text)
    out: list[Row] = []
    stack: list[tuple[int, str]] = []
    pending: list[str] | None = None
    for line in values_text.splitlines():
        stripped = line.strip()
        if stripped.startswith("# --"):
            pending = [stripped.removeprefix("# --").strip()]
            continue
        if stripped.startswith("#"):
            if pending is not None:
                pending.append(stripped.removeprefix("#").strip())
            continue
        match = _KEY.match(line)
        if match is None:
            continue
        indent = len(match["indent"])
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, match["key"]))
        if pending is not None:
            path = [k for _, k in stack]
            value = _lookup(values, path)
            out.append(Row(".".join(path), _type(value), json.dumps(value), " ".join(pending)))
            pending = None
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def table(values_text: str) -> str:
    lines = ["| Key | Type | Default | Description |", "| --- | --- | --- | --- |"]
    for row in rows(values_text):
        lines.append(f"| `{row.path}` | {row.type} | `{_cell(row.default)}` | {_cell(row.description)} |")
    return "\n".join(lines)


def render_readme(readme: str, values_text: str) -> str:
    """The README with the text between the markers replaced by the current table."""
    head, _, rest = readme.partition(START)
    _, _, tail = rest.partition(END)
    if not rest:
        raise ValueError(f"README.md has no {START} marker")
    return f"{head}{START}\n{table(values_text)}\n{END}{tail}"


def chart_readme() -> str:
    """deploy/helm/argo-mcp/README.md with its values table regenerated."""
    return render_readme((CHART / "README.md").read_text(), (CHART / "values.yaml").read_text())
