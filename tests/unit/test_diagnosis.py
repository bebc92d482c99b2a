"""get_workflow_node and diagnose_workflow through a real MCP client against the swagger-checked stand-in, and
the token estimate diagnose_workflow is bounded by, checked against a real tokenizer (cl100k_base)."""

from __future__ import annotations

import base64
import copy
import json
import random
import secrets
import string
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from argo_mcp.tools.budget import estimate_tokens, tail_within
from argo_mcp.tools.diagnosis import DIAGNOSIS_FIELDS, NODE_FIELDS, PENDING_SECONDS, stuck_nodes
from argo_mcp.tools.shaping import pod_name
from bench.tokens import count_tokens
from tests.support.fake_argo import FakeArgo, Workflow, ndjson_log
from tests.support.processes import ServerProcess, http_client, payload, text_of
from tests.support.samples import NAME, failed_workflow, node


# ---- get_workflow_node --------------------------------------------------------------------------------------
async def test_node_by_id_and_by_display_name(argo: FakeArgo, shared_server: ServerProcess) -> None:
    argo.on("WorkflowService_GetWorkflow", failed_workflow())
    async with http_client(shared_server.url) as client:
        by_id = payload(await client.call_tool("get_workflow_node", {"name": NAME, "node": f"{NAME}-4"}))
        by_name = payload(await client.call_tool("get_workflow_node", {"name": NAME, "node": "build(1)"}))
        group = payload(await client.call_tool("get_workflow_node", {"name": NAME, "node": "build"}))
    assert argo.last("WorkflowService_GetWorkflow").query_dict == {"fields": NODE_FIELDS}
    assert by_id == by_name
    found = by_id["node"]
    assert found["id"] == f"{NAME}-4" and found["templateName"] == "build"
    assert found["podName"] == pod_name(NAME, failed_workflow()["status"]["nodes"][f"{NAME}-4"])
    assert found["inputs"]["parameters"][1] == {"name": "api-token", "value": "[redacted]"}
    assert found["message"] == "Error (exit code 2): password=[redacted] rejected"
    assert found["outputs"] == {"exitCode": "2"}
    assert found["durationSeconds"] == 42
    assert found["parent"] == {"id": f"{NAME}-2", "name": "build", "type": "Retry", "phase": "Failed"}
    assert group["node"]["children"] == [
        {"id": f"{NAME}-3", "name": "build(0)", "type": "Pod", "phase": "Failed"},
        {"id": f"{NAME}-4", "name": "build(1)", "type": "Pod", "phase": "Failed"},
    ]


