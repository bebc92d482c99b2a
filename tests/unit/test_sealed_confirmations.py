"""Confirmations are sealed (issue 27, point 5): a 2026-07-28 `requestState` is one argo-mcp made, for this tool,
these arguments and this caller, within the last five minutes. A state a client computes itself, a recorded one
replayed after it expired, or one sealed with another key is not taken as an answer: the user is asked again and
nothing reaches Argo. Replicas that share --task-key-file recognise each other's states."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import mcp_types as types
import orjson
import pytest

from argo_mcp.calls.confirm import state_for
from argo_mcp.cli import parse_settings
from argo_mcp.sealing import Sealer
from argo_mcp.settings import ConfigError
from argo_mcp.tools import ALL_TOOLS
from tests.support.elicitation import User, elicitation_client
from tests.support.fake_argo import FakeArgo
from tests.support.processes import ServerProcess, start_without_argo_auth

DELETE = "WorkflowService_DeleteWorkflow"
ARGS = {"name": "hello-abc12", "namespace": "team-a"}
CONFIRMED: dict[str, Any] = {"confirm": types.ElicitResult(action="accept", content={"confirm": True})}
TOOL = next(tool for tool in ALL_TOOLS if tool.name == "delete_workflow")


def _key(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.write_bytes(hashlib.sha256(name.encode()).hexdigest().encode())
    return path


async def _server(argo_url: str, tmp_path: Path, key: Path) -> ServerProcess:
    return await start_without_argo_auth(
        tmp_path, argo_url, "--confirm-destructive", "--task-key-file", str(key)
    )


@pytest.fixture
async def replicas(argo_url: str, tmp_path: Path) -> AsyncIterator[tuple[ServerProcess, ...]]:
    shared = _key(tmp_path, "shared")
    started = [
        await _server(argo_url, tmp_path, shared),
        await _server(argo_url, tmp_path, shared),
        await _server(argo_url, tmp_path, _key(tmp_path, "other")),
    ]
    try:
        yield tuple(started)
    finally:
        for server in started:
            await server.stop()


async def _retry(url: str, state: str) -> Any:
    async with elicitation_client(url, User()) as client:
        return await client.session.call_tool(
            "delete_workflow", ARGS, allow_input_required=True, input_responses=CONFIRMED, request_state=state
        )


async def test_only_a_state_the_server_sealed_is_an_answer(
    argo: FakeArgo, replicas: tuple[ServerProcess, ...]
) -> None:
    asker, sibling, stranger = replicas
    argo.on(DELETE, {})
    async with elicitation_client(asker.url, User()) as client:
        first = await client.session.call_tool("delete_workflow", ARGS, allow_input_required=True)
    assert isinstance(first, types.InputRequiredResult) and first.request_state
    # What a client could compute without ever being asked: the unsealed digest argo-mcp once used.
    canonical = orjson.dumps({"tool": "delete_workflow", "arguments": ARGS}, option=orjson.OPT_SORT_KEYS)
    forged = "argo-mcp/confirm/v1:" + hashlib.sha256(canonical).hexdigest()
    assert isinstance(await _retry(asker.url, forged), types.InputRequiredResult)
    assert isinstance(await _retry(stranger.url, first.request_state), types.InputRequiredResult)
    assert not argo.calls(DELETE), "nothing reaches Argo without a confirmation the server asked for"
    done = await _retry(sibling.url, first.request_state)  # another replica with the same key
    assert isinstance(done, types.CallToolResult) and not done.is_error
    assert len(argo.calls(DELETE)) == 1


def test_a_seal_is_bound_to_its_subject_and_expires() -> None:
    sealer = Sealer(b"k" * 32, shared=True)
    state = state_for(sealer, TOOL, ARGS, "alice")
    token = state.split(":", 1)[1]
    subject = orjson.dumps({"arguments": ARGS, "caller": "alice", "tool": "delete_workflow"})
    assert sealer.opens("confirm", subject, token)
    assert not sealer.opens("task", subject, token), "a seal for one purpose opens nothing else"
    other_caller = orjson.dumps({"arguments": ARGS, "caller": "mallory", "tool": "delete_workflow"})
    assert not sealer.opens("confirm", other_caller, token), "a confirmation is the caller's own"
    assert not sealer.opens("confirm", subject, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
    assert not Sealer(b"j" * 32, shared=True).opens("confirm", subject, token)
    expired = sealer.seal("confirm", subject, -1)
    assert not sealer.opens("confirm", subject, expired), "a recorded answer does not replay forever"
    for garbage in ("", "not base64 ***", "A" * 500):
        assert not sealer.opens("confirm", subject, garbage)
    assert sealer.seal("confirm", subject, 300) != sealer.seal("confirm", subject, -5)


def test_a_short_or_missing_key_file_stops_start_up_with_the_fix(tmp_path: Path) -> None:
    short = tmp_path / "short"
    short.write_text("abc")
    base = ["--argo-server-url", "http://argo:2746", "--argo-auth-mode", "none"]
    with pytest.raises(ConfigError, match=r"needs at least 32 random bytes.*head -c 48 /dev/urandom"):
        parse_settings([*base, "--task-key-file", str(short)], env={})
    with pytest.raises(ConfigError, match=r"cannot read the task key file.*--task-key-file"):
        parse_settings([*base, "--task-key-file", str(tmp_path / "absent")], env={})
    good = _key(tmp_path, "good")
    assert parse_settings([*base, "--task-key-file", str(good)], env={}).task_key_file == good
