"""The rules of issue 27 held against a real argo-mcp process, through raw JSON-RPC (robustness suite).

- No confused deputy: under `--auth-inbound kubernetes`, a caller who may create workflows (or cron workflows)
  but not read a ClusterWorkflowTemplate cannot have argo-mcp read it for them: neither by submitting from it nor
  by a manifest whose `workflowTemplateRef` names it. Argo receives nothing.
- Destructive by composition: a WorkflowTemplate, ClusterWorkflowTemplate or CronWorkflow manifest with a
  `resource` template that deletes or replaces objects (at the top, inlined in steps or a DAG at any depth, as an
  object or YAML text) is refused under `--disable-destructive` and put to the user under
  `--confirm-destructive`; a harmless one is neither. Hypothesis builds such manifests at random depths.
- Sealed confirmations: no requestState a client makes up, mutates, replays late, or takes from another caller,
  other arguments or another key runs a destructive call; the one the server sealed does.

Examples per property: a few dozen in the unit suite, more under ARGO_MCP_FUZZ_PROFILE=soak (`./dev soak`).
"""

from __future__ import annotations

import base64
import hashlib
import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
import pytest_asyncio
import yaml
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from argo_mcp.calls.confirm import state_for
from argo_mcp.sealing import Sealer
from argo_mcp.tools import ALL_TOOLS
from tests.support import fuzz
from tests.support.fake_argo import FakeArgo
from tests.support.kube_auth import FakeKubeAuth
from tests.support.processes import ServerProcess, start_argo_mcp
from tests.support.raw_mcp import Answer, call_tool
from tests.support.rpc import confirm_call, input_required

BY_NAME = {tool.name: tool for tool in ALL_TOOLS}
MANY = max(30, hypothesis_settings().max_examples)  # unit: 30 examples, soak: 150
INTERNAL = ("failed unexpectedly", "Traceback")
CONFIG_MAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n"
assert fuzz.CUSTOM_FORMATS  # the suite's hypothesis profiles (unit / soak) are loaded by importing it


# ---- manifests ------------------------------------------------------------------------------------------------
def resource_template(name: str, action: str) -> dict[str, Any]:
    return {"name": name, "resource": {"action": action, "manifest": CONFIG_MAP}}


def container(name: str) -> dict[str, Any]:
    return {"name": name, "container": {"image": "busybox", "command": ["true"]}}


def in_steps(name: str, inner: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "steps": [[{"name": f"{name}-s", "inline": inner}]]}


def in_dag(name: str, inner: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "dag": {"tasks": [{"name": f"{name}-t", "inline": inner}]}}


# kind -> (create tool, update tool)
TOOLS = {
    "WorkflowTemplate": ("create_workflow_template", "update_workflow_template"),
    "ClusterWorkflowTemplate": ("create_cluster_workflow_template", "update_cluster_workflow_template"),
    "CronWorkflow": ("create_cron_workflow", "update_cron_workflow"),
}


def manifest(kind: str, templates: list[dict[str, Any]], name: str = "cleanup") -> dict[str, Any]:
    spec: dict[str, Any] = {"entrypoint": templates[0]["name"], "templates": templates}
    metadata: dict[str, Any] = {"name": name}
    if kind == "CronWorkflow":
        return {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": kind,
            "metadata": metadata,
            "spec": {"schedules": ["0 1 * * *"], "workflowSpec": spec},
        }
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": kind, "metadata": metadata, "spec": spec}


DESTRUCTIVE: dict[str, tuple[list[dict[str, Any]], str]] = {
    # label -> (templates, what the refusal names)
    "delete": (
        [
            {"name": "main", "steps": [[{"name": "go", "template": "wipe"}]]},
            resource_template("wipe", "delete"),
        ],
        "'wipe' (delete)",
    ),
    "replace": ([resource_template("overwrite", "replace")], "'overwrite' (replace)"),
    "inline-in-steps": (
        [in_steps("main", resource_template("wipe", "delete"))],
        "'wipe' (delete)",
    ),
    "inline-in-dag": (
        [container("first"), in_dag("main", in_steps("inner", resource_template("swap", "replace")))],
        "'swap' (replace)",
    ),
}
HARMLESS = [
    container("main"),
    resource_template("make", "create"),
    resource_template("apply", "apply"),
    resource_template("look", "get"),
    resource_template("patch", "patch"),
]


