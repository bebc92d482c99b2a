"""`create_workflow` (issue 26): a Workflow manifest run as it is, through the same pipeline as every manifest
tool, and the service-account guard (`--allowed-service-accounts`) that every call that changes something passes
before Argo sees it. In process against the swagger stand-in; one task test through a real argo-mcp."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from argo_mcp.argo.client import ArgoClient
from argo_mcp.calls import run_tool
from argo_mcp.calls.accounts import AccountRules, refusal
from argo_mcp.cli import parse_settings
from argo_mcp.settings import ArgoSettings, AuthMode, ConfigError, ScopeSettings, Settings
from argo_mcp.tools import ALL_TOOLS
from argo_mcp.tools.registry import exposed
from tests.support.fake_argo import FakeArgo, Workflow
from tests.support.processes import payload, start_argo_mcp, text_of
from tests.support.raw_mcp import rpc_answer

BY_NAME = {tool.name: tool for tool in ALL_TOOLS}
CREATE = "WorkflowService_CreateWorkflow"
GET = "WorkflowService_GetWorkflow"
HELLO_YAML = """apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: hello-
  namespace: team-a
spec:
  entrypoint: main
  templates:
    - name: main
      container: {image: alpine, command: [echo, hi]}
"""
HELLO: dict[str, Any] = {
    "metadata": {"name": "hello-fixed"},
    "spec": {"entrypoint": "main", "templates": [{"name": "main", "container": {"image": "alpine"}}]},
}


@pytest.fixture
async def argo_client(argo_url: str) -> AsyncIterator[ArgoClient]:
    client = ArgoClient(ArgoSettings(server_url=argo_url, auth_mode=AuthMode.NONE))
    yield client
    await client.close()


def _settings(tmp_path: Path, **scope: Any) -> Settings:
    return Settings(
        argo=ArgoSettings(server_url="http://unused", auth_mode=AuthMode.NONE, default_namespace="team-a"),
        scope=ScopeSettings(**scope),
        artifact_dir=tmp_path,
    )


def _made(name: str, namespace: str = "team-a", phase: str = "Pending") -> dict[str, Any]:
    workflow = Workflow(name, namespace=namespace, phase=phase).json()
    if phase == "Pending":
        workflow["status"] = {}
    return workflow


async def _create(argo_client: ArgoClient, tmp_path: Path, arguments: dict[str, Any], **scope: Any) -> Any:
    return await run_tool(
        BY_NAME["create_workflow"], arguments, argo=argo_client, settings=_settings(tmp_path, **scope)
    )


# ---- the tool -----------------------------------------------------------------------------------------------
async def test_a_yaml_manifest_with_generate_name_is_created_in_its_namespace(
    argo: FakeArgo, argo_client: ArgoClient, tmp_path: Path
) -> None:
    argo.on(CREATE, _made("hello-x7k2p"))
    result = await _create(argo_client, tmp_path, {"manifest": HELLO_YAML})
    assert not result.is_error, text_of(result)
    sent = argo.last(CREATE)
    assert sent.path == "/api/v1/workflows/team-a", "the manifest's metadata.namespace is the namespace"
    assert sent.body["workflow"]["metadata"] == {"generateName": "hello-", "namespace": "team-a"}
    assert sent.body["workflow"]["spec"]["templates"][0]["container"]["command"] == ["echo", "hi"]
    assert "serverDryRun" not in sent.body
    assert payload(result) == {
        "result": "created workflow team-a/hello-x7k2p",
        "name": "hello-x7k2p",
        "namespace": "team-a",
        "uid": "3f1e9c2a-5b7d-4e8f-9a0b-1c2d3e4f5a6b",
        "phase": "Pending",
    }


async def test_an_object_manifest_gets_kind_api_version_and_the_default_namespace(
    argo: FakeArgo, argo_client: ArgoClient, tmp_path: Path
) -> None:
    argo.on(CREATE, _made("hello-fixed"))
    result = await _create(argo_client, tmp_path, {"manifest": HELLO})
    assert not result.is_error, text_of(result)
    workflow = argo.last(CREATE).body["workflow"]
    assert (workflow["kind"], workflow["apiVersion"]) == ("Workflow", "argoproj.io/v1alpha1")
    assert workflow["metadata"] == {"name": "hello-fixed", "namespace": "team-a"}
    assert payload(result)["name"] == "hello-fixed"


async def test_server_dry_run_sends_the_flag_and_says_nothing_was_created(
    argo: FakeArgo, argo_client: ArgoClient, tmp_path: Path
) -> None:
    argo.on(CREATE, _made("hello-preview"))
    result = await _create(argo_client, tmp_path, {"manifest": HELLO_YAML, "serverDryRun": True})
    assert not result.is_error, text_of(result)
    assert argo.last(CREATE).body["serverDryRun"] is True
    answer = payload(result)
    assert answer["result"] == "dry run: Argo accepts workflow team-a/hello-preview; nothing was created"
    assert "phase" not in answer, "a preview never runs"
    assert [r.operation for r in argo.requests] == [CREATE], "no wait, no second request"
    refused = await _create(argo_client, tmp_path, {"manifest": HELLO, "serverDryRun": True, "wait": True})
    assert refused.is_error and "serverDryRun creates no workflow" in text_of(refused)
    assert "drop wait" in text_of(refused)


async def test_wait_answers_the_runs_end_with_its_outputs(
    argo: FakeArgo, argo_client: ArgoClient, tmp_path: Path
) -> None:
    argo.on(CREATE, _made("hello-fixed"))
    done = _made("hello-fixed", phase="Succeeded")
    done["status"]["outputs"] = {"parameters": [{"name": "greeting", "value": "hi"}]}
    argo.on(GET, done)
    result = await _create(argo_client, tmp_path, {"manifest": HELLO, "wait": True})
    assert not result.is_error, text_of(result)
    answer = payload(result)
    assert answer["result"] == "created workflow team-a/hello-fixed"
    assert answer["waited"]["finished"] is True
    assert answer["waited"]["outputs"] == {"greeting": "hi"}
    assert argo.last(GET).path == "/api/v1/workflows/team-a/hello-fixed"


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ({**HELLO, "kind": "WorkflowTemplate"}, "use the WorkflowTemplate tools"),
        ({"metadata": {"name": "x"}}, "manifest.spec is required"),
        ({"spec": HELLO["spec"]}, "manifest.metadata.name is required (or metadata.generateName)"),
        ("a: [unclosed", "not valid YAML or JSON"),
        (HELLO_YAML + "---\n" + HELLO_YAML, "pass one manifest per call"),
    ],
)
async def test_a_bad_manifest_is_refused_naming_the_field(
    argo: FakeArgo, argo_client: ArgoClient, tmp_path: Path, manifest: Any, message: str
) -> None:
    result = await _create(argo_client, tmp_path, {"manifest": manifest})
    assert result.is_error and message in text_of(result), text_of(result)
    assert argo.requests == []


async def test_a_namespace_outside_the_allow_list_is_refused_before_argo(
    argo: FakeArgo, argo_client: ArgoClient, tmp_path: Path
) -> None:
    result = await _create(
        argo_client,
        tmp_path,
        {"manifest": HELLO_YAML.replace("team-a", "kube-system")},
        namespaces=("team-a",),
    )
    assert result.is_error
    assert "'kube-system' is outside the namespaces argo-mcp may act in (team-a)" in text_of(result)
    assert argo.requests == []


def test_read_only_and_toolsets_hide_it_and_it_is_a_mutating_task_tool(tmp_path: Path) -> None:
    tool = BY_NAME["create_workflow"]
    assert tool.kind.value == "Mutating" and tool.task and not tool.long
    assert tool.permission is not None and tool.permission.describe().startswith("create workflows")
    assert tool in exposed(ALL_TOOLS, _settings(tmp_path))
    assert tool not in exposed(ALL_TOOLS, _settings(tmp_path, read_only=True))
    names = {t.name for t in exposed(ALL_TOOLS, _settings(tmp_path, read_only=True))}
    assert "lint_workflow" in names and "create_workflow" not in names


async def test_a_modern_client_waiting_gets_a_task_for_the_run(
    argo: FakeArgo, tmp_path: Path, argo_url: str
) -> None:
    key = tmp_path / "task.key"
    key.write_text(hashlib.sha256(b"create").hexdigest())
    server = await start_argo_mcp(
        tmp_path, "--argo-server-url", argo_url, "--argo-auth-mode", "none", "--task-key-file", str(key)
    )
    try:
        argo.on(CREATE, _made("hello-fixed"))
        argo.on(GET, _made("hello-fixed", phase="Running"))
        meta = {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {
                "extensions": {"io.modelcontextprotocol/tasks": {}}
            },
        }
        params = {"name": "create_workflow", "arguments": {"manifest": HELLO, "wait": True}, "_meta": meta}
        headers = {
            "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": "2026-07-28",
            "Mcp-Method": "tools/call",
            "Mcp-Name": "create_workflow",
        }
        async with httpx2.AsyncClient(timeout=30) as http:
            answer = await http.post(
                server.url,
                json={"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params},
                headers=headers,
            )
        created = rpc_answer(answer.text)["result"]
        assert created["resultType"] == "task" and created["status"] == "working", created
        assert len(argo.calls(CREATE)) == 1
        assert argo.last(GET).path == "/api/v1/workflows/team-a/hello-fixed", (
            "the task looks at the run it made"
        )
    finally:
        await server.stop()


# ---- the service-account guard ------------------------------------------------------------------------------
RULES = AccountRules.of(["team-a:runner", "team-a:ci", "*:default", "team-b:*"])


def _wf(spec: dict[str, Any], kind: str | None = "Workflow") -> dict[str, Any]:
    manifest: dict[str, Any] = {"metadata": {"name": "x"}, "spec": {"entrypoint": "main", **spec}}
    if kind is not None:
        manifest["kind"] = kind
    return manifest


@pytest.mark.parametrize(
    ("namespace", "document", "refused"),
    [
        ("team-a", _wf({"serviceAccountName": "runner"}), []),
        ("team-a", _wf({}), []),  # no account: the namespace's default, allowed by *:default
        ("team-a", _wf({"serviceAccountName": "admin"}), ["'admin' (spec.serviceAccountName)"]),
        ("team-c", _wf({"serviceAccountName": "runner"}), ["'runner' (spec.serviceAccountName)"]),
        ("team-b", _wf({"serviceAccountName": "anything"}), []),  # team-b:* allows any
        (
            "team-a",
            _wf({"serviceAccountName": "ci", "templates": [{"name": "main", "serviceAccountName": "root"}]}),
            ["'root' (spec.templates[0].serviceAccountName)"],
        ),
        (
            "team-a",
            _wf({"serviceAccountName": "ci", "executor": {"serviceAccountName": "builder"}}),
            ["'builder' (spec.executor.serviceAccountName)"],
        ),
        (
            "team-a",
            _wf(
                {
                    "serviceAccountName": "ci",
                    "templates": [{"name": "m", "podSpecPatch": "serviceAccountName: root"}],
                }
            ),
            ["'root' (spec.templates[0].podSpecPatch.serviceAccountName)"],
        ),
        (
            "team-a",
            {
                "kind": "CronWorkflow",
                "spec": {"schedules": ["* * * * *"], "workflowSpec": {"serviceAccountName": "x"}},
            },
            ["'x' (spec.workflowSpec.serviceAccountName)"],
        ),
        (
            "team-a",
            _wf({"serviceAccountName": "{{workflow.parameters.sa}}"}),
            ["known only when the workflow runs; name the account itself"],
        ),
        ("team-a", _wf({"workflowTemplateRef": {"name": "etl"}}), []),  # the template's account applies
        ("team-a", {"spec": {"templates": [], "serviceAccountName": "runner"}}, []),  # kind left out
        ("", _wf({"serviceAccountName": "runner"}, "ClusterWorkflowTemplate"), ["'runner' (spec."]),
        ("", _wf({}, "ClusterWorkflowTemplate"), []),  # default is allowed in every namespace
    ],
)
def test_the_guard_table(namespace: str, document: dict[str, Any], refused: list[str]) -> None:
    message = refusal(RULES, "create_workflow", namespace, [document])
    if not refused:
        assert message is None, message
        return
    assert message is not None
    for part in refused:
        assert part in message, message
    assert "Nothing was sent to Argo" in message


def test_the_refusal_names_the_accounts_allowed_there_and_default_must_be_allowed() -> None:
    strict = AccountRules.of(["team-a:runner", "team-a:ci"])
    message = refusal(strict, "create_workflow", "team-a", [_wf({})])
    assert message is not None
    assert "'default' (spec.serviceAccountName (absent: the namespace's default account))" in message
    assert "Allowed in namespace 'team-a': ci, runner." in message
    elsewhere = refusal(strict, "create_workflow", "team-z", [_wf({"serviceAccountName": "runner"})])
    assert elsewhere is not None and "No account is allowed in namespace 'team-z'" in elsewhere
    cluster = refusal(strict, "create_cluster_workflow_template", "", [_wf({"serviceAccountName": "ci"})])
    assert cluster is not None and "only '*:' entries count" in cluster
    expression = refusal(RULES, "create_workflow", "team-b", [_wf({"serviceAccountName": "{{inputs.x}}"})])
    assert expression is not None and "Allowed in namespace 'team-b': any account, named as is." in expression
    assert refusal(strict, "submit_workflow", "team-a", [], "ci") is None
    submitted = refusal(strict, "submit_workflow", "team-a", [], "admin")
    assert submitted is not None and "'admin' (serviceAccount)" in submitted


@pytest.mark.parametrize(
    ("tool", "arguments", "where"),
    [
        (
            "create_workflow",
            {"manifest": {**HELLO, "spec": {**HELLO["spec"], "serviceAccountName": "admin"}}},
            "team-a",
        ),
        (
            "create_workflow_template",
            {"manifest": {"metadata": {"name": "t", "namespace": "team-a"}, "spec": {"templates": []}}},
            "team-a",
        ),
        (
            "update_cron_workflow",
            {
                "manifest": {
                    "metadata": {"name": "c"},
                    "spec": {"workflowSpec": {"serviceAccountName": "admin"}},
                }
            },
            "team-a",
        ),
        (
            "submit_workflow",
            {"resourceName": "etl", "serviceAccount": "admin"},
            "team-a",
        ),
    ],
)
async def test_the_pipeline_refuses_before_any_argo_call(
    argo: FakeArgo, argo_client: ArgoClient, tmp_path: Path, tool: str, arguments: dict[str, Any], where: str
) -> None:
    result = await run_tool(
        BY_NAME[tool],
        arguments,
        argo=argo_client,
        settings=_settings(tmp_path, allowed_service_accounts=("team-a:runner",)),
    )
    assert result.is_error, text_of(result)
    message = text_of(result)
    assert f"{tool} was refused" in message and "--allowed-service-accounts" in message
    assert f"Allowed in namespace '{where}': runner." in message
    assert argo.requests == []


async def test_allowed_accounts_pass_and_read_only_tools_are_not_guarded(
    argo: FakeArgo, argo_client: ArgoClient, tmp_path: Path
) -> None:
    settings = _settings(tmp_path, allowed_service_accounts=("team-a:runner",))
    argo.on(CREATE, _made("hello-fixed"))
    allowed = {**HELLO, "spec": {**HELLO["spec"], "serviceAccountName": "runner"}}
    result = await run_tool(
        BY_NAME["create_workflow"], {"manifest": allowed}, argo=argo_client, settings=settings
    )
    assert not result.is_error, text_of(result)
    argo.on("WorkflowService_LintWorkflow", _made("hello-fixed"))
    linted = await run_tool(
        BY_NAME["lint_workflow"], {"workflow": HELLO}, argo=argo_client, settings=settings
    )
    assert not linted.is_error, "lint creates nothing: the guard does not apply"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("team-a:runner, *:default,team-b:*", ("team-a:runner", "*:default", "team-b:*")),
        ("team-a:sa.with.dots", ("team-a:sa.with.dots",)),
    ],
)
def test_the_setting_parses_entries(raw: str, expected: tuple[str, ...]) -> None:
    settings = parse_settings(
        ["--argo-server-url", "http://argo", "--argo-auth-mode", "none", "--allowed-service-accounts", raw],
        env={},
    )
    assert settings.scope.allowed_service_accounts == expected


@pytest.mark.parametrize("raw", ["runner", "Team-A:runner", "team-a:", "team-a:Runner"])
def test_a_bad_entry_names_the_flag_and_the_syntax(raw: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings(
            [
                "--argo-server-url",
                "http://argo",
                "--argo-auth-mode",
                "none",
                "--allowed-service-accounts",
                raw,
            ],
            env={},
        )
    assert "--allowed-service-accounts" in str(caught.value)
    assert "expected namespace:serviceaccount, e.g. team-a:runner" in str(caught.value)
