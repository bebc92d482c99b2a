"""Every argo-mcp tool, called through a real MCP client, against the real kube-apiserver and Argo Workflows.

argo-mcp runs as a separate process (streamable HTTP; one test over stdio) with a ServiceAccount token minted by
the TokenRequest API; the Argo Server runs in client auth mode, so Kubernetes RBAC decides for real.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import mcp_types as types
import pytest
import pytest_asyncio
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from tests.e2e.mcp_support import (
    WF,
    call,
    call_error,
    call_text,
    container,
    simple_template,
    start_with_token,
    wait_phase,
    wait_restarted,
)
from tests.e2e.stack.fixture import E2EStack
from tests.support.processes import (
    REPO,
    ServerProcess,
    clean_env,
    http_client,
    payload,
    start_argo_mcp,
    text_of,
)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def mcp(stack: E2EStack, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ServerProcess]:
    """argo-mcp in bearer-file mode with the full-access ServiceAccount's token."""
    tmp = tmp_path_factory.mktemp("mcp-full")
    server = await start_with_token(
        stack, tmp, stack.mint_token(stack.full_sa, seconds=3600), "--artifact-dir", str(tmp / "artifacts")
    )
    yield server
    await server.stop()


# ---- info ---------------------------------------------------------------------------------------------------
@pytest.mark.compat
async def test_info_tools(stack: E2EStack, mcp: ServerProcess) -> None:
    version = await call(mcp, "get_argo_version", {})
    assert version["version"].startswith(stack.versions["argo-workflows"])
    info = await call(mcp, "get_argo_info", {})
    assert isinstance(info, dict)
    user = await call(mcp, "get_user_info", {})
    assert user.get("serviceAccountName") == stack.full_sa or stack.full_sa in json.dumps(user)


# ---- submit from the three template kinds, watch it succeed, read it back ------------------------------------
@pytest.mark.compat
async def test_submit_from_workflow_template_and_read_it(stack: E2EStack, mcp: ServerProcess) -> None:
    template = stack.unique("tmpl")
    simple_template(stack, template, log="hello from the main container")
    submitted = await call(
        mcp,
        "submit_workflow",
        {
            "resourceKind": "WorkflowTemplate",
            "resourceName": template,
            "parameters": {"message": "hi"},
            "labels": {"e2e-case": template},
        },
    )
    name = submitted["name"]
    done = await call(mcp, "wait_for_workflow", {"name": name, "timeoutSeconds": 120, "pollSeconds": 1})
    assert done["finished"] and done["workflow"]["phase"] == "Succeeded", done

    listed = await call(mcp, "list_workflows", {"labelSelector": f"e2e-case={template}"})
    assert [item["name"] for item in listed["items"]] == [name]
    assert listed["items"][0]["phase"] == "Succeeded"
    summary = await call(mcp, "get_workflow", {"name": name})
    assert summary["phase"] == "Succeeded" and summary["parameters"]["message"] == "hi", summary
    full = await call(mcp, "get_workflow", {"name": name, "full": True})
    assert full["spec"]["arguments"]["parameters"][0]["value"] == "hi"
    assert "managedFields" not in full["metadata"]
    graph = await call_text(mcp, "get_workflow_graph", {"name": name})
    assert graph.startswith(f"{name} [Succeeded] (Pod")
    logs = await call_text(mcp, "get_workflow_logs", {"name": name})
    assert "hello from the main container" in logs
    pod = next(n for n in full["status"]["nodes"].values() if n["type"] == "Pod")
    pod_name = pod.get("podName") or name
    pod_logs = await call_text(mcp, "get_pod_logs", {"name": name, "podName": pod_name, "container": "main"})
    assert "hello from the main container" in pod_logs


@pytest.mark.compat
async def test_submit_from_cluster_template_and_cron_workflow(stack: E2EStack, mcp: ServerProcess) -> None:
    cwt = stack.unique("cwt")
    stack.create_cluster_workflow_template(
        {
            "apiVersion": WF,
            "kind": "ClusterWorkflowTemplate",
            "metadata": {"name": cwt},
            "spec": {"entrypoint": "main", "templates": [{"name": "main", "container": container()}]},
        }
    )
    cron = stack.unique("cron")
    stack.create_cron_workflow(
        {
            "apiVersion": WF,
            "kind": "CronWorkflow",
            "metadata": {"name": cron, "namespace": stack.namespace},
            "spec": {
                "schedules": ["0 0 1 1 *"],
                "workflowSpec": {
                    "entrypoint": "main",
                    "templates": [{"name": "main", "container": container()}],
                },
            },
        }
    )
    names = []
    for kind, resource in (("ClusterWorkflowTemplate", cwt), ("CronWorkflow", cron)):
        submitted = await call(mcp, "submit_workflow", {"resourceKind": kind, "resourceName": resource})
        names.append(submitted["name"])
    for name in names:
        assert (await wait_phase(stack, name))["status"]["phase"] == "Succeeded"


