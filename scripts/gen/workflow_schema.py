"""The Workflow spec's JSON schema an agent reads as a resource (argo://schemas/workflow-spec), per Argo line.

Made from the pinned swagger.json of each Argo version (tests/data), so the schema is Argo's own: the
WorkflowSpec definition and every Argo definition it reaches. Trimmed to what an author needs and a context
window affords: Kubernetes' own types (Container, Volume, Affinity ...) become a one-line stub naming the type
(a model knows them, and they are most of the bytes), descriptions are kept (first sentence) only on the
definitions an author writes every day (DESCRIBED), and status-only definitions never appear (WorkflowSpec
does not reach them). From the whole swagger's definitions (~480 KB) that leaves ~50 KB, ~12k tokens
(cl100k) per line. Committed under
argo_mcp/data/ so the server needs neither the swagger files nor Go; `./dev gen` remakes them.
"""

from __future__ import annotations

import json
import re
from typing import Any

from scripts.gen.argo_swagger import ROOT, pinned_file, pinned_versions

DATA = ROOT / "argo_mcp" / "data"
ROOT_DEFINITION = "io.argoproj.workflow.v1alpha1.WorkflowSpec"
ARGO_PREFIX = "io.argoproj.workflow.v1alpha1."
DESCRIBED = frozenset(
    ARGO_PREFIX + name
    for name in (
        "WorkflowSpec", "Template", "DAGTask", "WorkflowStep", "Inputs", "Outputs", "Parameter", "Arguments",
        "Synchronization", "Memoize", "RetryStrategy", "ResourceTemplate", "HTTP", "SuspendTemplate",
    )
)  # fmt: skip
"""The definitions whose descriptions are kept (first sentence): the ones an author writes every day. The
others' field names say enough, and their descriptions would double the schema."""
_FIRST_SENTENCE = re.compile(r"^(.+?[.!?])(\s|$)", re.S)


def line_of(version: str) -> str:
    """`v4.0.7` -> `v4.0`: one schema per release line, from the newest pinned patch of it."""
    major, minor = version.removeprefix("v").split(".")[:2]
    return f"v{major}.{minor}"


def schema_file(line: str) -> str:
    return f"argo_mcp/data/workflow-spec-{line}.json"


def lines() -> dict[str, str]:
    """Each pinned line and the pinned version its schema is made from (the newest patch of the line)."""
    chosen: dict[str, str] = {}
    for version in pinned_versions():
        line = line_of(version)
        current = chosen.get(line)
        key = tuple(int(p) for p in version.removeprefix("v").split(".")[:3])
        if current is None or key > tuple(int(p) for p in current.removeprefix("v").split(".")[:3]):
            chosen[line] = version
    return dict(sorted(chosen.items()))


def _short(text: str) -> str:
    found = _FIRST_SENTENCE.match(text.strip())
    sentence = (found[1] if found else text.strip()).replace("\n", " ")
    return sentence if len(sentence) <= 160 else sentence[:157] + "..."


def _trim(node: Any, described: bool) -> Any:
    """The node with `#/definitions/x` refs made local (`#/$defs/x`), descriptions cut to their first sentence
    (or left out), no vendor extensions."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key.startswith("x-") or (key == "description" and not described):
                continue
            if key == "$ref" and isinstance(value, str):
                out[key] = value.replace("#/definitions/", "#/$defs/")
            elif key == "description" and isinstance(value, str):
                out[key] = _short(value)
            else:
                out[key] = _trim(value, described)
        return out
    if isinstance(node, list):
        return [_trim(item, described) for item in node]
    return node


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/definitions/"):
                found.add(ref.removeprefix("#/definitions/"))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def workflow_spec_schema(version: str) -> dict[str, Any]:
    definitions: dict[str, Any] = json.loads(pinned_file(version).read_text())["definitions"]
    kept: dict[str, Any] = {}
    todo = [ROOT_DEFINITION]
    while todo:
        name = todo.pop()
        if name in kept:
            continue
        if not name.startswith(ARGO_PREFIX):
            kept[name] = {"type": "object", "description": f"Kubernetes {name.rsplit('.', 1)[-1]}."}
            continue
        kept[name] = _trim(definitions[name], name in DESCRIBED)
        todo.extend(sorted(_refs(definitions[name]) - kept.keys()))
    return {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "title": f"Argo Workflows {line_of(version)} WorkflowSpec (from {version}'s swagger.json, trimmed)",
        "$ref": f"#/$defs/{ROOT_DEFINITION}",
        "$defs": dict(sorted(kept.items())),
    }


def schema_text(version: str) -> str:
    return json.dumps(workflow_spec_schema(version), separators=(",", ":"), sort_keys=False) + "\n"