def cases() -> list[Any]:
    found = []
    for kind in TOOLS:
        for label, (templates, named) in DESTRUCTIVE.items():
            for as_yaml in (False, True):
                document = manifest(kind, templates)
                value: Any = yaml.safe_dump(document) if as_yaml else document
                ident = f"{kind}-{label}{'-yaml' if as_yaml else ''}"
                found.append(pytest.param(kind, value, named, id=ident))
    return found


# ---- servers --------------------------------------------------------------------------------------------------
@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def servers(
    argo_fake: tuple[FakeArgo, str], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[dict[str, Any]]:
    """One argo-mcp refusing destructive calls, one confirming them (with a task key the test knows, so it can
    forge the strongest states: the right key for the wrong subject, or for the right one but expired)."""
    _, url = argo_fake
    tmp = tmp_path_factory.mktemp("robust-rules")
    key = tmp / "task-key"
    key.write_bytes(base64.b64encode(hashlib.sha256(b"robust-rules").digest() * 2))
    base = ("--argo-server-url", url, "--argo-auth-mode", "none", "--argo-default-namespace", "argo")
    refusing = await start_argo_mcp(tmp, *base, "--disable-destructive")
    confirming = await start_argo_mcp(tmp, *base, "--confirm-destructive", "--task-key-file", str(key))
    try:
        async with aiohttp.ClientSession() as session:
            yield {
                "refusing": refusing,
                "confirming": confirming,
                "session": session,
                "sealer": Sealer.from_file(key),
            }
    finally:
        await refusing.stop()
        await confirming.stop()
    for server in (refusing, confirming):
        assert "tool_failed_unexpectedly" not in server.stderr()


def clean(answer: Answer) -> Answer:
    assert answer.status == 200 and answer.message is not None, answer.body[:300]
    for marker in INTERNAL:
        assert marker not in answer.body, answer.body[:600]
    return answer


def created(kind: str, name: str = "cleanup") -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "uid": "0b3c7f4e-5a1d-4c2e-9f00-000000000099"}
    spec = {"entrypoint": "main", "templates": [container("main")]}
    if kind == "ClusterWorkflowTemplate":
        return {"metadata": metadata, "spec": spec}
    metadata["namespace"] = "argo"
    if kind == "CronWorkflow":
        return {"metadata": metadata, "spec": {"schedules": ["0 1 * * *"], "workflowSpec": spec}}
    return {"metadata": metadata, "spec": spec}


CREATE_OPERATION = {
    "WorkflowTemplate": "WorkflowTemplateService_CreateWorkflowTemplate",
    "ClusterWorkflowTemplate": "ClusterWorkflowTemplateService_CreateClusterWorkflowTemplate",
    "CronWorkflow": "CronWorkflowService_CreateCronWorkflow",
}


# ---- destructive by composition ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("kind", "value", "named"), cases())
async def test_a_manifest_that_deletes_or_replaces_is_refused_and_asked(
    argo: FakeArgo, servers: dict[str, Any], kind: str, value: Any, named: str
) -> None:
    session = servers["session"]
    create, update = TOOLS[kind]
    argo.on(CREATE_OPERATION[kind], created(kind))  # were it sent, Argo would take it: the test says what ran
    refused = clean(await call_tool(session, servers["refusing"].url, create, {"manifest": value}))
    assert refused.tool_error, (
        f"{create} of a deleting {kind} ran under --disable-destructive: {refused.text}"
    )
    assert "--disable-destructive" in refused.text and named in refused.text, refused.text
    for tool in (create, update):
        asked = clean(await confirm_call(session, servers["confirming"].url, tool, {"manifest": value}))
        assert input_required(asked), (
            f"{tool} of a deleting {kind} was not put to the user: {asked.body[:400]}"
        )
    assert argo.requests == [], "nothing reaches Argo before the user confirms"


@pytest.mark.parametrize("kind", list(TOOLS))
async def test_a_harmless_manifest_is_neither_refused_nor_asked(
    argo: FakeArgo, servers: dict[str, Any], kind: str
) -> None:
    session = servers["session"]
    create, _ = TOOLS[kind]
    argo.on(CREATE_OPERATION[kind], created(kind))
    harmless = manifest(kind, HARMLESS)
    for server, as_yaml in ((servers["refusing"], False), (servers["confirming"], True)):
        value: Any = yaml.safe_dump(harmless) if as_yaml else harmless
        if server is servers["confirming"]:
            answer = clean(await confirm_call(session, server.url, create, {"manifest": value}))
            assert input_required(answer) is None, (
                f"a harmless {kind} was put to the user: {answer.body[:300]}"
            )
        else:
            answer = clean(await call_tool(session, server.url, create, {"manifest": value}))
        assert not answer.tool_error, answer.text
    assert len(argo.calls(CREATE_OPERATION[kind])) == 2


