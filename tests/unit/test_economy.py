"""Answers an agent can afford: get_workflow's summary, Argo's `fields` filter, one payload, lean schemas."""

from __future__ import annotations

import json
import re
from typing import Any

import mcp_types as types
import pytest

from argo_mcp.argo.client import _decode_object, has_long_digit_run
from argo_mcp.calls.render import render_output
from argo_mcp.cli import parse_settings
from argo_mcp.settings import ToolGroup
from argo_mcp.tools import ALL_TOOLS
from argo_mcp.tools.registry import TextOutput, exposed
from argo_mcp.tools.schema import lean_schema
from argo_mcp.tools.shaping import (
    WORKFLOW_DETAIL_FIELDS,
    _fnv32a,
    pod_name,
    workflow_detail,
)
from bench.tokens import count_tokens
from tests.support.fake_argo import FakeArgo, Workflow
from tests.support.processes import ServerProcess, http_client, payload, text_of

NAME = "etl-x1"


def _node(node_id: str, phase: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": node_id,
        "name": f"{NAME}.{node_id}",
        "displayName": node_id,
        "type": "Pod",
        "templateName": "work",
        "phase": phase,
        **extra,
    }


def _workflow() -> dict[str, Any]:
    wf = Workflow(NAME, phase="Failed").json()
    wf["spec"]["arguments"] = {
        "parameters": [{"name": "date", "value": "2026-11-20"}, {"name": "db-password", "value": "hunter2"}]
    }
    wf["status"].update(
        message="child 'step-b' failed",
        outputs={"parameters": [{"name": "rows", "value": "42"}], "artifacts": [{"name": "report"}]},
        nodes={
            NAME: {"id": NAME, "name": NAME, "displayName": NAME, "type": "DAG", "phase": "Failed"},
            "step-a": _node("step-a", "Succeeded"),
            "step-b": _node(
                "step-b",
                "Failed",
                message="Error (exit code 1): token=abc123secret",
                outputs={"exitCode": "1"},
            ),
            "step-c": _node("step-c", "Running"),
        },
    )
    return wf


def test_fnv32a_matches_argo() -> None:
    # the values Argo's UI tests pin for its pod-name hash (ui/src/shared/pod-name.test.ts)
    assert _fnv32a("hello") == 1335831723
    assert _fnv32a("world") == 933488787


def test_pod_names_follow_argo_v1_and_v2() -> None:
    node = _node("step-b", "Failed")
    assert pod_name(NAME, node) == f"{NAME}-work-{_fnv32a(f'{NAME}.step-b')}"
    assert pod_name(NAME, node, "v1") == "step-b"
    assert pod_name(NAME, {**node, "name": NAME}) == NAME
    assert pod_name(NAME, {**node, "templateName": None}) == "step-b"
    by_ref = {**node, "templateRef": {"name": "lib", "template": "shared"}}
    assert pod_name(NAME, by_ref).startswith(f"{NAME}-shared-")


def test_workflow_detail_is_what_an_agent_needs() -> None:
    detail = workflow_detail(_workflow())
    assert detail["name"] == NAME and detail["phase"] == "Failed"
    assert detail["parameters"] == {"date": "2026-11-20", "db-password": "[redacted]"}
    assert detail["outputs"] == {"parameters": {"rows": "42"}, "artifacts": ["report"]}
    assert detail["nodes"] == {"Failed": 2, "Succeeded": 1, "Running": 1}
    failed_pod = detail["failed"][0]
    assert failed_pod == {
        "id": "step-b",
        "name": "step-b",
        "type": "Pod",
        "phase": "Failed",
        "pod": pod_name(NAME, _node("step-b", "Failed")),
        "message": "Error (exit code 1): token=[redacted]",
        "exitCode": "1",
    }
    assert [n["id"] for n in detail["failed"]] == ["step-b", NAME], "pods come before group nodes"
    assert [n["id"] for n in detail["running"]] == ["step-c"]
    assert "spec" not in detail and "status" not in detail