@pytest.mark.compat
async def test_lint(mcp: ServerProcess) -> None:
    bad = await call(
        mcp,
        "lint_workflow",
        {
            "workflow": "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\n"
            "metadata: {generateName: bad-}\nspec: {entrypoint: nope, templates: "
            "[{name: main, container: {image: busybox}}]}\n"
        },
    )
    assert bad["valid"] is False and "nope" in bad["errors"]
    good = await call(
        mcp,
        "lint_workflow",
        {
            "workflow": {
                "metadata": {"generateName": "ok-"},
                "spec": {"entrypoint": "main", "templates": [{"name": "main", "container": container()}]},
            }
        },
    )
    assert good["valid"] is True


# ---- lifecycle ----------------------------------------------------------------------------------------------
EXIT_LINE = "exit handler ran, workflow status"


def two_slow_steps(stack: E2EStack, seconds: float) -> str:
    """Two sequential steps that each sleep `seconds`, and an exit handler that logs the workflow's status."""
    return stack.submit_workflow(
        {
            "apiVersion": WF,
            "kind": "Workflow",
            "metadata": {"generateName": "slow-"},
            "spec": {
                "entrypoint": "steps",
                "onExit": "goodbye",
                "templates": [
                    {
                        "name": "steps",
                        "steps": [
                            [{"name": "one", "template": "work"}],
                            [{"name": "two", "template": "work"}],
                        ],
                    },
                    {"name": "work", "container": container(f"echo working; exec sleep {seconds}")},
                    {
                        "name": "goodbye",
                        "container": container(f'echo "{EXIT_LINE} {{{{workflow.status}}}}"'),
                    },
                ],
            },
        }
    )


async def test_suspend_and_resume(stack: E2EStack, mcp: ServerProcess) -> None:
    name = two_slow_steps(stack, 3)
    await asyncio.to_thread(stack.wait_for_node_phase, name, "one", "Running", None, 60)
    await call(mcp, "suspend_workflow", {"name": name})
    suspended = stack.get_workflow(name) or {}
    assert suspended["spec"].get("suspend") is True
    await asyncio.sleep(5)  # step one finishes, step two must not start while suspended
    nodes = (stack.get_workflow(name) or {})["status"]["nodes"].values()
    assert not any(n["displayName"] == "two" for n in nodes)
    await call(mcp, "resume_workflow", {"name": name})
    assert (await wait_phase(stack, name))["status"]["phase"] == "Succeeded"


@pytest.mark.parametrize(
    ("tool", "strategy"), [("stop_workflow", "Stop"), ("terminate_workflow", "Terminate")]
)
async def test_stop_and_terminate(stack: E2EStack, mcp: ServerProcess, tool: str, strategy: str) -> None:
    """Both end the running step; only stop lets the exit handler run (a real pod that logs the status)."""
    name = two_slow_steps(stack, 60)
    await asyncio.to_thread(stack.wait_for_node_phase, name, "one", "Running", None, 60)
    await call(mcp, tool, {"name": name})
    wf = await wait_phase(stack, name, ("Failed", "Error", "Succeeded"))
    assert wf["status"]["phase"] == "Failed"
    assert strategy in (wf["status"].get("message") or ""), wf["status"].get("message")
    nodes = wf["status"]["nodes"].values()
    handler = [n for n in nodes if n["displayName"] == f"{name}.onExit"]
    if strategy == "Terminate":
        assert not handler or handler[0]["phase"] != "Succeeded", handler
        return
    assert handler and handler[0]["phase"] == "Succeeded", [(n["displayName"], n["phase"]) for n in nodes]
    logs = await call_text(mcp, "get_workflow_logs", {"name": name, "container": "main"})
    assert f"{EXIT_LINE} Failed" in logs, logs[-2000:]


