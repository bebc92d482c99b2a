"""Inputs for fuzzing tool calls: schema-driven (hypothesis-jsonschema) and hand-made nasty values.

Two hypothesis profiles: `unit` (the default, few examples per tool so the unit suite stays fast) and `soak`
(many more, for `./dev soak`); choose with ARGO_MCP_FUZZ_PROFILE. Both are derandomized and keep no example
database, so a run is reproducible and writes nothing into the checkout.
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

for _profile, _examples in (("unit", 6), ("soak", 150)):
    settings.register_profile(
        _profile,
        max_examples=_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
settings.load_profile(os.environ.get("ARGO_MCP_FUZZ_PROFILE", "unit"))

_LABEL = r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"
CUSTOM_FORMATS = {
    "dns-1123-label": st.from_regex(_LABEL, fullmatch=True),
    "dns-1123-subdomain": st.from_regex(rf"{_LABEL}(\.{_LABEL}){{0,2}}", fullmatch=True),
}


def schema_inputs(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Arguments that follow a tool's advertised input schema."""
    return from_schema(schema, custom_formats=CUSTOM_FORMATS).map(_as_object)


def _as_object(value: Any) -> dict[str, Any]:
    assert isinstance(value, dict), value  # an input schema is an object schema
    return value


def _deep(levels: int) -> Any:
    value: Any = "x"
    for _ in range(levels):
        value = {"a": [value]}
    return value


def _deep_list(levels: int) -> Any:
    value: Any = []
    for _ in range(levels):
        value = [value]
    return value


# Values an attacker (or a confused agent) sends for a field; each is wrong for most fields, and for the fields
# it happens to suit the tool must still answer cleanly.
NASTY: list[tuple[str, Any]] = [
    ("huge", "a" * 1_000_000),
    ("huge-dns", "a" * 70_000),
    ("nul", "wf\x00name"),
    ("only-nul", "\x00"),
    ("control", "wf\r\nX-Injected: 1"),
    ("unicode", "wf-\u202e\u0430\U0001f4a5\u200b"),
    ("surrogate", "\ud800"),
    ("empty", ""),
    ("dot", "."),
    ("dotdot", ".."),
    ("traversal", "../../etc/passwd"),
    ("encoded-traversal", "%2e%2e%2f"),
    ("slash", "a/b"),
    ("backslash", "a\\b"),
    ("query", "wf?x=1#y"),
    ("spaces", "   "),
    ("deep", _deep(3000)),
    ("deep-list", _deep_list(200)),
    ("int", 7),
    ("bigint", 10**400),
    ("negative", -1),
    ("float", 1e308),
    ("bool", True),
    ("null", None),
    ("list", ["a", "b"]),
    ("dict", {"a": "b"}),
    ("bool-string", "yes"),
    ("number-string", "0"),
]
