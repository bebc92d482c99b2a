"""Every tool's input schema, fuzzed: no input makes argo-mcp fail internally, none that breaks the schema it
advertises reaches Argo, and every request that does reach Argo has a well-formed path.

Arguments come from each tool's own `tools/list` schema (hypothesis-jsonschema), then mutated (unknown keys,
dropped required fields, hand-made nasty values in each field: huge strings, NULs, unicode, dot segments, deep
nesting, wrong types). They run through the registry in-process against the chaos stand-in, which answers
plausibly and records every raw request path. `ARGO_MCP_FUZZ_PROFILE=soak` (in `./dev soak`) runs many more.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st
from structlog.testing import capture_logs

from argo_mcp.argo.client import ArgoClient
from argo_mcp.redaction import remember_secret
from argo_mcp.settings import ArgoSettings, AuthMode, Settings
from argo_mcp.tools import ALL_TOOLS
from argo_mcp.tools.registry import Tool, run_tool
from tests.support.chaos_argo import ChaosArgo, Mode, path_problem
from tests.support.fuzz import NASTY, schema_inputs
from tests.support.processes import text_of

ARGO_TOKEN = "fuzz-planted-argo-token-5e0c71d2"
INTERNAL = ("failed unexpectedly", "Traceback")


@dataclass
class Rig:
    loop: asyncio.AbstractEventLoop
    chaos: ChaosArgo
    argo: ArgoClient
    settings: Settings

    def call(
        self, tool: Tool[Any], arguments: Any
    ) -> tuple[bool, str, list[str], list[MutableMapping[str, Any]]]:
        """(is_error, text, raw paths Argo received, log events) of one call."""
        before = len(self.chaos.requests)
        with capture_logs() as events:
            result = self.loop.run_until_complete(
                run_tool(tool, arguments, argo=self.argo, settings=self.settings)
            )
        paths = [seen.raw_path for seen in self.chaos.requests[before:]]
        return bool(result.is_error), text_of(result), paths, events


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    loop = asyncio.new_event_loop()
    chaos = ChaosArgo(mode=Mode.OK)
    url = loop.run_until_complete(chaos.start())
    argo_settings = ArgoSettings(
        server_url=url, auth_mode=AuthMode.BEARER, token=ARGO_TOKEN, request_timeout=5, connect_timeout=2
    )
    remember_secret(ARGO_TOKEN)
    settings = Settings(argo=argo_settings, artifact_dir=tmp_path_factory.mktemp("fuzz-artifacts"))
    argo = ArgoClient(argo_settings)
    try:
        yield Rig(loop, chaos, argo, settings)
    finally:
        loop.run_until_complete(argo.close())
        loop.run_until_complete(chaos.stop())
        loop.close()


def check_answer(
    tool: Tool[Any], arguments: Any, outcome: tuple[bool, str, list[str], list[MutableMapping[str, Any]]]
) -> None:
    is_error, text, paths, events = outcome
    shown = _show(arguments)
    for marker in INTERNAL:
        assert marker not in text, f"{tool.name}({shown}) -> {text}"
    assert not [e for e in events if e.get("event") == "tool_failed_unexpectedly"], f"{tool.name}({shown})"
    assert ARGO_TOKEN not in text
    if is_error and text.startswith("Invalid arguments"):
        assert not paths, f"{tool.name}({shown}) was refused but Argo received {paths}"
        assert f"Invalid arguments for {tool.name}: '" in text or "is required" in text, text
    for path in paths:
        assert path_problem(path) is None, f"{tool.name}({shown}): {path_problem(path)}"


def _show(arguments: Any) -> str:
    try:
        return json.dumps(arguments, default=repr)[:300]
    except (RecursionError, ValueError):
        return "<arguments too deep or large to show>"


def breaks_schema(tool: Tool[Any], arguments: Any) -> bool:
    """Whether the arguments break the tool's advertised schema. A null for an optional field counts as
    omitted: the input models read JSON null as "use the default", which is more lenient than the schema."""
    schema = tool.input_schema()
    required = set(schema.get("required", []))
    given = {key: value for key, value in arguments.items() if value is not None or key in required}
    try:
        jsonschema.Draft202012Validator(schema).validate(given)
    except (jsonschema.ValidationError, ValueError, RecursionError):
        # RecursionError: only the 3,000-level value, which no field's schema allows at that depth.
        return True
    return False


_STRATEGIES: dict[str, st.SearchStrategy[dict[str, Any]]] = {}


def strategy(tool: Tool[Any]) -> st.SearchStrategy[dict[str, Any]]:
    if tool.name not in _STRATEGIES:
        _STRATEGIES[tool.name] = schema_inputs(tool.input_schema())
    return _STRATEGIES[tool.name]


TOOLS = sorted(ALL_TOOLS, key=lambda tool: tool.name)
IDS = [tool.name for tool in TOOLS]


@pytest.mark.parametrize("tool", TOOLS, ids=IDS)
@given(data=st.data())
def test_inputs_that_follow_the_schema_never_fail_internally(
    rig: Rig, tool: Tool[Any], data: st.DataObject
) -> None:
    arguments = data.draw(strategy(tool), label="arguments")
    check_answer(tool, arguments, rig.call(tool, arguments))


@pytest.mark.parametrize("tool", TOOLS, ids=IDS)
@given(data=st.data())
def test_inputs_that_break_the_schema_are_refused_before_argo(
    rig: Rig, tool: Tool[Any], data: st.DataObject
) -> None:
    arguments = dict(data.draw(strategy(tool), label="valid"))
    properties = list(tool.input_schema()["properties"])
    required = list(tool.input_schema().get("required", []))
    how = data.draw(st.sampled_from(["unknown-key", "wrong-value", "drop-required"]), label="mutation")
    if how == "unknown-key":
        arguments[data.draw(st.text(min_size=1, max_size=20).filter(lambda k: k not in properties))] = 1
    elif how == "drop-required" and required:
        del arguments[data.draw(st.sampled_from(required))]
    elif properties:
        name = data.draw(st.sampled_from(properties), label="field")
        # Drawn by name: hypothesis would pretty-print a 3,000-level value past the recursion limit.
        arguments[name] = dict(NASTY)[
            data.draw(st.sampled_from([label for label, _ in NASTY]), label="value")
        ]
    outcome = rig.call(tool, arguments)
    check_answer(tool, arguments, outcome)
    if breaks_schema(tool, arguments):
        is_error, text, paths, _ = outcome
        assert is_error and text.startswith(f"Invalid arguments for {tool.name}"), (how, text[:300])
        assert not paths


@pytest.mark.parametrize("tool", TOOLS, ids=IDS)
def test_hand_made_nasty_values_in_every_field(rig: Rig, tool: Tool[Any]) -> None:
    """Each nasty value in each field, the other fields valid: a clean answer every time."""
    base = _simplest(tool)
    refused = 0
    for name in tool.input_schema()["properties"]:
        for label, value in NASTY:
            arguments = {**base, name: value}
            outcome = rig.call(tool, arguments)
            check_answer(tool, arguments, outcome)
            if breaks_schema(tool, arguments):
                refused += 1
                # The field is named among the problems (the base example may have others: the schemas are laxer
                # than the models), except nesting too deep to parse, refused as a whole ('arguments').
                text = outcome[1]
                assert outcome[0] and text.startswith(f"Invalid arguments for {tool.name}: "), (
                    label,
                    text[:300],
                )
                assert f": '{name}" in text or f"; '{name}" in text or ": 'arguments'" in text, (
                    label,
                    outcome[1][:300],
                )
                assert not outcome[2], (name, label)
    assert refused > 0 or not tool.input_schema()["properties"]


def _simplest(tool: Tool[Any]) -> dict[str, Any]:
    """A small valid argument set: the first (simplest) example hypothesis draws from the schema."""
    found: list[dict[str, Any]] = []

    @given(strategy(tool))
    def grab(arguments: dict[str, Any]) -> None:
        if not found:
            found.append(arguments)

    grab()
    return found[0]


def test_the_stand_in_records_and_checks_paths(rig: Rig, tmp_path: Path) -> None:
    """The checks above can fail: a dot segment and a foreign path are caught, a good path passes."""
    assert path_problem("/api/v1/workflows/argo/wf/log") is None
    assert path_problem("/api/v1/workflows/argo/%2E%2E/log") is not None
    assert path_problem("/api/v1/workflows/argo/log/extra/x/y") is not None
    tool = next(tool for tool in TOOLS if tool.name == "get_workflow")
    is_error, text, paths, _ = rig.call(tool, {"name": "hello", "namespace": "argo"})
    assert not is_error, text
    assert paths and paths[0].startswith("/api/v1/workflows/argo/hello")


def test_what_the_fuzz_found_is_refused_as_the_callers_input(rig: Rig) -> None:
    """Two findings: a >64-bit integer for a string field made the refusal itself fail (orjson cannot write it;
    the caller read "could not summarise Argo's answer"), and arguments nested thousands of levels deep were
    answered "Argo's answer is nested too deeply". Both are the caller's input, refused before Argo."""
    tool = next(tool for tool in TOOLS if tool.name == "get_workflow")
    deep: Any = "x"
    for _ in range(3000):
        deep = {"a": [deep]}
    for value, expected in [
        (10**400, "'namespace': Input should be a valid string"),
        (deep, "nested too deeply"),
    ]:
        is_error, text, paths, events = rig.call(tool, {"name": "wf", "namespace": value})
        assert is_error and text.startswith("Invalid arguments for get_workflow: "), text
        assert expected in text and "Argo" not in text.split(":", 1)[1], text
        assert not paths and not [e for e in events if e.get("log_level") == "error"]
