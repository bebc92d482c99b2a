"""--confirm-destructive against the real Argo: a declined delete leaves the workflow in the cluster, a confirmed
one removes it (issue 13). The client is the SDK's real one over streamable HTTP, its user answering the
elicitation; argo-mcp runs with the full-access ServiceAccount, so only the confirmation stands in the way."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from tests.e2e.mcp_support import WF, container, start_with_token, wait_phase
from tests.e2e.stack.fixture import E2EStack
from tests.support.elicitation import User, elicitation_client
from tests.support.processes import ServerProcess, text_of


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def confirming(
    stack: E2EStack, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[ServerProcess]:
    server = await start_with_token(
        stack,
        tmp_path_factory.mktemp("mcp-confirm"),
        stack.mint_token(stack.full_sa, seconds=3600),
        "--confirm-destructive",
    )
    yield server
    await server.stop()


async def _gone(stack: E2EStack, name: str, within: float = 30) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if stack.get_workflow(name) is None:
            return True
        await asyncio.sleep(0.5)
    return False


async def test_a_declined_delete_keeps_the_workflow_and_a_confirmed_one_deletes_it(
    stack: E2EStack, confirming: ServerProcess
) -> None:
    name = stack.submit_workflow(
        {
            "apiVersion": WF,
            "kind": "Workflow",
            "metadata": {"generateName": "confirm-"},
            "spec": {
                "entrypoint": "main",
                "templates": [{"name": "main", "container": container("echo hi")}],
            },
        }
    )
    await wait_phase(stack, name)
    args = {"name": name, "namespace": stack.namespace}

    declining = User("decline")
    async with elicitation_client(confirming.url, declining) as client:
        refused = await client.call_tool("delete_workflow", args)
    assert refused.is_error and "declined" in text_of(refused), text_of(refused)
    assert len(declining.asked) == 1 and name in declining.asked[0].message
    await asyncio.sleep(2)  # had anything been sent, the delete would have landed by now
    assert stack.get_workflow(name) is not None, "a declined delete reached Argo"

    confirming_user = User()
    async with elicitation_client(confirming.url, confirming_user) as client:
        deleted = await client.call_tool("delete_workflow", args)
    assert not deleted.is_error, text_of(deleted)
    assert len(confirming_user.asked) == 1
    assert await _gone(stack, name), "a confirmed delete left the workflow in the cluster"
