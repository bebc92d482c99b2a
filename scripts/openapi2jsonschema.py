#!/usr/bin/env python3
"""Turn the kube-apiserver's OpenAPI v2 document into kubeconform's per-kind JSON schemas, offline.

    openapi2jsonschema.py SWAGGER_JSON OUT_DIR

Writes one standalone, strict schema per group/version/kind, named like the upstream kubernetes-json-schema
layout that kubeconform's `{{ .ResourceKind }}{{ .KindSuffix }}.json` template expects
(deployment-apps-v1.json, service-v1.json, role-rbac-v1.json, ...):

- standalone: the kind's definition at the top, every definition it reaches under `definitions` (refs
  rewritten to `#/definitions/...`; recursive types such as JSONSchemaProps stay references);
- strict: `additionalProperties: false` on every object that lists its properties (unless it keeps unknown
  fields), so a misspelt or misplaced field fails like the apiserver's strict field validation;
- Kubernetes' string formats as the apiserver decodes them: IntOrString accepts an integer or a string,
  Quantity a number or a string; other `format` hints are dropped (the apiserver does not validate them
  either).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

JSON = dict[str, Any]
REF_PREFIX = "#/definitions/"
INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"


def _convert(node: Any) -> Any:
    """Copy a schema node: drop descriptions and formats, make objects strict, rewrite special formats."""
    if isinstance(node, list):
        return [_convert(item) for item in node]
    if not isinstance(node, dict):
        return node
    if node.get("format") == "int-or-string":
        return {"oneOf": [{"type": "string"}, {"type": "integer"}]}
    out: JSON = {}
    for key, value in node.items():
        if key in ("description", "format"):
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: _convert(sub) for name, sub in value.items()}
        else:
            out[key] = _convert(value)
    if (
        "properties" in out
        and "additionalProperties" not in out
        and not out.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _refs(item, found)
    elif isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF_PREFIX):
            found.add(ref[len(REF_PREFIX) :])
        for value in node.values():
            _refs(value, found)


def _closure(name: str, definitions: dict[str, JSON]) -> set[str]:
    seen: set[str] = set()
    todo = [name]
    while todo:
        current = todo.pop()
        if current in seen or current not in definitions:
            continue
        seen.add(current)
        found: set[str] = set()
        _refs(definitions[current], found)
        todo.extend(found - seen)
    return seen


def file_name(group: str, version: str, kind: str) -> str:
    """kubeconform's `{{ .ResourceKind }}{{ .KindSuffix }}.json` for this group/version/kind."""
    suffix = (
        f"-{group.split('.', maxsplit=1)[0].lower()}-{version.lower()}" if group else f"-{version.lower()}"
    )
    return f"{kind.lower()}{suffix}.json"


def _preference(group: str) -> int:
    """Where two groups share a first label, the built-in (core or *.k8s.io) group's schema wins."""
    return 0 if group == "" or group.endswith(".k8s.io") or "." not in group else 1


def convert(spec: JSON, out_dir: Path) -> int:
    raw: dict[str, JSON] = spec["definitions"]
    definitions = {name: _convert(body) for name, body in raw.items()}
    definitions[INT_OR_STRING] = {"oneOf": [{"type": "string"}, {"type": "integer"}]}
    definitions[QUANTITY] = {"oneOf": [{"type": "string"}, {"type": "number"}]}
    out_dir.mkdir(parents=True, exist_ok=True)
    chosen: dict[str, tuple[int, str]] = {}
    for name, body in raw.items():
        for gvk in body.get("x-kubernetes-group-version-kind", []):
            group, version, kind = gvk.get("group", ""), gvk["version"], gvk["kind"]
            target = file_name(group, version, kind)
            rank = _preference(group)
            if target in chosen and chosen[target][0] <= rank:
                continue
            chosen[target] = (rank, name)
            schema: JSON = dict(definitions[name])
            schema["definitions"] = {
                dep: definitions[dep] for dep in sorted(_closure(name, definitions)) if dep != name
            }
            # References to the kind itself (rare) resolve through definitions too.
            schema["definitions"][name] = definitions[name]
            (out_dir / target).write_text(json.dumps(schema, separators=(",", ":"), sort_keys=True))
    return len(chosen)


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    spec = json.loads(Path(argv[1]).read_text())
    count = convert(spec, Path(argv[2]))
    print(f"openapi2jsonschema: wrote {count} schemas to {argv[2]}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
