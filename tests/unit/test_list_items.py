"""List answers an agent can afford (issue 24) and that are refused at the answer cap before they are built
(issue 27, point 7).

A list item keeps what chooses the next call (name, phase, start and duration, progress and message when they
say something, the template) and states the namespace once; a list whose shaped items pass --max-answer-mib is
read from Argo's body item by item and refused at the cap, never decoded whole nor written out as JSON."""

from __future__ import annotations

import tracemalloc
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest

import argo_mcp.argo.client as client_module
from argo_mcp.argo.client import ArgoClient
from argo_mcp.cli import parse_settings
from argo_mcp.tools.budget import AnswerTooLarge
from argo_mcp.tools.shaping import (
    WORKFLOW_LIST_FIELDS,
    ListShape,
    archived_item,
    clean,
    duration_text,
    finished_at,
    shape_list,
    workflow_item,
)
from bench.standin import LIST_SIZE, StandIn, filter_fields
from bench.tokens import count_tokens
from tests.support.fake_argo import FakeArgo, Workflow
from tests.support.processes import ServerProcess, http_client, payload

UID = "3f1e9c2a-5b7d-4e8f-9a0b-1c2d3e4f5a6b"


def workflow(phase: str, **status: Any) -> dict[str, Any]:
    return {
        "metadata": {
            "name": "etl-1",
            "namespace": "argo",
            "uid": UID,
            "labels": {"workflows.argoproj.io/workflow-template": "etl"},
        },
        "status": {"phase": phase, "startedAt": "2026-12-10T17:40:00Z", **status},
    }


def test_a_succeeded_workflow_is_its_name_phase_start_duration_and_template() -> None:
    item = workflow_item(
        workflow("Succeeded", finishedAt="2026-12-10T17:45:56Z", progress="27/27", message="done")
    )
    assert item == {
        "name": "etl-1",
        "namespace": "argo",  # shape_list states it once for the list
        "phase": "Succeeded",
        "startedAt": "2026-12-10T17:40:00Z",
        "duration": "5m56s",
        "template": "etl",
    }


def test_a_failed_workflow_keeps_its_progress_and_a_short_message() -> None:
    item = workflow_item(
        workflow("Failed", finishedAt="2026-12-10T19:40:03Z", progress="3/27", message="x" * 500)
    )
    assert item["duration"] == "2h3s" and item["progress"] == "3/27"
    assert len(item["message"]) == 160 and item["message"].endswith("…")


def test_a_running_workflow_has_no_duration_and_unreadable_times_pass_through() -> None:
    running = workflow_item(workflow("Running", progress="1/4"))
    assert "duration" not in running and "finishedAt" not in running and running["progress"] == "1/4"
    odd = workflow_item(workflow("Error", startedAt="yesterday", finishedAt="2026-12-10T17:45:56Z"))
    assert odd["finishedAt"] == "2026-12-10T17:45:56Z" and "duration" not in odd
    naive = workflow_item(workflow("Error", finishedAt="2026-12-10T17:45:56"))  # no zone: not comparable
    assert naive["finishedAt"] == "2026-12-10T17:45:56" and "duration" not in naive


def test_archived_items_keep_the_uid_the_archive_tools_take() -> None:
    assert archived_item(workflow("Succeeded"))["uid"] == UID
    assert "uid" not in workflow_item(workflow("Succeeded"))


