"""The one road: every MCP method that may reach Argo (tools/call, resources/list, resources/read,
completion/complete) goes through the call pipeline's placement, authorization and admission, in that order, and
a destructive call is put to the user only once it passed every check.

In process for the stage order (a refusing authorizer, a counting confirmer, a counting input model); through a
real argo-mcp and a real MCP client for the adapters (a completion is refused by --max-inflight-calls like a
tool call, and nothing of it reaches Argo)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import mcp_types as types
import pytest
from mcp.shared.exceptions import MCPError
from structlog.testing import capture_logs

from argo_mcp.argo.client import ArgoClient
from argo_mcp.calls import Answer, Call, CallPipeline, InputNeeded, Refusal
from argo_mcp.calls.admission import Admission, Busy
from argo_mcp.policy import Caller, Permission, ToolError
from argo_mcp.settings import ArgoSettings, AuthMode, ScopeSettings, Settings
from argo_mcp.tools import ALL_TOOLS
from tests.support.elicitation import User, elicitation_client
from tests.support.fake_argo import FakeArgo, Workflow, ndjson_log
from tests.support.processes import (
    ServerProcess,
    http_client,
    start_without_argo_auth,
    text_of,
)

BY_NAME = {tool.name: tool for tool in ALL_TOOLS}
DEBUG = types.PromptReference(type="ref/prompt", name="debug_failed_workflow")


@pytest.fixture
async def argo_client(argo_url: str) -> AsyncIterator[ArgoClient]:
    client = ArgoClient(ArgoSettings(server_url=argo_url, auth_mode=AuthMode.NONE))
    yield client
    await client.close()


def _settings(tmp_path: Path, *, confirm: bool = False, namespaces: tuple[str, ...] = ()) -> Settings:
    return Settings(
        argo=ArgoSettings(server_url="http://unused", auth_mode=AuthMode.NONE, default_namespace="team-a"),
        scope=ScopeSettings(namespaces=namespaces),
        artifact_dir=tmp_path,
        confirm_destructive=confirm,
    )


class Asked:
    """A confirmer that records each question and confirms it."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []

    async def __call__(self, tool: Any, _parsed: Any, namespace: str) -> None:
        self.asked.append((tool.name, namespace))


class Refusing:
    """An authorizer that refuses one namespace and records what it was asked."""

    def __init__(self, refused: str) -> None:
        self.refused = refused
        self.asked: list[tuple[str, str]] = []

    async def __call__(self, permission: Permission, namespace: str, caller: Caller | None) -> None:
        self.asked.append((permission.describe(), namespace))
        if namespace == self.refused:
            raise ToolError(f"refused: may not {permission.describe()} in {namespace!r}")


# ---- stage order, in process ---------------------------------------------------------------------------------
async def test_a_call_the_allow_list_refuses_is_never_put_to_the_user(
    argo: FakeArgo, argo_client: ArgoClient, tmp_path: Path
) -> None:
    pipeline = CallPipeline(_settings(tmp_path, confirm=True, namespaces=("team-a",)), argo_client)
    confirmer = Asked()
    outcome = await pipeline.run(
        Call(BY_NAME["delete_workflow"], {"name": "wf", "namespace": "kube-system"}), confirmer
    )
    assert isinstance(outcome, Refusal) and outcome.outcome == "refused"
    assert "outside the namespaces argo-mcp may act in" in outcome.message
    assert confirmer.asked == [] and argo.requests == []


async def test_a_call_the_callers_rbac_refuses_is_never_put_to_the_user(
    argo: FakeArgo, argo_client: ArgoClient, tmp_path: Path
) -> None:
    authorize = Refusing("team-b")
    pipeline = CallPipeline(_settings(tmp_path, confirm=True), argo_client, authorize=authorize)
    confirmer = Asked()
    outcome = await pipeline.run(
        Call(BY_NAME["delete_workflow"], {"name": "wf", "namespace": "team-b"}), confirmer
    )
    assert isinstance(outcome, Refusal) and outcome.outcome == "refused", outcome
    assert authorize.asked == [("delete workflows (argoproj.io)", "team-b")]
    assert confirmer.asked == [] and argo.requests == []
    # The same call in a namespace the caller may act in is asked, in the namespace it was placed in, then runs.
    argo.on("WorkflowService_DeleteWorkflow", {})
    allowed = await pipeline.run(
        Call(BY_NAME["delete_workflow"], {"name": "wf", "namespace": "team-a"}), confirmer
    )
    assert isinstance(allowed, Answer), allowed
    assert confirmer.asked == [("delete_workflow", "team-a")]
    assert len(argo.calls("WorkflowService_DeleteWorkflow")) == 1


