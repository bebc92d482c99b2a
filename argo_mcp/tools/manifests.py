"""Manifests an agent passes to a tool: a JSON object, or YAML/JSON text of one or more documents.

YAML text is parsed with PyYAML's safe loader minus its timestamp rule, so `2026-01-01 10:00:00` stays the
string the author wrote (Kubernetes keeps it a string too) instead of becoming a datetime that would come back
re-spelled. Nothing else is touched: a block scalar's trailing newline, indentation inside a script and every
value reach Argo exactly as written.

PyYAML is imported on the first text manifest, not at start-up (listing tools never needs it).

YAML aliases (`*name`) cost nothing to parse but repeat their anchor's value wherever they appear once the
manifest is serialised for Argo: a 273-byte manifest of nested aliases became a 4.7 MB request, and each further
level multiplies that by ten. So the parsed documents are measured as they would be sent, by a walk that stops
at the limit (its cost is bounded by the limit, not by the expansion), and refused beyond it.
"""

from __future__ import annotations

import functools
from typing import Any

MAX_EXPANDED_BYTES = 4 * 2**20
"""What a manifest may weigh once its aliases are expanded: the largest request argo-mcp accepts (the MCP SDK's
4 MiB body limit); Kubernetes itself stores objects of at most 1.5 MiB."""


@functools.cache
def _manifest_loader() -> Any:
    """SafeLoader without the implicit timestamp resolver (timestamps stay strings)."""
    import yaml  # noqa: PLC0415 - see the module docstring

    class ManifestLoader(yaml.SafeLoader):
        pass

    ManifestLoader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return ManifestLoader


def manifest_documents(value: dict[str, Any] | str, *, what: str = "objects") -> list[dict[str, Any]]:
    """The mappings in `value` (one per YAML document); ValueError with a fix when it holds none or others."""
    if not isinstance(value, str):
        return [value]
    import yaml  # noqa: PLC0415 - see the module docstring

    try:
        parsed = [doc for doc in yaml.load_all(value, Loader=_manifest_loader()) if doc is not None]
    except yaml.YAMLError as exc:
        raise ValueError(f"not valid YAML or JSON: {exc}".splitlines()[0]) from None
    if _expanded_size_exceeds(parsed, MAX_EXPANDED_BYTES):
        raise ValueError(
            f"expands to more than {MAX_EXPANDED_BYTES // 2**20} MiB once its YAML aliases (*name) are resolved "
            "(Kubernetes stores objects up to 1.5 MiB); write repeated parts out once or split the manifest"
        )
    if not parsed or not all(isinstance(doc, dict) for doc in parsed):
        raise ValueError(
            f"must be {what} (mappings with apiVersion, kind, metadata, spec), one per YAML document"
        )
    return parsed


def single_manifest(value: dict[str, Any] | str, kind: str) -> dict[str, Any]:
    """Exactly one manifest (create and update act on one object per call)."""
    documents = manifest_documents(value, what=f"a {kind} object")
    if len(documents) != 1:
        raise ValueError(
            f"holds {len(documents)} YAML documents; pass one {kind} per call (lint_* tools check one too)"
        )
    return documents[0]


def _expanded_size_exceeds(value: Any, limit: int) -> bool:
    """Whether `value` serialised (every alias expanded) would exceed about `limit` bytes.

    An estimate that errs high: each scalar counts its text plus a few bytes of punctuation. The walk visits a
    value shared by many aliases once per reference, as serialising would, and stops as soon as the budget is
    spent, so it never does more than `limit`'s worth of work."""
    budget = limit
    stack = [value]
    while stack:
        item = stack.pop()
        budget -= 4
        if isinstance(item, dict):
            for key, child in item.items():
                budget -= len(key) if isinstance(key, str) else 8
                stack.append(child)
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            budget -= len(item)
        else:
            budget -= 8
        if budget < 0:
            return True
    return False
