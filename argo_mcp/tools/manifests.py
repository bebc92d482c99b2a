"""Manifests an agent passes to a tool: a JSON object, or YAML/JSON text of one or more documents.

YAML text is parsed with PyYAML's safe loader minus its timestamp rule, so `2026-01-01 10:00:00` stays the
string the author wrote (Kubernetes keeps it a string too) instead of becoming a datetime that would come back
re-spelled. Nothing else is touched: a block scalar's trailing newline, indentation inside a script and every
value reach Argo exactly as written.

PyYAML is imported on the first text manifest, not at start-up (listing tools never needs it).
"""

from __future__ import annotations

import functools
from typing import Any


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