async def test_follow_reads_the_lines_a_running_step_prints_later(
    stack: E2EStack, mcp: ServerProcess
) -> None:
    """follow=true keeps reading a running pod's log: the lines it prints after the call began are in the answer
    (without follow, Argo answers at once with the lines so far)."""
    name = stack.submit_workflow(
        {
            "apiVersion": WF,
            "kind": "Workflow",
            "metadata": {"generateName": "ticks-"},
            "spec": {
                "entrypoint": "steps",
                "templates": [
                    {"name": "steps", "steps": [[{"name": "talk", "template": "talk"}]]},
                    {
                        "name": "talk",
                        "container": container("for i in 1 2 3 4 5 6 7 8; do echo tick $i; sleep 1; done"),
                    },
                ],
            },
        }
    )
    await asyncio.to_thread(stack.wait_for_node_phase, name, "talk", "Running", None, 60)
    started = time.monotonic()
    text = await call_text(
        mcp,
        "get_workflow_logs",
        {"name": name, "container": "main", "follow": True, "timeLimitSeconds": 60},
    )
    waited = time.monotonic() - started
    assert "tick 8" in text, text
    assert waited >= 2, f"answered after {waited:.1f} s: it did not wait for lines still to come"
    assert (await wait_phase(stack, name))["status"]["phase"] == "Succeeded"


async def test_retry_a_failed_run_and_resubmit(stack: E2EStack, mcp: ServerProcess) -> None:
    flaky = stack.unique("flaky")
    simple_template(stack, flaky, fail_once=True)  # exits 1 on its first run in a workflow
    name = (await call(mcp, "submit_workflow", {"resourceName": flaky}))["name"]
    assert (await wait_phase(stack, name))["status"]["phase"] == "Failed"
    await call(mcp, "retry_workflow", {"name": name})
    await wait_restarted(stack, name)
    assert (await wait_phase(stack, name))["status"]["phase"] == "Succeeded"

    steady = stack.unique("steady")
    simple_template(stack, steady)
    first = (await call(mcp, "submit_workflow", {"resourceName": steady}))["name"]
    assert (await wait_phase(stack, first))["status"]["phase"] == "Succeeded"
    again = await call(mcp, "resubmit_workflow", {"name": first})
    new_name = again["name"]
    assert new_name != first
    assert (await wait_phase(stack, new_name))["status"]["phase"] == "Succeeded"
    assert (stack.get_workflow(first) or {})["status"]["phase"] == "Succeeded"  # the original is untouched


async def test_set_a_suspend_node_then_resume(stack: E2EStack, mcp: ServerProcess) -> None:
    name = stack.submit_workflow(
        {
            "apiVersion": WF,
            "kind": "Workflow",
            "metadata": {"generateName": "approval-"},
            "spec": {
                "entrypoint": "steps",
                "templates": [
                    {"name": "steps", "steps": [[{"name": "approve", "template": "approve"}]]},
                    {
                        "name": "approve",
                        "suspend": {},
                        "outputs": {"parameters": [{"name": "decision", "valueFrom": {"supplied": {}}}]},
                    },
                ],
            },
        }
    )
    await asyncio.to_thread(stack.wait_for_node_phase, name, "approve", "Running", None, 60)
    await call(
        mcp,
        "set_workflow",
        {"name": name, "nodeFieldSelector": "displayName=approve", "outputParameters": {"decision": "yes"}},
    )
    await call(mcp, "resume_workflow", {"name": name, "nodeFieldSelector": "displayName=approve"})
    wf = await wait_phase(stack, name)
    assert wf["status"]["phase"] == "Succeeded"
    node = next(n for n in wf["status"]["nodes"].values() if n["displayName"] == "approve")
    assert node["outputs"]["parameters"][0]["value"] == "yes"


async def test_delete(stack: E2EStack, mcp: ServerProcess) -> None:
    template = stack.unique("del")
    simple_template(stack, template)
    name = (await call(mcp, "submit_workflow", {"resourceName": template}))["name"]
    await wait_phase(stack, name)
    await call(mcp, "delete_workflow", {"name": name})
    for _ in range(40):
        if stack.get_workflow(name) is None:
            break
        await asyncio.sleep(0.5)
    assert stack.get_workflow(name) is None
    # Argo's GetWorkflow falls back to the archive once the live object is gone: the record says so.
    archived = await call(mcp, "get_workflow", {"name": name, "full": True})
    assert archived["metadata"]["labels"]["workflows.argoproj.io/workflow-archiving-status"] == "Persisted"