async def test_a_confirmed_deleting_manifest_runs_and_is_audited_as_destructive(
    argo: FakeArgo, servers: dict[str, Any]
) -> None:
    """The question is a real gate, not a wall: the sealed state with the user's yes runs the call once."""
    session, server = servers["session"], servers["confirming"]
    argo.on(CREATE_OPERATION["CronWorkflow"], created("CronWorkflow"))
    arguments = {"manifest": manifest("CronWorkflow", DESTRUCTIVE["delete"][0])}
    state = input_required(clean(await confirm_call(session, server.url, "create_cron_workflow", arguments)))
    assert state and argo.requests == []
    declined = clean(
        await confirm_call(
            session, server.url, "create_cron_workflow", arguments, state=state, confirmed=False
        )
    )
    assert declined.tool_error and "nothing was sent to Argo" in declined.text, declined.text
    assert argo.requests == []
    done = clean(await confirm_call(session, server.url, "create_cron_workflow", arguments, state=state))
    assert not done.tool_error and input_required(done) is None, done.body[:400]
    assert len(argo.calls(CREATE_OPERATION["CronWorkflow"])) == 1
    audits = [
        r for r in server.logs() if r.get("event") == "audit" and r.get("tool") == "create_cron_workflow"
    ]
    assert audits and audits[-1]["kind"] == "Destructive", audits[-1:]


def _nest(leaf: dict[str, Any], wrappers: list[str]) -> dict[str, Any]:
    node = leaf
    for depth, how in enumerate(wrappers):
        node = (in_steps if how == "steps" else in_dag)(f"level-{depth}", node)
    return node


@st.composite
def deleting_manifests(draw: st.DrawFn) -> tuple[str, Any, str]:
    """(kind, manifest as object or YAML text, the deleting template's name): a resource template that deletes
    or replaces, wrapped in 0-8 levels of inline steps/DAG tasks, among harmless templates at a random place."""
    kind = draw(st.sampled_from(sorted(TOOLS)))
    action = draw(st.sampled_from(["delete", "replace", "Delete", "REPLACE"]))
    name = draw(st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True))
    wrappers = draw(st.lists(st.sampled_from(["steps", "dag"]), max_size=8))
    others = draw(st.lists(st.sampled_from(HARMLESS), max_size=4))
    place = draw(st.integers(0, len(others)))
    templates = [container("main"), *others]
    templates.insert(place + 1, _nest(resource_template(name, action), wrappers))
    document = manifest(kind, templates)
    as_yaml = draw(st.booleans())
    return kind, yaml.safe_dump(document) if as_yaml else document, name


@hypothesis_settings(max_examples=MANY)
@given(case=deleting_manifests())
async def test_deleting_templates_at_any_depth_are_always_caught(
    argo: FakeArgo, servers: dict[str, Any], case: tuple[str, Any, str]
) -> None:
    kind, value, name = case
    session = servers["session"]
    create, _ = TOOLS[kind]
    argo.on(CREATE_OPERATION[kind], created(kind))
    before = len(argo.requests)
    refused = clean(await call_tool(session, servers["refusing"].url, create, {"manifest": value}))
    assert refused.tool_error and "--disable-destructive" in refused.text, (kind, refused.text[:400])
    assert f"'{name}' (" in refused.text, refused.text[:400]
    asked = clean(await confirm_call(session, servers["confirming"].url, create, {"manifest": value}))
    assert input_required(asked), (kind, asked.body[:400])
    assert len(argo.requests) == before, [r.operation for r in argo.requests[before:]]


# ---- sealed confirmations ---------------------------------------------------------------------------------------
DELETE = "WorkflowService_DeleteWorkflow"
TARGET = {"name": "hello-abc12", "namespace": "argo"}
PREFIX = "argo-mcp/confirm/v2:"


