"""Lean input schemas: what pydantic generates, minus what costs an agent tokens and tells it nothing.

Every `tools/list` is read by the model, so each schema byte is paid on every conversation. Pydantic spells an
optional field as `anyOf: [{...}, {"type": "null"}]` with `"default": null` and a generated `title` ("Label
Selector" for `labelSelector`); an argument that may be omitted needs none of that: it is simply not in
`required`. Nor does a keyword that only restates JSON Schema's own default: `"default": false` on a boolean
(an omitted flag is off), `"additionalProperties": true` on an open object. Patterns, formats, enums, bounds and
descriptions stay, because they are what lets a client or a model form a valid call.
"""

from __future__ import annotations

from typing import Any

_NULL = {"type": "null"}


def _without_null(options: list[Any]) -> list[Any]:
    return [option for option in options if option != _NULL]


def _says_nothing(key: str, value: Any, node: dict[str, Any]) -> bool:
    """A generated title, a `null` default, or a keyword restating JSON Schema's own default."""
    return (
        (key == "title" and isinstance(value, str))
        or (key == "default" and value is None)
        or (key == "default" and value is False and node.get("type") == "boolean")
        or (key == "additionalProperties" and value is True)
    )


def lean_schema(node: Any) -> Any:
    """A copy of a JSON schema without generated titles, `null` alternatives and `null` defaults."""
    if isinstance(node, list):
        return [lean_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    lean: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            # property names are data here, not schema keywords: keep every one, lean each schema
            lean[key] = {name: lean_schema(prop) for name, prop in value.items()}
        elif _says_nothing(key, value, node):
            continue
        else:
            lean[key] = lean_schema(value)
    options = lean.get("anyOf")
    if isinstance(options, list) and _NULL in options:
        remaining = _without_null(options)
        del lean["anyOf"]
        if len(remaining) == 1 and isinstance(remaining[0], dict):
            lean = {**remaining[0], **lean}
        elif remaining:
            lean["anyOf"] = remaining
    return lean