# ---- archive ------------------------------------------------------------------------------------------------
async def archived_uid(mcp: ServerProcess, name: str) -> str:
    for _ in range(60):
        listed = await call(mcp, "list_archived_workflows", {"namePrefix": name})
        match = [item for item in listed["items"] if item["name"] == name]
        if match:
            return str(match[0]["uid"])
        await asyncio.sleep(1)
    raise AssertionError(f"{name} was never archived")


async def test_archive_tools(stack: E2EStack, mcp: ServerProcess) -> None:
    template = stack.unique("arch")
    simple_template(stack, template, fail_once=True)
    name = (
        await call(mcp, "submit_workflow", {"resourceName": template, "labels": {"e2e-archive": template}})
    )["name"]
    assert (await wait_phase(stack, name))["status"]["phase"] == "Failed"
    uid = await archived_uid(mcp, name)

    archived = await call(mcp, "get_archived_workflow", {"uid": uid})
    assert archived["metadata"]["name"] == name and archived["status"]["phase"] == "Failed"
    keys = await call(mcp, "list_archived_workflow_label_keys", {})
    assert "e2e-archive" in keys["items"]
    values = await call(mcp, "list_archived_workflow_label_values", {"key": "e2e-archive"})
    assert template in values["items"]

    resubmitted = await call(mcp, "resubmit_archived_workflow", {"uid": uid})
    new_name = resubmitted["name"]
    assert new_name != name
    assert (await wait_phase(stack, new_name))["status"]["phase"] in ("Succeeded", "Failed")  # a fresh run

    await call(
        mcp, "delete_workflow", {"name": name}
    )  # Argo retries an archived run only once the live one is gone
    for _ in range(40):
        if stack.get_workflow(name) is None:
            break
        await asyncio.sleep(0.5)
    await call(mcp, "retry_archived_workflow", {"uid": uid})
    await wait_restarted(stack, name)
    assert (await wait_phase(stack, name))["status"]["phase"] == "Succeeded"  # the node failed once already

    await call(mcp, "delete_archived_workflow", {"uid": uid})
    assert "Not found" in await call_error(mcp, "get_archived_workflow", {"uid": uid})


# ---- logs and artifacts -------------------------------------------------------------------------------------
async def test_long_log_is_capped_at_64_kib(stack: E2EStack, mcp: ServerProcess) -> None:
    template = stack.unique("loud")
    simple_template(stack, template, log_lines=3000)
    name = (await call(mcp, "submit_workflow", {"resourceName": template}))["name"]
    await wait_phase(stack, name)
    default = await call_text(mcp, "get_workflow_logs", {"name": name})
    assert len(default.splitlines()) == 200 and "truncated" not in default  # the last 200 lines
    text = await call_text(mcp, "get_workflow_logs", {"name": name, "tailLines": 100_000})
    marker, body = text.split("\n", 1)
    assert marker.startswith("[argo-mcp: output truncated at 65536 bytes") and "tailLines" in marker
    assert len(body.encode()) <= 65536
    tail = await call_text(mcp, "get_workflow_logs", {"name": name, "tailLines": 5, "container": "main"})
    assert "truncated" not in tail and len(tail.splitlines()) == 5