def _subject(arguments: dict[str, Any], caller: str = "", tool: str = "delete_workflow") -> bytes:
    return orjson.dumps({"arguments": arguments, "caller": caller, "tool": tool}, option=orjson.OPT_SORT_KEYS)


def _flip(token: str, rng: random.Random) -> str:
    """The token with one bit of its decoded bytes flipped (so never the same seal in another spelling)."""
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    spot = rng.randrange(len(raw))
    raw[spot] ^= 1 << rng.randrange(8)
    return base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")


@st.composite
def forged_states(draw: st.DrawFn) -> tuple[str, Any]:
    """(how, a function of (genuine state, sealer) -> a forged state)."""
    how = draw(
        st.sampled_from(
            [
                "random-text",
                "random-bytes",
                "bit-flip",
                "truncated",
                "extended",
                "old-prefix",
                "no-prefix",
                "other-arguments",
                "other-tool",
                "other-caller",
                "other-key",
                "expired",
                "unsealed-digest",
            ]
        )
    )
    seed = draw(st.integers(0, 2**32 - 1))
    text = draw(st.text(max_size=200))
    blob = draw(st.binary(min_size=0, max_size=64))
    cut = draw(st.integers(1, 40))
    other = draw(st.from_regex(r"[a-z][a-z0-9-]{0,30}", fullmatch=True).filter(lambda n: n != TARGET["name"]))

    def forge(genuine: str, sealer: Sealer) -> str:
        token = genuine.removeprefix(PREFIX)
        rng = random.Random(seed)
        if how == "random-text":
            return text
        if how == "random-bytes":
            return PREFIX + base64.urlsafe_b64encode(blob).decode().rstrip("=")
        if how == "bit-flip":
            return PREFIX + _flip(token, rng)
        if how == "truncated":
            return genuine[:-cut]
        if how == "extended":
            return genuine + text[:cut] + "A"
        if how == "old-prefix":
            return "argo-mcp/confirm/v1:" + token
        if how == "no-prefix":
            return token
        if how == "other-arguments":
            return state_for(sealer, BY_NAME["delete_workflow"], {**TARGET, "name": other}, "")
        if how == "other-tool":
            return PREFIX + sealer.seal("confirm", _subject(TARGET, tool="terminate_workflow"), 300)
        if how == "other-caller":
            return PREFIX + sealer.seal("confirm", _subject(TARGET, caller=other), 300)
        if how == "other-key":
            return state_for(Sealer(other.encode() * 32, shared=True), BY_NAME["delete_workflow"], TARGET, "")
        if how == "expired":
            return PREFIX + sealer.seal("confirm", _subject(TARGET), -rng.randint(1, 10_000))
        digest = hashlib.sha256(orjson.dumps({"tool": "delete_workflow", "arguments": TARGET})).hexdigest()
        return "argo-mcp/confirm/v1:" + digest

    return how, forge


@hypothesis_settings(max_examples=MANY)
@given(forged=forged_states())
async def test_no_forged_or_mutated_state_runs_a_destructive_call(
    argo: FakeArgo, servers: dict[str, Any], forged: tuple[str, Any]
) -> None:
    how, forge = forged
    session, server = servers["session"], servers["confirming"]
    argo.on(DELETE, {})
    genuine = input_required(clean(await confirm_call(session, server.url, "delete_workflow", TARGET)))
    assert genuine and genuine.startswith(PREFIX)
    state = forge(genuine, servers["sealer"])
    assert state != genuine
    answer = await confirm_call(session, server.url, "delete_workflow", TARGET, state=state)
    assert answer.status in (200, 400), answer.body[:300]  # 400: a state the SDK's schema refuses outright
    if answer.status == 200:
        clean(answer)
        assert input_required(answer), f"{how}: {state!r} was taken as an answer: {answer.body[:300]}"
    assert argo.calls(DELETE) == [], f"{how}: {state!r} ran delete_workflow"


async def test_the_seal_the_server_made_and_one_made_with_its_key_both_run(
    argo: FakeArgo, servers: dict[str, Any]
) -> None:
    """The property above could fail: with the server's key and the right subject a state is accepted (so the
    forgeries are refused for what they are, not because every retry is)."""
    session, server = servers["session"], servers["confirming"]
    argo.on(DELETE, {})
    genuine = input_required(clean(await confirm_call(session, server.url, "delete_workflow", TARGET)))
    assert genuine
    ran = clean(await confirm_call(session, server.url, "delete_workflow", TARGET, state=genuine))
    assert not ran.tool_error and input_required(ran) is None, ran.body[:300]
    made = PREFIX + servers["sealer"].seal("confirm", _subject(TARGET), 60)
    again = clean(await confirm_call(session, server.url, "delete_workflow", TARGET, state=made))
    assert not again.tool_error and input_required(again) is None, again.body[:300]
    assert len(argo.calls(DELETE)) == 2


