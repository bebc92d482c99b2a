"""Every tool's input schema, fuzzed: no input makes argo-mcp fail internally, none that breaks the schema it
advertises reaches Argo, and every request that does reach Argo has a well-formed path.

Arguments come from each tool's own `tools/list` schema (hypothesis-jsonschema), then mutated (unknown keys,
dropped required fields, hand-made nasty values in each field: huge strings, NULs, unicode, dot segments, deep
nesting, wrong types). They run through the registry in-process against the chaos stand-in, which answers
plausibly and records every raw request path. `ARGO_MCP_FUZZ_PROFILE=soak` (in `./dev soak`) runs many more.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import io
import json
import logging
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import structlog
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from argo_mcp.argo.client import ArgoClient
from argo_mcp.calls import run_tool
from argo_mcp.logging import stdlib_formatter, structlog_processors
from argo_mcp.redaction import remember_secret, request_secret
from argo_mcp.settings import ArgoSettings, AuthMode, Settings
from argo_mcp.tools import ALL_TOOLS
from argo_mcp.tools.registry import Tool
from tests.support.chaos_argo import ChaosArgo, Mode, path_problem
from tests.support.fuzz import NASTY, schema_inputs
from tests.support.processes import text_of

ARGO_TOKEN = "fuzz-planted-argo-token-5e0c71d2"
# A caller's bearer token, as the HTTP transport's inbound auth holds it during a request (request_secret). Shaped
# as a DNS label, so planted as a name, namespace or selector value it passes validation and reaches Argo.
CALLER_TOKEN = "caller-bearer-token-9b41e6f07a"
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

    def call_as_caller(self, tool: Tool[Any], arguments: Any, mode: Mode) -> tuple[Any, list[str], list[str]]:
        """(result, rendered log lines, raw paths Argo received) of one call made while CALLER_TOKEN is the
        request's bearer token, against the stand-in in `mode`; the log lines are what argo-mcp would write to
        stderr (its real processor chain, its stdlib formatter), not the events before redaction."""
        before = len(self.chaos.requests)
        self.chaos.mode = mode
        try:
            with rendered_logs() as lines, request_secret(CALLER_TOKEN):
                result = self.loop.run_until_complete(
                    run_tool(tool, arguments, argo=self.argo, settings=self.settings)
                )
        finally:
            self.chaos.mode = Mode.OK
        return result, lines, [seen.raw_path for seen in self.chaos.requests[before:]]


STAND_IN_LOGGERS = ("aiohttp.access", "aiohttp.server", "aiohttp.web")


@contextlib.contextmanager
def rendered_logs() -> Iterator[list[str]]:
    """The JSON lines argo-mcp's logging setup (configure_logging) would write to stderr, at debug level."""
    buffer = io.StringIO()
    previous = structlog.get_config()
    structlog.configure(
        processors=structlog_processors(),
        wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG),
        logger_factory=structlog.PrintLoggerFactory(file=buffer),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(stdlib_formatter())
    # The stand-in's own aiohttp server logs (its access log quotes the request path) are not argo-mcp's.
    handler.addFilter(lambda record: not record.name.startswith(STAND_IN_LOGGERS))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    lines: list[str] = []
    try:
        yield lines
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        structlog.configure(**previous)
        lines.extend(buffer.getvalue().splitlines())


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
    try:
        sent = json.dumps(arguments, default=str)
    except (RecursionError, ValueError):  # nested past the JSON encoder's depth: the nasty-values case
        sent = ""
    for marker in INTERNAL:
        # An answer may quote the caller's own input (an unknown argument hypothesis named "Traceback"); the
        # tool_failed_unexpectedly check below still catches an internal error then.
        if marker not in sent:
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


_SCHEMAS: dict[str, tuple[dict[str, Any], jsonschema.Draft202012Validator]] = {}


def schema_of(tool: Tool[Any]) -> dict[str, Any]:
    """The tool's advertised input schema, built once per tool: pydantic regenerates it on every call, which
    cost most of this module's time when each of the thousands of calls below asked again."""
    return _checked_schema(tool)[0]


def _checked_schema(tool: Tool[Any]) -> tuple[dict[str, Any], jsonschema.Draft202012Validator]:
    if tool.name not in _SCHEMAS:
        schema = tool.input_schema()
        _SCHEMAS[tool.name] = (schema, jsonschema.Draft202012Validator(schema))
    return _SCHEMAS[tool.name]


def breaks_schema(tool: Tool[Any], arguments: Any) -> bool:
    """Whether the arguments break the tool's advertised schema. A null for an optional field counts as
    omitted: the input models read JSON null as "use the default", which is more lenient than the schema."""
    schema, validator = _checked_schema(tool)
    required = set(schema.get("required", []))
    given = {key: value for key, value in arguments.items() if value is not None or key in required}
    try:
        validator.validate(given)
    except (jsonschema.ValidationError, ValueError, RecursionError):
        # RecursionError: only the 3,000-level value, which no field's schema allows at that depth.
        return True
    return False


_STRATEGIES: dict[str, st.SearchStrategy[dict[str, Any]]] = {}


def strategy(tool: Tool[Any]) -> st.SearchStrategy[dict[str, Any]]:
    if tool.name not in _STRATEGIES:
        _STRATEGIES[tool.name] = schema_inputs(copy.deepcopy(schema_of(tool)))
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
    properties = list(schema_of(tool)["properties"])
    required = list(schema_of(tool).get("required", []))
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
    for name in schema_of(tool)["properties"]:
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
    assert refused > 0 or not schema_of(tool)["properties"]


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


