"""Conflicts argo-mcp absorbs (a controller changed the object under an update whose version argo-mcp read) and
the ones it answers (the agent's own resourceVersion). The Argo stand-in answers 409 as Argo does."""

from __future__ import annotations

from typing import Any

from argo_mcp.tools import conflicts
from tests.support.fake_argo import FakeArgo
from tests.support.processes import ServerProcess, http_client, text_of
from tests.support.samples import EVENT_SOURCE

CONFLICT = {
    "code": 10,
    "message": "the object has been modified; please apply your changes to the latest version",
}
GET, PUT = "EventSourceService_GetEventSource", "EventSourceService_UpdateEventSource"


def _version(rv: str) -> dict[str, Any]:
    metadata: dict[str, Any] = EVENT_SOURCE["metadata"]  # type: ignore[assignment]
    return {**EVENT_SOURCE, "metadata": {**metadata, "resourceVersion": rv}}


def _sent_versions(argo: FakeArgo) -> list[str]:
    return [call.body["eventSource"]["metadata"]["resourceVersion"] for call in argo.calls(PUT)]


async def _update(server: ServerProcess, manifest: dict[str, Any]) -> tuple[bool, str]:
    async with http_client(server.url) as client:
        result = await client.call_tool("update_event_source", {"name": "webhook", "manifest": manifest})
    return bool(result.is_error), text_of(result)


async def test_a_controllers_change_between_read_and_write_is_read_again_and_retried(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    argo.on_sequence(GET, [_version("12"), _version("13")])
    argo.on_sequence(PUT, [CONFLICT, _version("14")])
    argo.sequence_status[PUT] = [409, 200]
    is_error, text = await _update(shared_server, {"spec": EVENT_SOURCE["spec"]})
    assert not is_error, text
    assert "updated" in text
    assert _sent_versions(argo) == [
        "12",
        "13",
    ]  # the second write carries the version read after the conflict


async def test_the_agents_own_resource_version_conflict_is_answered_at_once(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    argo.on_sequence(PUT, [CONFLICT])
    argo.sequence_status[PUT] = [409]
    manifest = {"metadata": {"resourceVersion": "7"}, "spec": EVENT_SOURCE["spec"]}
    is_error, text = await _update(shared_server, manifest)
    assert is_error and "Conflict (409)" in text
    assert _sent_versions(argo) == ["7"]
    assert not argo.calls(GET)


async def test_a_conflict_that_persists_is_answered_after_four_tries(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    argo.on(GET, _version("12"))
    argo.on_sequence(PUT, [CONFLICT])
    argo.sequence_status[PUT] = [409]
    is_error, text = await _update(shared_server, {"spec": EVENT_SOURCE["spec"]})
    assert is_error and "Conflict (409)" in text
    assert len(argo.calls(PUT)) == len(conflicts.CONFLICT_RETRY_DELAYS) + 1 == 4
    assert len(argo.calls(GET)) == 4