async def test_output_and_input_artifacts(stack: E2EStack, mcp: ServerProcess) -> None:
    size = 3 * 1024 * 1024 + 17
    input_bytes = b"input artifact from the test\n" * 1000
    input_key = f"e2e-inputs/{stack.unique('in')}.txt"
    stack.s3_put(input_key, input_bytes)
    name = stack.submit_workflow(
        {
            "apiVersion": WF,
            "kind": "Workflow",
            "metadata": {"generateName": "artifacts-"},
            "spec": {
                "entrypoint": "main",
                "templates": [
                    {
                        "name": "main",
                        "inputs": {
                            "artifacts": [{"name": "in", "path": "/tmp/in", "s3": {"key": input_key}}]
                        },
                        "outputs": {
                            "artifacts": [
                                {"name": "data", "path": "/tmp/data", "archive": {"none": {}}},
                                {"name": "small", "path": "/tmp/small", "archive": {"none": {}}},
                            ],
                            "parameters": [
                                {"name": "sha256", "valueFrom": {"path": "/tmp/data.sha256"}},
                                {"name": "small-sha256", "valueFrom": {"path": "/tmp/small.sha256"}},
                            ],
                        },
                        # random bytes: only the pod knows them; it reports their sha256 as an output
                        "container": container(
                            f"head -c {size} /dev/urandom > /tmp/data && "
                            "sha256sum /tmp/data | cut -c1-64 | tr -d '\\n' > /tmp/data.sha256 && "
                            "head -c 4096 /dev/urandom > /tmp/small && "
                            "sha256sum /tmp/small | cut -c1-64 | tr -d '\\n' > /tmp/small.sha256 && "
                            "sha256sum /tmp/in"
                        ),
                    }
                ],
            },
        }
    )
    wf = await wait_phase(stack, name)
    assert wf["status"]["phase"] == "Succeeded", wf["status"].get("message")
    pod_node = next(n for n in wf["status"]["nodes"].values() if n["type"] == "Pod")
    node_id = pod_node["id"]
    pod_sha = next(p["value"] for p in pod_node["outputs"]["parameters"] if p["name"] == "sha256")
    out = await call(
        mcp,
        "get_workflow_output_artifact",
        {"workflowName": name, "nodeId": node_id, "artifactName": "data", "destinationPath": f"{name}/data"},
    )
    assert out["bytes"] == size and out["sha256"] == pod_sha
    assert hashlib.sha256(Path(out["path"]).read_bytes()).hexdigest() == pod_sha
    inp = await call(
        mcp,
        "get_workflow_input_artifact",
        {"workflowName": name, "nodeId": node_id, "artifactName": "in", "destinationPath": f"{name}/in"},
    )
    assert inp["bytes"] == len(input_bytes) and inp["sha256"] == hashlib.sha256(input_bytes).hexdigest()

    # Without destinationPath, artifacts up to --inline-artifact-kib (256 KiB) come back in the answer, so an agent
    # over HTTP reads them without the server's disk: text as text, binary as a blob; larger ones are saved.
    by_name = {"workflowName": name, "nodeId": node_id}
    async with http_client(mcp.url) as client:
        text = await client.call_tool("get_workflow_input_artifact", {**by_name, "artifactName": "in"})
        blob = await client.call_tool("get_workflow_output_artifact", {**by_name, "artifactName": "small"})
        large = await client.call_tool("get_workflow_output_artifact", {**by_name, "artifactName": "data"})
    assert not text.is_error and text_of(text).encode() == input_bytes
    assert payload(text)["sha256"] == hashlib.sha256(input_bytes).hexdigest()
    small_sha = next(p["value"] for p in pod_node["outputs"]["parameters"] if p["name"] == "small-sha256")
    assert not blob.is_error and payload(blob)["encoding"] == "base64"
    block = blob.content[-1]  # after the text block with its metadata
    assert isinstance(block, types.EmbeddedResource) and isinstance(
        block.resource, types.BlobResourceContents
    )
    assert (
        hashlib.sha256(base64.b64decode(block.resource.blob)).hexdigest()
        == small_sha
        == payload(blob)["sha256"]
    )
    saved = payload(large)
    assert saved["bytes"] == size and saved["sha256"] == pod_sha and "--inline-artifact-kib" in saved["note"]
    assert hashlib.sha256(Path(saved["path"]).read_bytes()).hexdigest() == pod_sha