async def test_unknown_and_ambiguous_nodes_are_clear_errors(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    wf = failed_workflow()
    twin = copy.deepcopy(wf["status"]["nodes"][f"{NAME}-5"])
    twin["id"] = f"{NAME}-9"
    wf["status"]["nodes"][twin["id"]] = twin
    argo.on("WorkflowService_GetWorkflow", wf)
    async with http_client(shared_server.url) as client:
        unknown = await client.call_tool("get_workflow_node", {"name": NAME, "node": "deploy"})
        twice = await client.call_tool("get_workflow_node", {"name": NAME, "node": "test"})
    assert unknown.is_error and "no node with id or name 'deploy'" in text_of(unknown)
    assert "build(0)" in text_of(unknown)  # what it could have asked for
    assert twice.is_error and "2 nodes are named 'test'" in text_of(twice)
    assert f"{NAME}-5" in text_of(twice) and f"{NAME}-9" in text_of(twice)


# ---- diagnose_workflow --------------------------------------------------------------------------------------
async def test_diagnosis_names_the_failed_steps_with_logs_retries_and_inputs(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    wf = failed_workflow()
    argo.on("WorkflowService_GetWorkflow", wf)
    argo.on(
        "WorkflowService_PodLogs",
        stream=ndjson_log([("p", "connecting"), ("p", "fatal: token=abc rejected")]),
    )
    async with http_client(shared_server.url) as client:
        result = await client.call_tool("diagnose_workflow", {"name": NAME, "tailLines": 50})
    assert not result.is_error, text_of(result)
    answer = payload(result)
    assert argo.last("WorkflowService_GetWorkflow").query_dict == {"fields": DIAGNOSIS_FIELDS}
    nodes = wf["status"]["nodes"]
    pods = {pod_name(NAME, nodes[f"{NAME}-4"]), pod_name(NAME, nodes[f"{NAME}-6"])}
    logs = argo.calls("WorkflowService_PodLogs")
    assert {r.path_params["podName"] for r in logs} == pods
    assert all(r.query_dict == {"logOptions.container": "main", "logOptions.tailLines": "50"} for r in logs)

    assert answer["workflow"]["phase"] == "Failed"
    failed = answer["failedNodes"]
    assert [n["name"] for n in failed] == [
        "lint",
        "build(1)",
    ]  # by start time; build(0) is an earlier attempt
    lint, build = failed
    assert build["template"] == "build" and build["exitCode"] == "2" and build["durationSeconds"] == 42
    assert build["retries"] == {"attempts": 2, "failedAttempts": 2}
    assert build["inputs"] == {"parameters": {"repo": "git@x:etl", "api-token": "[redacted]"}}
    assert build["message"] == "Error (exit code 2): password=[redacted] rejected"
    assert build["logTail"] == "connecting\nfatal: token=[redacted] rejected\n"
    assert lint["template"] == "shared/lint" and lint["phase"] == "Error" and "retries" not in lint
    assert answer["verdict"] == "lint (shared/lint) error: pod deleted"
    assert count_tokens(text_of(result)) <= 4000


def _adversarial_log(lines: int) -> list[tuple[str, str]]:
    rows = []
    for i in range(lines):
        kind = i % 4
        if kind == 0:
            text = secrets.token_hex(60)
        elif kind == 1:
            text = base64.b64encode(secrets.token_bytes(90)).decode()
        elif kind == 2:
            text = "".join(chr(random.randint(0x4E00, 0x9FFF)) for _ in range(40))
        else:
            text = "".join(random.choice(string.punctuation) for _ in range(100))
        rows.append(("p", f"{i:05d} {text}"))
    rows.append(("p", "LAST LINE: the decisive error"))
    return rows


async def test_diagnosis_stays_within_4000_tokens_on_hostile_input(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    wf = failed_workflow()
    nodes = wf["status"]["nodes"]
    for i in range(12):  # many failing pods, each with a long message and big inputs
        nodes[f"{NAME}-p{i}"] = node(
            f"{NAME}-p{i}",
            f"shard-{i}",
            "Pod",
            "Failed",
            templateName="shard",
            startedAt=f"2026-11-25T10:1{i % 10}:00Z",
            message="".join(random.choice(string.ascii_letters) for _ in range(3000)),
            inputs={"parameters": [{"name": f"p{j}", "value": secrets.token_hex(400)} for j in range(10)]},
        )
    argo.on("WorkflowService_GetWorkflow", wf)
    argo.on("WorkflowService_PodLogs", stream=ndjson_log(_adversarial_log(200)))
    async with http_client(shared_server.url) as client:
        result = await client.call_tool("diagnose_workflow", {"name": NAME, "tailLines": 200})
    assert not result.is_error, text_of(result)
    text = text_of(result)
    assert count_tokens(text) <= 4000 and estimate_tokens(text) <= 4000
    answer = json.loads(text)
    assert answer["moreFailedNodes"] >= 7  # 14 failing pods, at most 5 described
    tails = [n for n in answer["failedNodes"] if "logTail" in n]
    assert tails and all(n["logTruncated"] for n in tails)
    assert all(n["logTail"].endswith("LAST LINE: the decisive error\n") for n in tails)  # the end is kept


async def test_diagnosis_of_a_workflow_that_did_not_fail(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    argo.on("WorkflowService_GetWorkflow", Workflow(NAME, phase="Succeeded").json())
    async with http_client(shared_server.url) as client:
        answer = payload(await client.call_tool("diagnose_workflow", {"name": NAME}))
    assert answer["verdict"] == "the workflow is Succeeded, not failed"
    assert answer["failedNodes"] == []
    assert argo.calls("WorkflowService_PodLogs") == []


async def test_a_missing_pod_log_does_not_sink_the_diagnosis(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    argo.on("WorkflowService_GetWorkflow", failed_workflow())
    argo.error("WorkflowService_PodLogs", 404, 'pods "etl-x1-build-1" not found', grpc_code=5)
    async with http_client(shared_server.url) as client:
        result = await client.call_tool("diagnose_workflow", {"name": NAME})
    assert not result.is_error, text_of(result)
    failed = payload(result)["failedNodes"]
    assert all("not found" in n["logError"] and "logTail" not in n for n in failed)


# ---- the estimate -------------------------------------------------------------------------------------------
def _samples() -> dict[str, str]:
    return {
        "hex": secrets.token_hex(2000),
        "base64": base64.b64encode(secrets.token_bytes(3000)).decode(),
        "alphanumeric": "".join(random.choice(string.ascii_letters + string.digits) for _ in range(4000)),
        "lowercase": "".join(random.choice(string.ascii_lowercase) for _ in range(4000)),
        "punctuation": "".join(random.choice(string.punctuation) for _ in range(4000)),
        "printable": "".join(random.choice(string.printable) for _ in range(4000)),
        "cjk": "".join(chr(random.randint(0x4E00, 0x9FFF)) for _ in range(1000)),
        "emoji": "".join(chr(random.randint(0x1F300, 0x1F6FF)) for _ in range(1000)),
        "spaces": " \t" * 2000,
        "english": "The quick brown fox jumps over the lazy dog. " * 90,
    }


@pytest.mark.parametrize("kind", sorted(_samples()))
def test_the_estimate_is_an_upper_bound_of_cl100k(kind: str) -> None:
    text = _samples()[kind]
    assert estimate_tokens(text) >= count_tokens(text), kind


def test_tail_within_keeps_the_end_at_a_line_start() -> None:
    text = "".join(f"line {i}\n" for i in range(500))
    tail, cut = tail_within(text, 200)
    assert cut and text.endswith(tail) and tail.startswith("line ")
    assert estimate_tokens(json.dumps(tail)) <= 200
    assert tail_within("short\n", 200) == ("short\n", False)


@pytest.fixture(autouse=True)
def _seeded() -> None:
    random.seed(13)


# ---- stuck pods (issue 26: "Running, not failed" for a pod in ImagePullBackOff) --------------------------------
def running_with(*pending: dict[str, Any]) -> dict[str, Any]:
    wf = Workflow(NAME, phase="Running").json()
    root = node(NAME, NAME, "Steps", "Running", children=[p["id"] for p in pending], finishedAt=None)
    wf["status"]["nodes"] = {n["id"]: {k: v for k, v in n.items() if v is not None} for n in (root, *pending)}
    return wf


def pending(node_id: str, display: str, message: str, started: str) -> dict[str, Any]:
    return node(
        node_id,
        display,
        "Pod",
        "Pending",
        templateName=display,
        startedAt=started,
        finishedAt=None,
        message=message,
    )


async def test_a_running_workflow_whose_pod_cannot_pull_its_image_is_stuck_with_the_fix(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    pull = pending(
        f"{NAME}-1", "main", 'ImagePullBackOff: Back-off pulling image "nope/none:1"', "2026-11-25T10:00:05Z"
    )
    argo.on("WorkflowService_GetWorkflow", running_with(pull))
    async with http_client(shared_server.url) as client:
        answer = payload(await client.call_tool("diagnose_workflow", {"name": NAME}))
    assert answer["verdict"].startswith("the workflow is Running but stuck: main ImagePullBackOff"), answer
    assert "not failed" not in answer["verdict"]
    (stuck,) = answer["stuckNodes"]
    assert stuck["reason"] == "ImagePullBackOff" and "nope/none:1" in stuck["message"]
    assert "image name and tag" in stuck["fix"] and "imagePullSecrets" in stuck["fix"]
    assert stuck["pod"] == pod_name(NAME, pull) and stuck["pendingSeconds"] > 0
    assert argo.calls("WorkflowService_PodLogs") == []  # a pod that never started has no log to read


@pytest.mark.parametrize(
    ("message", "reason", "fix"),
    [
        ("ErrImagePull: rpc error: pull access denied", "ErrImagePull", "registry"),
        ('InvalidImageName: Failed to apply default image tag "UPPER:x"', "InvalidImageName", "malformed"),
        ("Unschedulable: 0/1 nodes are available: 1 Insufficient cpu.", "Unschedulable", "resource requests"),
        (
            'CreateContainerConfigError: secret "db-pass" not found',
            "CreateContainerConfigError",
            "Secret or ConfigMap",
        ),
    ],
)
def test_each_known_reason_has_its_fix_at_once(message: str, reason: str, fix: str) -> None:
    now = datetime(2026, 11, 25, 10, 0, 10, tzinfo=UTC)
    nodes = {"n": pending("n", "step", message, "2026-11-25T10:00:05Z")}
    (stuck,) = stuck_nodes(NAME, nodes, now=now)
    assert stuck["reason"] == reason and fix in stuck["fix"] and stuck["pendingSeconds"] == 5


def test_a_pod_pending_for_long_without_a_known_reason_is_stuck_and_a_young_one_is_not() -> None:
    nodes = {
        "young": pending("young", "a", "PodInitializing", "2026-11-25T10:00:00Z"),
        "old": pending("old", "b", "", "2026-11-25T09:00:00Z"),
        "ok": node("ok", "c", "Pod", "Running", templateName="c"),
    }
    now = datetime(2026, 11, 25, 10, 1, tzinfo=UTC)
    (stuck,) = stuck_nodes(NAME, nodes, now=now)
    assert stuck["id"] == "old" and stuck["reason"] == "PendingTooLong" and stuck["pendingSeconds"] == 3660
    assert "message" not in stuck and "quota" in stuck["fix"]
    later = datetime(2026, 11, 25, 10, 0, 1, tzinfo=UTC) + timedelta(seconds=PENDING_SECONDS)
    assert [s["id"] for s in stuck_nodes(NAME, nodes, now=later)] == ["old", "young"]