# ---- planted secrets: never in a log line, never in an answer --------------------------------------------------
# The forms a caller's token takes in argument values: bare (a valid name, namespace, node id...), in a label
# selector, and as a pasted header value (invalid for most fields, so it is echoed by the refusal).
PLANTED_FORMS = [CALLER_TOKEN, f"app={CALLER_TOKEN}", f"Bearer {CALLER_TOKEN}"]
# Fast failures only (no SLOW/ENDLESS/HUGE): NOT_FOUND, 5XX and MALFORMED answers echo argo-mcp's own
# Authorization header (its Argo token) in their body, as a careless proxy would.
SECRET_MODES = [Mode.OK, Mode.NOT_FOUND, Mode.ERROR_5XX, Mode.MALFORMED, Mode.RESET]
# A leak of part of a token is a leak too: the random tails must not show up either.
LEAKS = (ARGO_TOKEN, CALLER_TOKEN, ARGO_TOKEN[-8:], CALLER_TOKEN[-10:])


ANSWERS_WITH_THE_INPUT = frozenset({"convert_manifest"})
"""Tools whose answer is the caller's input transformed in argo-mcp, with no Argo request."""


def _accepts(schema: dict[str, Any], kind: str) -> bool:
    types = [schema.get("type")] + [option.get("type") for option in schema.get("anyOf", [])]
    return kind in types or any(isinstance(t, list) and kind in t for t in types)


def _plant(tool: Tool[Any], data: st.DataObject) -> dict[str, Any]:
    """Valid arguments with CALLER_TOKEN planted in some of the string fields (and inside object fields)."""
    arguments = dict(data.draw(strategy(tool), label="valid"))
    properties: dict[str, Any] = schema_of(tool)["properties"]
    strings = sorted(name for name, schema in properties.items() if _accepts(schema, "string"))
    objects = sorted(name for name, schema in properties.items() if _accepts(schema, "object"))
    if not strings and not objects:  # a tool without arguments: the token as an unknown argument
        arguments["token"] = data.draw(st.sampled_from(PLANTED_FORMS), label="form")
        return arguments
    for name in (
        data.draw(st.lists(st.sampled_from(strings), unique=True), label="strings") if strings else []
    ):
        arguments[name] = data.draw(st.sampled_from(PLANTED_FORMS), label=name)
    for name in (
        data.draw(st.lists(st.sampled_from(objects), unique=True), label="objects") if objects else []
    ):
        value = arguments.get(name)
        planted = {"planted": CALLER_TOKEN, "metadata": {"name": CALLER_TOKEN}}
        arguments[name] = {**value, **planted} if isinstance(value, dict) else planted
    if all(CALLER_TOKEN not in json.dumps(arguments.get(name), default=str) for name in [*strings, *objects]):
        arguments[(strings or objects)[0]] = CALLER_TOKEN if strings else {"planted": CALLER_TOKEN}
    return arguments


def _answer_text(result: Any) -> str:
    """Everything an answer carries: text blocks, embedded resources (decoded blobs too), structured content."""
    parts = [result.model_dump_json()]
    for block in result.content:
        blob = getattr(getattr(block, "resource", None), "blob", None)
        if isinstance(blob, str):
            parts.append(base64.b64decode(blob).decode("utf-8", errors="replace"))
    return "\n".join(parts)


@pytest.mark.parametrize("tool", TOOLS, ids=IDS)
@hypothesis_settings(max_examples=max(3, hypothesis_settings().max_examples // 2))  # unit: 3, soak: 75
@given(data=st.data())
def test_planted_tokens_never_reach_a_rendered_log_line_or_an_answer(
    rig: Rig, tool: Tool[Any], data: st.DataObject
) -> None:
    """argo-mcp's Argo token (sent to Argo, echoed back in Argo's error bodies) and the caller's bearer token
    (planted in argument values while it is the request's token) appear in no log line argo-mcp would write and
    in no answer: not in refusals that quote the input, not in Argo's errors, not in the tool_call/audit lines."""
    arguments = _plant(tool, data)
    mode = data.draw(st.sampled_from(SECRET_MODES), label="mode")
    result, lines, paths = rig.call_as_caller(tool, arguments, mode)
    shown = f"{tool.name}({_show(arguments)}) against {mode}"
    answer = _answer_text(result)
    events = [json.loads(line) for line in lines]
    calls = [event for event in events if event.get("event") == "tool_call"]
    assert len(calls) == 1 and calls[0]["tool"] == tool.name, f"{shown}: the log was not captured: {lines}"
    # A successful answer from a working Argo may quote the caller's own input back (the workflow it asked for,
    # named like the token): that is Argo's data for the caller who sent it, not a leak. Everything else may not.
    # convert_manifest sends nothing to Argo: its answer is the caller's own manifest rewritten, whatever Argo does.
    echo_allowed = (mode is Mode.OK or tool.name in ANSWERS_WITH_THE_INPUT) and not result.is_error
    for leak in (ARGO_TOKEN, ARGO_TOKEN[-8:]) if echo_allowed else LEAKS:
        assert leak not in answer, f"{shown}: answer shows {leak!r}: {answer[:600]}"
    for line in lines:
        for leak in LEAKS:
            assert leak not in line, f"{shown}: log line shows {leak!r}: {line[:600]}"
    for marker in INTERNAL:
        assert marker not in text_of(result), f"{shown} -> {text_of(result)[:600]}"
    assert not [e for e in events if e.get("event") == "tool_failed_unexpectedly"], shown
    for path in paths:
        assert path_problem(path) is None, f"{shown}: {path_problem(path)}"