async def test_get_workflow_answers_the_summary_and_asks_argo_for_less(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    argo.on("WorkflowService_GetWorkflow", _workflow())
    async with http_client(shared_server.url) as client:
        summary = await client.call_tool("get_workflow", {"name": NAME})
        full = await client.call_tool("get_workflow", {"name": NAME, "full": True})
    assert not summary.is_error, text_of(summary)
    assert argo.calls("WorkflowService_GetWorkflow")[0].q("fields") == WORKFLOW_DETAIL_FIELDS
    assert payload(summary)["failed"][0]["id"] == "step-b"
    assert argo.last("WorkflowService_GetWorkflow").q("fields") is None
    whole = payload(full)
    assert whole["spec"]["templates"][0]["name"] == "main"
    assert "managedFields" not in whole["metadata"]


def test_a_json_answer_is_sent_once() -> None:
    result = render_output({"name": "x", "phase": "Running", "note": "ü"})
    assert result.structured_content is None
    assert [block.type for block in result.content] == ["text"]
    assert result.content[0].text == '{"name":"x","phase":"Running","note":"ü"}'  # type: ignore[union-attr]
    logs = render_output(TextOutput(text="line\n", data={"truncated": False}))
    assert logs.structured_content == {"truncated": False}


def _walk(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, list):
        return [d for item in node for d in _walk(item)]
    if not isinstance(node, dict):
        return []
    found = [node]
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            found += [d for prop in value.values() for d in _walk(prop)]
        else:
            found += _walk(value)
    return found


@pytest.mark.parametrize("tool", ALL_TOOLS, ids=lambda t: t.name)
def test_input_schemas_are_lean(tool: Any) -> None:
    schema = tool.input_schema()
    for node in _walk(schema):
        assert {"type": "null"} not in node.get("anyOf", []), (tool.name, node)
        assert not isinstance(node.get("title"), str), (tool.name, node)
        assert "default" not in node or node["default"] is not None, (tool.name, node)
    assert schema["additionalProperties"] is False
    # the reference's descriptions are kept: leaning never drops a described property
    described = tool.input_model.model_json_schema(by_alias=True).get("properties", {})
    assert set(schema.get("properties", {})) == set(described)


def test_lean_schema_keeps_what_forms_a_valid_call() -> None:
    schema = {
        "title": "X",
        "properties": {
            "title": {"title": "Title", "type": "string"},
            "limit": {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "null"}], "default": None},
            "either": {"anyOf": [{"type": "object"}, {"type": "string"}, {"type": "null"}]},
        },
        "required": ["title"],
    }
    assert lean_schema(schema) == {
        "properties": {
            "title": {"type": "string"},
            "limit": {"type": "integer", "minimum": 1},
            "either": {"anyOf": [{"type": "object"}, {"type": "string"}]},
        },
        "required": ["title"],
    }


# Issue 12's goal for what every conversation pays before its first call: tools/list with all toolsets (the
# default `--toolsets`), counted as `python -m bench` counts it (cl100k_base over the JSON of the tools array).
# Raised by 144 (7,919 -> 8,063 measured) for convert_manifest and list_archived_workflows' name/nameFilter, and
# by 114 for create_workflow (issue 26), and by 28 for get_workflow_graph's format (issue 30).
TOOLS_LIST_BUDGET = 8_286


def test_tools_list_with_every_toolset_stays_within_its_token_budget() -> None:
    settings = parse_settings(["--argo-server-url", "http://argo:2746", "--argo-auth-mode", "none"], env={})
    assert settings.scope.toolsets == frozenset(ToolGroup), "the default is still every toolset"
    chosen = exposed(ALL_TOOLS, settings)
    assert len(chosen) == len(ALL_TOOLS)
    listing = types.ListToolsResult(tools=[tool.to_mcp() for tool in chosen])
    tools = listing.model_dump(by_alias=True, exclude_none=True, mode="json")["tools"]
    tokens = count_tokens(json.dumps(tools, separators=(",", ":")))
    assert tokens <= TOOLS_LIST_BUDGET, (
        f"tools/list is {tokens} tokens for {len(tools)} tools, over the {TOOLS_LIST_BUDGET} budget: "
        "shorten what is new, or leave out what restates a default"
    )


@pytest.mark.parametrize(
    ("body", "long"),
    [
        (b'{"n":12345678901234567890}', True),  # 20 digits: beyond what orjson reads exactly
        (b'{"n":1234567890123456789}', False),  # 19
        (b'{"s":"x12345678901234567890y"}', True),  # a digit string too (only the parser changes)
        (b'{"t":"2026-12-02T10:00:00Z","id":"1234567890","n":-9223372036854775808}', False),
        (b"12345678901234567890", True),  # at both ends of the body
        (("\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660" * 2).encode(), False),  # not ASCII
    ],
)
def test_a_long_digit_run_is_found_as_the_regular_expression_found_it(body: bytes, long: bool) -> None:
    assert has_long_digit_run(body) is long
    assert (re.search(rb"\d{20}", body) is not None) is long


def test_an_integer_beyond_64_bits_from_argo_stays_exact() -> None:
    big = 123456789012345678901234567890
    assert _decode_object(b'{"a":%d,"b":[1.5,"x"]}' % big, "get") == {"a": big, "b": [1.5, "x"]}
    assert _decode_object(b'{"a":-%d}' % big, "get") == {"a": -big}