@pytest.mark.parametrize("seconds", [0, 42, 356, 3600, 7203, 90061])
def test_the_finish_time_comes_back_exactly_from_start_and_duration(seconds: int) -> None:
    from datetime import UTC, datetime, timedelta

    started = datetime(2026, 12, 10, 17, 40, tzinfo=UTC)
    item = {"startedAt": "2026-12-10T17:40:00Z", "duration": duration_text(seconds)}
    expected = (started + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert finished_at(item) == expected
    assert finished_at({"startedAt": "2026-12-10T17:40:00Z"}) is None


def test_the_namespace_is_stated_once_and_kept_where_an_item_differs() -> None:
    other = workflow("Running")
    other["metadata"] = {**other["metadata"], "namespace": "team-b"}
    answer = {"metadata": {}, "items": [workflow("Running"), other]}
    shaped = shape_list(answer, workflow_item, full=False, namespace="argo")
    assert shaped["namespace"] == "argo"
    assert "namespace" not in shaped["items"][0] and shaped["items"][1]["namespace"] == "team-b"
    # Without the request's namespace: stated once only when every item shares one.
    assert shape_list(answer, workflow_item, full=False)["items"][1]["namespace"] == "team-b"
    assert "namespace" not in shape_list(answer, workflow_item, full=False)
    same = {"metadata": {}, "items": [workflow("Running")]}
    assert shape_list(same, workflow_item, full=False)["namespace"] == "argo"
    # Full items are Argo's objects, as they were.
    full = shape_list({"metadata": {}, "items": [workflow("Running")]}, workflow_item, full=True)
    assert "namespace" not in full and full["items"][0]["metadata"]["namespace"] == "argo"


def test_a_500_workflow_list_costs_at_most_the_best_peers_tokens_per_item() -> None:
    """pipekit/mcp-for-argo-workflows' list items cost ~51 cl100k tokens; ours cost ~89 before issue 24."""
    answer = filter_fields({"metadata": {}, "items": StandIn().items}, WORKFLOW_LIST_FIELDS)
    shaped = shape_list(answer, workflow_item, full=False, namespace="argo")
    per_item = count_tokens(orjson.dumps(shaped).decode()) / LIST_SIZE
    assert per_item <= 51, f"{per_item:.1f} tokens per list item"


# ---- the answer cap, while shaping ------------------------------------------------------------------------

CAP = 256 * 1024


def full_workflow(index: int, managed: int = 0) -> dict[str, Any]:
    wf = Workflow(f"wf-{index:05d}", labels={"team": "data-" + "x" * 1500}).json()
    wf["metadata"]["managedFields"] = [{"manager": "m" * managed, "operation": "Update"}]
    return wf


def serve(argo: FakeArgo, items: list[dict[str, Any]]) -> int:
    body = orjson.dumps({"metadata": {}, "items": items})

    async def chunks() -> AsyncIterator[bytes]:  # chunked, as Argo streams a large list
        for start in range(0, len(body), 65536):
            yield body[start : start + 65536]

    argo.on("WorkflowService_ListWorkflows", stream=chunks)
    return len(body)


async def list_full(argo_url: str, shape: ListShape) -> dict[str, Any]:
    settings = parse_settings(["--argo-server-url", argo_url, "--argo-auth-mode", "none"], env={})
    client = ArgoClient(settings.argo)
    try:
        answer = await client.request(
            "GET", "/api/v1/workflows/argo", what="list workflows", check_body=shape.check_body
        )
        return shape.shape(answer)
    finally:
        await client.close()


async def test_a_list_over_the_cap_is_refused_before_it_is_decoded_or_written(
    argo: FakeArgo, argo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = [full_workflow(i) for i in range(1000)]
    size = serve(argo, items)
    whole = len(orjson.dumps([clean(item) for item in items]))
    decoded: list[int] = []
    original = client_module._decode_object

    def counting(raw: bytes | bytearray, what: str) -> dict[str, Any]:
        decoded.append(len(raw))
        return original(raw, what)

    monkeypatch.setattr(client_module, "_decode_object", counting)
    tracemalloc.start()
    try:
        with pytest.raises(AnswerTooLarge) as refused:
            await list_full(argo_url, ListShape(workflow_item, full=True, cap=CAP))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert decoded == [], "the body was decoded whole"
    # The body and its text, and a few items: decoded whole, 1,000 workflows take ~8 times the body.
    assert peak < 3 * size, f"peak {peak / 2**20:.1f} MiB for a {size / 2**20:.1f} MiB body"
    error = refused.value
    assert error.cap == CAP and abs(error.size - whole) < whole * 0.1, (error.size, whole)
    assert 0 < error.fits < CAP // 1500
    message = str(error)
    assert "more than the 256 KiB argo-mcp returns (--max-answer-mib)" in message
    assert f"about {error.fits} items fit" in message and "full=false" in message


async def test_summaries_of_a_body_over_the_cap_are_answered_when_they_fit(
    argo: FakeArgo, argo_url: str
) -> None:
    serve(argo, [full_workflow(i) for i in range(400)])  # ~0.8 MiB of Workflows, ~30 KiB of summaries
    answer = await list_full(argo_url, ListShape(workflow_item, full=False, cap=CAP, namespace="argo"))
    assert answer["count"] == 400 and answer["items"][0] == {
        "name": "wf-00000",
        "phase": "Running",
        "startedAt": "2026-11-25T10:00:01Z",
        "progress": "0/1",
    }


async def test_full_items_that_fit_once_cleaned_are_answered(argo: FakeArgo, argo_url: str) -> None:
    """The body is over the cap only because of managedFields, which the answer leaves out."""
    items = [full_workflow(i, managed=20_000) for i in range(20)]
    size = serve(argo, items)
    assert size > CAP
    answer = await list_full(argo_url, ListShape(workflow_item, full=True, cap=CAP))
    assert answer["count"] == 20 and "managedFields" not in answer["items"][0]["metadata"]


def test_an_answer_over_the_cap_once_shaped_is_refused_before_its_json_is_written() -> None:
    """A body under the cap whose shaped answer is not is refused by the item budget while shaping, and the
    decoded answer is let go at once (the frames the refusal passes hold it)."""
    answer: dict[str, Any] = {"metadata": {}, "items": [workflow("Failed", message="m" * 150)] * 3000}
    with pytest.raises(AnswerTooLarge) as refused:
        ListShape(workflow_item, full=False, cap=64 * 1024).shape(answer)
    assert answer == {} and refused.value.fits < 3000


# ---- archived runs in list_workflows (issue 26: a deleted workflow was still listed, unmarked) ------------------
ARCHIVED_LABELS = {"workflows.argoproj.io/workflow-archiving-status": "Persisted"}


def test_only_a_run_read_from_the_archive_is_marked_archived() -> None:
    archived = workflow("Succeeded", finishedAt="2026-12-10T17:45:56Z")
    archived["metadata"]["labels"] = {**archived["metadata"]["labels"], **ARCHIVED_LABELS}
    assert workflow_item(archived)["archived"] is True
    # A live one that the controller archived already ("Archived") or will ("Pending") is still in the cluster.
    for status in ("Archived", "Pending"):
        live = workflow("Succeeded")
        live["metadata"]["labels"] = {"workflows.argoproj.io/workflow-archiving-status": status}
        assert "archived" not in workflow_item(live)
    assert "archived" not in workflow_item(workflow("Running"))
    # list_archived_workflows' items are all archived: no marker there, the uid instead.
    assert "archived" not in archived_item(archived) and archived_item(archived)["uid"] == UID


async def test_list_workflows_marks_archived_items_and_says_how_to_leave_them_out(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    live = Workflow("etl-live").json()
    gone = Workflow("etl-deleted", phase="Succeeded", labels=dict(ARCHIVED_LABELS)).json()
    argo.on("WorkflowService_ListWorkflows", {"metadata": {}, "items": [live, gone]})
    async with http_client(shared_server.url) as client:
        mixed = payload(await client.call_tool("list_workflows", {}))
        argo.on("WorkflowService_ListWorkflows", {"metadata": {}, "items": [live]})
        only_live = payload(await client.call_tool("list_workflows", {}))
    assert [item.get("archived") for item in mixed["items"]] == [None, True]
    assert "workflows.argoproj.io/workflow-archiving-status!=Persisted" in mixed["archivedHint"]
    assert "archivedHint" not in only_live and "archived" not in only_live["items"][0]