async def test_a_confirmed_call_parses_its_arguments_once(
    argo: FakeArgo, argo_client: ArgoClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tool = BY_NAME["delete_workflow"]
    parses: list[str] = []
    original = tool.input_model.parse_json.__func__

    def counting(cls: Any, text: str) -> Any:
        parses.append(text)
        return original(cls, text)

    monkeypatch.setattr(tool.input_model, "parse_json", classmethod(counting))
    argo.on("WorkflowService_DeleteWorkflow", {})
    pipeline = CallPipeline(_settings(tmp_path, confirm=True), argo_client)
    outcome = await pipeline.run(Call(tool, {"name": "wf"}), Asked())
    assert isinstance(outcome, Answer), outcome
    assert len(parses) == 1


async def test_a_declined_call_and_a_run_call_are_audited_alike(
    argo: FakeArgo, argo_client: ArgoClient, tmp_path: Path
) -> None:
    """One audit line per destructive call, naming its target the same way whether it ran or not."""

    async def decline(_tool: Any, _parsed: Any, _namespace: str) -> types.CallToolResult:
        return types.CallToolResult(content=[types.TextContent(text="The user declined")], is_error=True)

    argo.on("WorkflowService_DeleteWorkflow", {})
    pipeline = CallPipeline(_settings(tmp_path, confirm=True), argo_client)
    arguments = {"name": "wf-1", "namespace": "team-a"}
    with capture_logs() as logs:
        declined = await pipeline.run(Call(BY_NAME["delete_workflow"], arguments), decline)
        ran = await pipeline.run(Call(BY_NAME["delete_workflow"], arguments), Asked())
    assert isinstance(declined, Refusal) and declined.outcome == "not-confirmed"
    assert isinstance(ran, Answer)
    audits = [entry for entry in logs if entry["event"] == "audit"]
    assert [(a["outcome"], a["name"], a["namespace"]) for a in audits] == [
        ("not-confirmed", "wf-1", "team-a"),
        ("ok", "wf-1", "team-a"),
    ]


async def test_a_submit_is_audited_with_the_workflow_it_created(
    argo: FakeArgo, argo_client: ArgoClient, tmp_path: Path
) -> None:
    created = Workflow("hello-x7k2p", namespace="team-a").json()
    argo.on("WorkflowService_SubmitWorkflow", created)
    pipeline = CallPipeline(_settings(tmp_path), argo_client)
    arguments = {"resourceKind": "WorkflowTemplate", "resourceName": "hello"}
    with capture_logs() as logs:
        outcome = await pipeline.run(Call(BY_NAME["submit_workflow"], arguments))
    assert isinstance(outcome, Answer), outcome
    (audit,) = [entry for entry in logs if entry["event"] == "audit"]
    assert audit["name"] == "WorkflowTemplate/hello"
    assert audit["object_name"] == "hello-x7k2p"
    assert audit["object_uid"] == created["metadata"]["uid"]


async def test_admission_counts_every_road_and_the_uid_lookup(
    argo: FakeArgo, argo_client: ArgoClient, tmp_path: Path
) -> None:
    """With the one slot taken, no road gets a request to Argo: not a tool call, not a resource read, not a
    completion's list, not even the lookup that places a call addressed by UID."""
    admission = Admission.of(1)
    pipeline = CallPipeline(_settings(tmp_path), argo_client, admission=admission)
    held = admission.enter("someone-else", "a long call")
    calls = [
        Call(BY_NAME["get_workflow"], {"name": "wf"}, road="tools/call"),
        Call(BY_NAME["get_workflow"], {"name": "wf"}, road="resources/read"),
        Call(BY_NAME["list_workflows"], {"limit": 5}, road="completion/complete"),
        Call(BY_NAME["get_archived_workflow"], {"uid": "3f1e9c2a-5b7d-4e8f-9a0b-1c2d3e4f5a6b"}),
    ]
    outcomes = [await pipeline.run(call) for call in calls]
    assert all(isinstance(o, Refusal) and o.outcome == "busy" for o in outcomes), outcomes
    assert "resources/read was not started" in outcomes[1].message  # type: ignore[union-attr]
    assert argo.requests == []
    held.release()
    assert admission.running == 0 and not admission.short.by_caller
    argo.on("WorkflowService_GetWorkflow", Workflow("wf").json())
    assert isinstance(await pipeline.run(calls[0]), Answer)
    assert admission.running == 0, "a finished call gives its slot back"


async def test_no_confirmer_means_nothing_is_asked(
    argo: FakeArgo, argo_client: ArgoClient, tmp_path: Path
) -> None:
    """Roads that cannot ask a user (resources, completions) never reach a destructive tool's confirm stage
    with a question pending: without a confirmer the pipeline does not invent one."""
    argo.on("WorkflowService_GetWorkflow", Workflow("wf").json())
    outcome = await CallPipeline(_settings(tmp_path, confirm=True), argo_client).run(
        Call(BY_NAME["get_workflow"], {"name": "wf"})
    )
    assert isinstance(outcome, Answer) and not isinstance(outcome, InputNeeded)


# ---- the adapters, through a real server ----------------------------------------------------------------------
async def test_completions_and_resource_lists_count_against_the_in_flight_limit(
    argo: FakeArgo, one_slot: ServerProcess
) -> None:
    async def slow_workflow() -> AsyncIterator[bytes]:
        await asyncio.sleep(2)
        yield json.dumps(Workflow("slow").json()).encode()

    argo.on("WorkflowService_GetWorkflow", stream=slow_workflow)
    argo.on("WorkflowService_ListWorkflows", {"metadata": {}, "items": [Workflow("hello-1").json()]})
    async with http_client(one_slot.url) as first, http_client(one_slot.url) as second:
        slow = asyncio.create_task(first.call_tool("get_workflow", {"name": "slow"}))
        await asyncio.sleep(0.8)
        busy_completion = await second.complete(DEBUG, {"name": "name", "value": "hel"})
        with pytest.raises(MCPError) as busy_list:
            await second.list_resources()
        assert argo.calls("WorkflowService_ListWorkflows") == [], "nothing of a refused call reaches Argo"
        done = await slow
        later = await second.complete(DEBUG, {"name": "name", "value": "hel"})
    assert not done.is_error, text_of(done)
    assert busy_completion.completion.values == []
    assert "argo-mcp is busy: 1 calls are already running (--max-inflight-calls)" in busy_list.value.message
    assert later.completion.values == ["hello-1"], "the same completion runs once the slot is free"


async def test_a_destructive_call_outside_the_allow_list_is_refused_before_the_user_is_asked(
    argo: FakeArgo, argo_url: str, tmp_path: Path
) -> None:
    server = await start_without_argo_auth(
        tmp_path, argo_url, "--confirm-destructive", "--namespaces", "team-a"
    )
    user = User()
    try:
        async with elicitation_client(server.url, user) as client:
            refused = await client.call_tool("delete_workflow", {"name": "wf", "namespace": "kube-system"})
    finally:
        await server.stop()
    assert refused.is_error and "outside the namespaces argo-mcp may act in" in text_of(refused)
    assert user.asked == [], "a call that will be refused is not put to the user"
    assert argo.requests == []


# ---- fair admission -------------------------------------------------------------------------------------------
def test_a_caller_beyond_its_share_is_refused_while_another_waits() -> None:
    admission = Admission.of(4)
    held = [admission.enter("alice", "a call") for _ in range(4)]  # alone, alice may use the whole budget
    with pytest.raises(Busy, match=r"4 calls are already running \(--max-inflight-calls\)"):
        admission.enter("bob", "get_workflow")  # bob now waits
    held.pop().release()
    with pytest.raises(Busy, match="its share of the 4") as refused:
        admission.enter("alice", "get_workflow")  # 3 held, share 2 while bob waits
    assert "retry when one of its calls has finished" in str(refused.value)
    admission.enter("bob", "get_workflow")
    assert admission.short.by_caller == {"alice": 3, "bob": 1}


def test_long_calls_have_their_own_budget_and_a_cap_per_caller() -> None:
    admission = Admission.of(2, long_limit=8, long_per_caller=4)
    for _ in range(4):
        admission.enter("alice", "wait_for_workflow", long=True)
    with pytest.raises(Busy, match=r"long calls .*--max-long-calls"):
        admission.enter("alice", "wait_for_workflow", long=True)
    for _ in range(4):
        admission.enter("bob", "wait_for_workflow", long=True)
    with pytest.raises(Busy, match=r"8 long calls \(waits, log follows, downloads\) are already running"):
        admission.enter("carol", "wait_for_workflow", long=True)
    # Every long slot is taken, yet short calls are admitted: waits never starve them.
    admission.enter("carol", "get_workflow")
    admission.enter("alice", "get_workflow")
    assert admission.short.running == 2 and admission.long.running == 8


async def test_waits_and_follows_are_admitted_as_long_calls(
    argo: FakeArgo, argo_client: ArgoClient, tmp_path: Path
) -> None:
    admission = Admission.of(1, long_limit=1, long_per_caller=1)
    pipeline = CallPipeline(_settings(tmp_path), argo_client, admission=admission)
    blocker = admission.enter("someone-else", "a short call")  # the short budget is full
    argo.on("WorkflowService_GetWorkflow", Workflow("done", phase="Succeeded").json())
    argo.on("WorkflowService_WorkflowLogs", stream=ndjson_log([("done-1", "hello")]))
    waited = await pipeline.run(Call(BY_NAME["wait_for_workflow"], {"name": "done"}))
    assert isinstance(waited, Answer), waited
    follow = await pipeline.run(Call(BY_NAME["get_workflow_logs"], {"name": "done", "follow": True}))
    assert isinstance(follow, Answer), follow
    plain = await pipeline.run(Call(BY_NAME["get_workflow_logs"], {"name": "done"}))
    assert isinstance(plain, Refusal) and plain.outcome == "busy"
    blocker.release()


# ---- what a call reads on the way, and what a manifest is made of (issue 27, points 2 and 4) -------------------
class Granting:
    """An authorizer that grants everything but `refused` ((verb resource, namespace) pairs) and records."""

    def __init__(self, *refused: tuple[str, str]) -> None:
        self.refused = set(refused)
        self.asked: list[tuple[str, str]] = []

    async def __call__(self, permission: Permission, namespace: str, caller: Caller | None) -> None:
        asked = (f"{permission.verb} {permission.resource}", namespace)
        self.asked.append(asked)
        if asked in self.refused:
            raise ToolError(f"Refused by Kubernetes RBAC: may not {asked[0]} in {namespace!r}.")


@pytest.mark.parametrize(
    ("kind", "read"),
    [
        ("ClusterWorkflowTemplate", ("get clusterworkflowtemplates", "")),
        ("WorkflowTemplate", ("get workflowtemplates", "team-a")),
        ("CronWorkflow", ("get cronworkflows", "team-a")),
    ],
)
async def test_submit_reviews_the_read_of_what_it_submits_from(
    argo: FakeArgo, argo_client: ArgoClient, tmp_path: Path, kind: str, read: tuple[str, str]
) -> None:
    authorize = Granting(read)
    pipeline = CallPipeline(_settings(tmp_path), argo_client, authorize=authorize)
    outcome = await pipeline.run(
        Call(BY_NAME["submit_workflow"], {"resourceKind": kind, "resourceName": "shared"})
    )
    assert isinstance(outcome, Refusal) and outcome.outcome == "refused", outcome
    assert f"may not {read[0]}" in outcome.message and "Nothing was sent to Argo" in outcome.message
    assert authorize.asked == [("create workflows", "team-a"), read]
    assert argo.requests == []


async def test_a_manifest_naming_a_template_reviews_its_read(
    argo: FakeArgo, argo_client: ArgoClient, tmp_path: Path
) -> None:
    authorize = Granting(("get clusterworkflowtemplates", ""))
    pipeline = CallPipeline(_settings(tmp_path), argo_client, authorize=authorize)
    cron = {
        "metadata": {"name": "nightly"},
        "spec": {
            "schedules": ["0 1 * * *"],
            "workflowSpec": {"workflowTemplateRef": {"name": "shared", "clusterScope": True}},
        },
    }
    outcome = await pipeline.run(Call(BY_NAME["create_cron_workflow"], {"manifest": cron}))
    assert isinstance(outcome, Refusal) and "may not get clusterworkflowtemplates" in outcome.message
    assert ("get clusterworkflowtemplates", "") in authorize.asked
    assert argo.requests == []


DELETING_TEMPLATE = {
    "metadata": {"name": "cleanup"},
    "spec": {
        "entrypoint": "main",
        "templates": [
            {"name": "main", "steps": [[{"name": "wipe", "template": "wipe"}]]},
            {"name": "wipe", "resource": {"action": "delete", "manifest": "kind: ConfigMap\n"}},
        ],
    },
}


async def test_a_manifest_that_deletes_objects_is_refused_under_disable_destructive(
    argo: FakeArgo, argo_client: ArgoClient, tmp_path: Path
) -> None:
    settings = Settings(
        argo=ArgoSettings(server_url="http://unused", auth_mode=AuthMode.NONE, default_namespace="team-a"),
        scope=ScopeSettings(disable_destructive=True),
        artifact_dir=tmp_path,
    )
    outcome = await CallPipeline(settings, argo_client).run(
        Call(BY_NAME["create_workflow_template"], {"manifest": DELETING_TEMPLATE})
    )
    assert isinstance(outcome, Refusal) and outcome.outcome == "refused", outcome
    assert "'wipe' (delete)" in outcome.message and "--disable-destructive" in outcome.message
    assert argo.requests == []


async def test_a_manifest_that_deletes_objects_is_confirmed_and_audited_as_destructive(
    argo: FakeArgo, argo_client: ArgoClient, tmp_path: Path
) -> None:
    argo.on(
        "WorkflowTemplateService_CreateWorkflowTemplate",
        {**DELETING_TEMPLATE, "metadata": {"name": "cleanup", "namespace": "team-a"}},
    )
    confirmer = Asked()
    pipeline = CallPipeline(_settings(tmp_path, confirm=True), argo_client)
    with capture_logs() as logs:
        outcome = await pipeline.run(
            Call(BY_NAME["create_workflow_template"], {"manifest": DELETING_TEMPLATE}), confirmer
        )
        harmless = {
            **DELETING_TEMPLATE,
            "spec": {
                "entrypoint": "main",
                "templates": [{"name": "main", "container": {"image": "busybox"}}],
            },
        }
        await pipeline.run(Call(BY_NAME["create_workflow_template"], {"manifest": harmless}), confirmer)
    assert isinstance(outcome, Answer), outcome
    assert confirmer.asked == [("create_workflow_template", "team-a")], (
        "only the deleting manifest is asked about"
    )
    kinds = [entry["kind"] for entry in logs if entry["event"] == "audit"]
    assert kinds == ["Destructive", "Mutating"]


def test_an_update_that_replaces_an_object_is_destructive_beyond_the_reference() -> None:
    kinds = {name: BY_NAME[name].kind.value for name in BY_NAME if name.startswith("update_")}
    assert kinds == {
        "update_event_source": "Mutating",  # the reference's own annotation
        "update_sensor": "Mutating",
        "update_workflow_template": "Destructive",
        "update_cluster_workflow_template": "Destructive",
        "update_cron_workflow": "Destructive",
    }


async def test_argo_answers_held_at_once_are_bounded_across_calls(
    argo: FakeArgo, argo_url: str, tmp_path: Path
) -> None:
    """--max-buffered-mib: while one call's slow answer holds most of the budget, another call whose answer would
    pass it is refused as busy, and served once the first has finished; nothing stays held."""
    big = {"metadata": {}, "items": [Workflow(f"wf-{i}").json() for i in range(40)]}
    body = json.dumps(big).encode()
    gate = asyncio.Event()

    async def slow() -> AsyncIterator[bytes]:
        yield body[: len(body) - 10]
        await gate.wait()
        yield body[len(body) - 10 :]

    client = ArgoClient(
        ArgoSettings(server_url=argo_url, auth_mode=AuthMode.NONE, max_buffered_bytes=len(body) + 1024)
    )
    pipeline = CallPipeline(_settings(tmp_path), client)
    try:
        argo.on("WorkflowService_ListWorkflows", stream=slow)
        first = asyncio.create_task(pipeline.run(Call(BY_NAME["list_workflows"], {"namespace": "team-a"})))
        for _ in range(1000):  # until the first answer is mostly read (bounded: 10 s)
            if client.answers.held >= len(body) - 10:
                break
            await asyncio.sleep(0.01)
        argo.on("WorkflowService_ListWorkflows", big)
        refused = await pipeline.run(Call(BY_NAME["list_workflows"], {"namespace": "team-b"}))
        assert isinstance(refused, Refusal) and refused.outcome == "busy", refused
        assert "--max-buffered-mib" in refused.message and "retry in a few seconds" in refused.message
        gate.set()
        assert isinstance(await first, Answer)
        assert isinstance(
            await pipeline.run(Call(BY_NAME["list_workflows"], {"namespace": "team-b"})), Answer
        )
        assert client.answers.held == 0, "every answer gives its bytes back"
    finally:
        await client.close()