# ---- no confused deputy ------------------------------------------------------------------------------------------
SUBMITTED = {
    "metadata": {"name": "shared-x1y2z", "namespace": "argo", "uid": "0b3c7f4e-5a1d-4c2e-9f00-000000000123"},
    "spec": {"workflowTemplateRef": {"name": "shared", "clusterScope": True}},
    "status": {},
}


async def test_a_caller_who_may_not_read_a_cluster_template_cannot_use_it(
    argo: FakeArgo,
    kube: tuple[FakeKubeAuth, Path],
    k8s_server: ServerProcess,
) -> None:
    fake, _ = kube
    user = fake.service_account(
        "submitter-token",
        "system:serviceaccount:argo:submitter",
        ("create", "workflows", "argo"),
        ("create", "cronworkflows", "argo"),
    )
    caller = {"Authorization": "Bearer submitter-token"}
    cron = manifest("CronWorkflow", [container("main")], name="nightly")
    cron["spec"]["workflowSpec"] = {"workflowTemplateRef": {"name": "shared", "clusterScope": True}}
    attempts: list[tuple[str, dict[str, Any]]] = [
        ("submit_workflow", {"resourceKind": "ClusterWorkflowTemplate", "resourceName": "shared"}),
        ("create_cron_workflow", {"manifest": cron}),
        ("create_cron_workflow", {"manifest": yaml.safe_dump(cron)}),
    ]
    async with aiohttp.ClientSession() as session:
        for name, arguments in attempts:
            answer = clean(await call_tool(session, k8s_server.url, name, {**arguments}, headers=caller))
            assert answer.tool_error, f"{name} read a ClusterWorkflowTemplate for {user}: {answer.text}"
            assert f"{user} may not get clusterworkflowtemplates" in answer.text, answer.text
            assert "Nothing was sent to Argo" in answer.text, answer.text
        assert argo.requests == [], [r.operation for r in argo.requests]
        # The same caller, once granted the read, submits: the refusal was the missing read, nothing else.
        fake.allowed.add((user, "get", "clusterworkflowtemplates", ""))
        argo.on("WorkflowService_SubmitWorkflow", SUBMITTED)
        done = clean(await call_tool(session, k8s_server.url, *attempts[0], headers=caller))
    assert not done.tool_error, done.text
    assert [r.operation for r in argo.requests] == ["WorkflowService_SubmitWorkflow"]
    assert "submitter-token" not in k8s_server.stderr()


async def test_a_cluster_template_naming_another_reviews_the_read_of_it(
    argo: FakeArgo,
    kube: tuple[FakeKubeAuth, Path],
    k8s_server: ServerProcess,
) -> None:
    """A ClusterWorkflowTemplate whose step names another one (`templateRef` with clusterScope) makes Argo read
    that one with the caller's identity, as a namespaced manifest's reference does."""
    fake, _ = kube
    user = fake.service_account(
        "platform-token", "system:serviceaccount:argo:platform", ("create", "clusterworkflowtemplates", "")
    )
    argo.on(CREATE_OPERATION["ClusterWorkflowTemplate"], created("ClusterWorkflowTemplate"))
    step = {"name": "go", "templateRef": {"name": "shared", "template": "main", "clusterScope": True}}
    document = manifest("ClusterWorkflowTemplate", [{"name": "main", "steps": [[step]]}], name="wrapper")
    async with aiohttp.ClientSession() as session:
        answer = clean(
            await call_tool(
                session,
                k8s_server.url,
                "create_cluster_workflow_template",
                {"manifest": document},
                headers={"Authorization": "Bearer platform-token"},
            )
        )
    assert answer.tool_error, f"create_cluster_workflow_template read 'shared' for {user}: {answer.text}"
    assert f"{user} may not get clusterworkflowtemplates" in answer.text, answer.text
    assert argo.requests == [], [r.operation for r in argo.requests]
