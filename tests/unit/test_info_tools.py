"""The three info tools end to end: MCP client → argo-mcp process → Argo stand-in."""

from __future__ import annotations

import pytest

from tests.support.fake_argo import FakeArgo
from tests.support.processes import ServerProcess, http_client, payload, text_of

VERSION = {
    "version": "v3.7.6",
    "buildDate": "2026-10-01T00:00:00Z",
    "gitCommit": "abc123",
    "gitTag": "v3.7.6",
    "gitTreeState": "clean",
    "goVersion": "go1.24.9",
    "compiler": "gc",
    "platform": "linux/amd64",
}


@pytest.mark.parametrize(
    ("tool", "operation", "path", "answer"),
    [
        (
            "get_argo_info",
            "InfoService_GetInfo",
            "/api/v1/info",
            {"managedNamespace": "argo", "navColor": "red"},
        ),
        ("get_argo_version", "InfoService_GetVersion", "/api/v1/version", VERSION),
        (
            "get_user_info",
            "InfoService_GetUserInfo",
            "/api/v1/userinfo",
            {"subject": "system:serviceaccount:argo:x"},
        ),
    ],
)
async def test_info_tool_calls_argo_and_returns_its_answer(
    argo: FakeArgo, shared_server: ServerProcess, tool: str, operation: str, path: str, answer: dict[str, str]
) -> None:
    argo.on(operation, answer)
    async with http_client(shared_server.url) as client:
        result = await client.call_tool(tool, {})
    assert not result.is_error, result.content
    assert payload(result) == answer
    assert result.structured_content is None, "a JSON answer is sent once, as text"
    request = argo.last(operation)
    assert (request.method, request.path) == ("GET", path)
    assert "Authorization" not in request.headers


async def test_tools_list_has_annotations_and_schemas(argo: FakeArgo, shared_server: ServerProcess) -> None:
    async with http_client(shared_server.url) as client:
        listing = await client.list_tools()
    tools = {t.name: t for t in listing.tools}
    info = tools["get_argo_version"]
    assert info.annotations is not None
    assert info.annotations.read_only_hint is True
    # read-only implies not destructive and idempotent (MCP spec), so those hints are not spent on the wire
    assert info.annotations.destructive_hint is None and info.annotations.idempotent_hint is None
    # nor the title and openWorldHint (see Tool.wire_annotations): only the hints a client acts on
    assert info.annotations.open_world_hint is None
    assert info.annotations.title is None and info.title is None
    deleting = tools["delete_workflow"].annotations
    assert deleting is not None and deleting.destructive_hint is True and deleting.read_only_hint is None
    suspending = tools["suspend_workflow"].annotations
    assert suspending is not None and suspending.destructive_hint is False and suspending.idempotent_hint
    assert info.input_schema["type"] == "object"
    assert info.input_schema["additionalProperties"] is False


async def test_unknown_argument_is_rejected_naming_the_field(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    async with http_client(shared_server.url) as client:
        result = await client.call_tool("get_argo_version", {"nope": 1})
    assert result.is_error
    assert "'nope' is not an argument of get_argo_version" in text_of(result)
    assert argo.requests == []
