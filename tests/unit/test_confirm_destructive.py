"""--confirm-destructive: a destructive call runs only after the client's user confirms it (elicitation); a
declined or cancelled confirmation, or a client without elicitation, sends nothing to Argo.

Driven with the SDK's real client: over HTTP it speaks 2026-07-28 (input-required result, stateless), over
stdio 2025-11-25 (a standalone elicitation/create request), and a 2025-11-25 client over stateless HTTP is told
what works instead."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
import mcp_types as types
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.shared.exceptions import MCPError

from tests.support.elicitation import User, elicitation_client
from tests.support.fake_argo import FakeArgo
from tests.support.processes import ServerProcess, payload, start_argo_mcp, stdio_params, text_of
from tests.support.samples import VERSION

DELETE = "WorkflowService_DeleteWorkflow"
ARGS = {"name": "hello-abc12", "namespace": "team-a"}


@pytest.fixture
async def confirming(argo_url: str, tmp_path: Path) -> AsyncIterator[ServerProcess]:
    server = await start_argo_mcp(
        tmp_path, "--argo-server-url", argo_url, "--argo-auth-mode", "none", "--confirm-destructive"
    )
    try:
        yield server
    finally:
        await server.stop()


def confirming_stdio(argo_url: str) -> StdioServerParameters:
    return stdio_params(argo_url, {"ARGO_MCP_CONFIRM_DESTRUCTIVE": "true"})


async def test_a_confirmed_call_runs_once_over_stateless_http(
    argo: FakeArgo, confirming: ServerProcess
) -> None:
    argo.on(DELETE, {})
    argo.on("InfoService_GetVersion", VERSION)
    user = User()
    async with elicitation_client(confirming.url, user) as client:
        assert client.protocol_version == "2026-07-28"
        result = await client.call_tool("delete_workflow", ARGS)
        assert not result.is_error, text_of(result)
        assert payload(result)["result"] == "workflow team-a/hello-abc12 deleted"
        read = await client.call_tool("get_argo_version", {})
        assert not read.is_error, "read-only tools are not confirmed"
    assert len(user.asked) == 1
    asked = user.asked[0]
    assert "delete_workflow" in asked.message and "hello-abc12" in asked.message and "team-a" in asked.message
    assert asked.requested_schema["required"] == ["confirm"]
    assert len(argo.calls(DELETE)) == 1
    assert argo.last(DELETE).path == "/api/v1/workflows/team-a/hello-abc12"


@pytest.mark.parametrize(
    ("user", "said"),
    [
        (User("decline"), "declined"),
        (User("cancel"), "cancelled"),
        (User("accept", confirm=False), "did not"),
    ],
)
async def test_a_declined_confirmation_sends_nothing_to_argo(
    argo: FakeArgo, confirming: ServerProcess, user: User, said: str
) -> None:
    async with elicitation_client(confirming.url, user) as client:
        result = await client.call_tool("delete_workflow", ARGS)
    assert result.is_error
    assert said in text_of(result) and "nothing was sent to Argo" in text_of(result), text_of(result)
    assert len(user.asked) == 1
    assert not argo.calls(DELETE)
    audits = [line for line in confirming.logs() if line.get("event") == "audit"]
    assert audits and audits[-1]["outcome"] == "not-confirmed" and audits[-1]["name"] == "hello-abc12", audits


async def test_an_answer_for_other_arguments_is_not_taken(argo: FakeArgo, confirming: ServerProcess) -> None:
    """The retry's requestState is bound to the tool and arguments the user was shown."""
    async with elicitation_client(confirming.url, User()) as client:
        first = await client.session.call_tool("delete_workflow", ARGS, allow_input_required=True)
        assert isinstance(first, types.InputRequiredResult)
        assert first.input_requests is not None and list(first.input_requests) == ["confirm"]
        other = await client.session.call_tool(
            "delete_workflow",
            {**ARGS, "name": "something-else"},
            allow_input_required=True,
            input_responses={"confirm": types.ElicitResult(action="accept", content={"confirm": True})},
            request_state=first.request_state,
        )
    assert isinstance(other, types.InputRequiredResult), "the answer was taken for other arguments"
    assert not argo.calls(DELETE)


async def test_a_client_without_elicitation_gets_32021_and_http_400(
    argo: FakeArgo, confirming: ServerProcess
) -> None:
    async with elicitation_client(confirming.url, None) as client:
        with pytest.raises(MCPError) as raised:
            await client.call_tool("delete_workflow", ARGS)
    assert raised.value.error.code == -32021
    assert raised.value.error.data == {"requiredCapabilities": {"elicitation": {"form": {}}}}
    meta = {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    body = {
        "jsonrpc": "2.0",
        "id": 7,
        "method": "tools/call",
        "params": {"name": "delete_workflow", "arguments": ARGS, "_meta": meta},
    }
    headers = {
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": "2026-07-28",
        "Mcp-Method": "tools/call",
        "Mcp-Name": "delete_workflow",
    }
    async with httpx2.AsyncClient() as http:
        answer = await http.post(confirming.url, json=body, headers=headers)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == -32021 and answer.json()["id"] == 7
    assert not argo.calls(DELETE)


async def test_a_handshake_client_over_stateless_http_is_told_what_works(
    argo: FakeArgo, confirming: ServerProcess
) -> None:
    user = User()
    async with elicitation_client(confirming.url, user, mode="legacy") as client:
        result = await client.call_tool("delete_workflow", ARGS)
    assert result.is_error
    assert "stdio" in text_of(result) and "2026-07-28" in text_of(result), text_of(result)
    assert not user.asked and not argo.calls(DELETE)


@pytest.mark.parametrize(("user", "runs"), [(User(), True), (User("decline"), False)])
async def test_stdio_asks_with_elicitation_create(
    argo: FakeArgo, argo_url: str, user: User, runs: bool
) -> None:
    argo.on(DELETE, {})
    async with Client(confirming_stdio(argo_url), mode="legacy", elicitation_callback=user) as client:
        result = await client.call_tool("delete_workflow", ARGS)
    assert result.is_error is not runs, text_of(result)
    assert len(user.asked) == 1 and "hello-abc12" in user.asked[0].message
    assert len(argo.calls(DELETE)) == (1 if runs else 0)


async def test_stdio_client_without_elicitation_gets_32021(argo: FakeArgo, argo_url: str) -> None:
    async with Client(confirming_stdio(argo_url), mode="legacy") as client:
        with pytest.raises(MCPError) as raised:
            await client.call_tool("delete_workflow", ARGS)
    assert raised.value.error.code == -32021
    assert not argo.calls(DELETE)


async def test_stdio_client_that_fails_the_question_sends_nothing(argo: FakeArgo, argo_url: str) -> None:
    async def broken(context: Any, params: types.ElicitRequestParams) -> types.ErrorData:
        return types.ErrorData(code=-32603, message="no user interface")

    async with Client(confirming_stdio(argo_url), mode="legacy", elicitation_callback=broken) as client:
        result = await client.call_tool("delete_workflow", ARGS)
    assert result.is_error and "no user interface" in text_of(result), text_of(result)
    assert "nothing was sent to Argo" in text_of(result)
    assert not argo.calls(DELETE)