# ---- Argo Events ---------------------------------------------------------------------------------------------
@pytest.mark.compat
async def test_event_source_and_sensor_crud(stack: E2EStack, mcp: ServerProcess) -> None:
    """CRUD through argo-mcp; the objects' real pods, a real event and their logs: test_events_e2e.py."""
    es = stack.unique("es")
    webhook = {"webhook": {"example": {"port": "12000", "endpoint": "/example", "method": "POST"}}}
    es_spec: dict[str, Any] = {"template": stack.events_pod_template(), **webhook}
    await call(mcp, "create_event_source", {"manifest": {"metadata": {"name": es}, "spec": es_spec}})
    listed = await call(mcp, "list_event_sources", {})
    assert es in [item["name"] for item in listed["items"]]
    webhook["webhook"]["example"]["port"] = "13000"
    await call(mcp, "update_event_source", {"name": es, "manifest": {"spec": {**es_spec, **webhook}}})
    got = await call(mcp, "get_event_source", {"name": es})
    assert got["spec"]["webhook"]["example"]["port"] == "13000"

    sensor = stack.unique("sensor")
    spec: dict[str, Any] = {
        "template": stack.events_pod_template(),
        "dependencies": [{"name": "dep", "eventSourceName": es, "eventName": "example"}],
        "triggers": [{"template": {"name": "log-it", "log": {}}}],
    }
    await call(
        mcp, "create_sensor", {"manifest": {"kind": "Sensor", "metadata": {"name": sensor}, "spec": spec}}
    )
    assert sensor in [item["name"] for item in (await call(mcp, "list_sensors", {}))["items"]]
    spec["triggers"][0]["template"]["name"] = "log-it-2"
    await call(mcp, "update_sensor", {"name": sensor, "manifest": {"spec": spec}})
    assert (await call(mcp, "get_sensor", {"name": sensor}))["spec"]["triggers"][0]["template"][
        "name"
    ] == "log-it-2"

    await call(mcp, "delete_sensor", {"name": sensor})
    await call(mcp, "delete_event_source", {"name": es})
    # Argo Events' controllers hold finalizers: the deleted objects stay (deletionTimestamp set) until they
    # have removed their Deployments, so the deletion is complete only once the API server no longer has them
    for plural, name in (("eventsources", es), ("sensors", sensor)):
        path = f"/apis/argoproj.io/v1alpha1/namespaces/{stack.namespace}/{plural}/{name}"

        def gone(path: str = path) -> bool:
            return stack.kube.get_or_none(path) is None

        await asyncio.to_thread(stack.kube.wait_for, f"{plural}/{name} gone", gone, 60)
    assert "Not found" in await call_error(mcp, "get_event_source", {"name": es})
    assert "Not found" in await call_error(mcp, "get_sensor", {"name": sensor})


# ---- auth against the real API server ------------------------------------------------------------------------
async def test_read_only_identity_is_refused_with_a_clear_message_and_rotation_needs_no_restart(
    stack: E2EStack, tmp_path: Path
) -> None:
    template = stack.unique("rbac")
    simple_template(stack, template)
    server = await start_with_token(stack, tmp_path, stack.mint_token(stack.readonly_sa) + "\n")
    token_file = tmp_path / "token"
    try:
        assert (await call(server, "list_workflows", {"limit": 1}))["count"] <= 1
        refused = await call_error(server, "submit_workflow", {"resourceName": template})
        assert "403 Forbidden" in refused and "Grant the missing verb" in refused
        token_file.write_text(stack.mint_token(stack.full_sa))  # rotated on disk, no restart
        submitted = await call(server, "submit_workflow", {"resourceName": template})
        assert (await wait_phase(stack, submitted["name"]))["status"]["phase"] == "Succeeded"
    finally:
        await server.stop()


async def test_service_account_mode_with_a_projected_token_file(stack: E2EStack, tmp_path: Path) -> None:
    token_file = tmp_path / "sa" / "token"
    token_file.parent.mkdir()
    token_file.write_text(stack.mint_token(stack.readonly_sa))
    server = await start_argo_mcp(
        tmp_path,
        "--argo-server-url",
        stack.argo_url,
        "--argo-token-file",
        str(token_file),
        "--argo-default-namespace",
        stack.namespace,
        env={"KUBERNETES_SERVICE_HOST": "127.0.0.1"},
    )
    try:
        user = await call(server, "get_user_info", {})
        assert stack.readonly_sa in json.dumps(user)
        fresh = token_file.with_name("token.new")
        fresh.write_text(stack.mint_token(stack.full_sa))
        fresh.replace(token_file)  # what the kubelet does when it rotates a projected token
        assert stack.full_sa in json.dumps(await call(server, "get_user_info", {}))
    finally:
        await server.stop()


async def test_stdio_transport(stack: E2EStack, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(stack.mint_token(stack.readonly_sa))
    params = StdioServerParameters(
        command=sys.executable,
        args=[
            "-m",
            "argo_mcp",
            "--stdio",
            "--argo-server-url",
            stack.argo_url,
            "--argo-auth-mode",
            "bearer-file",
            "--argo-token-file",
            str(token_file),
            "--argo-default-namespace",
            stack.namespace,
        ],
        env=clean_env(),
        cwd=REPO,
    )
    async with Client(params, mode="legacy") as client:
        result = await client.call_tool("get_argo_version", {})
        listed = await client.call_tool("list_workflows", {"limit": 2})
    assert not result.is_error and not listed.is_error
    assert payload(result)["version"].startswith(stack.versions["argo-workflows"])
