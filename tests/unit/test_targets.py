"""Several Argo servers behind one endpoint: the targets file, per-target credentials, scope and mode, the
`use` decision, reloads, and a tools/list that does not change with one target."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import mcp_types as types
import pytest
import pytest_asyncio
from structlog.testing import capture_logs

from argo_mcp.access.caller import Caller
from argo_mcp.argo.client import ArgoClient
from argo_mcp.calls import Call, CallPipeline
from argo_mcp.calls.targets import Targets, use_permission
from argo_mcp.policy import Caller as AnyCaller
from argo_mcp.policy import Permission, ToolError
from argo_mcp.server import build_server
from argo_mcp.settings import ArgoSettings, AuthMode, ConfigError, Settings
from argo_mcp.targets import parse_targets
from argo_mcp.tools import ALL_TOOLS
from argo_mcp.tools.targets import LIST_TARGETS
from bench.tokens import count_tokens
from tests.support.fake_argo import FakeArgo
from tests.support.processes import http_client, payload, serve_app, start_argo_mcp, text_of
from tests.support.samples import VERSION

BY_NAME = {tool.name: tool for tool in ALL_TOOLS}
EMPTY_LIST: dict[str, Any] = {"metadata": {}, "items": []}
MULTI = [LIST_TARGETS]


def _settings(url: str = "http://127.0.0.1:9") -> Settings:
    return Settings(argo=ArgoSettings(server_url=url, auth_mode=AuthMode.NONE))


@dataclass
class Two:
    prod: FakeArgo
    staging: FakeArgo
    file: Path
    targets: Targets


def _file_text(prod_url: str, staging_url: str, tmp: Path, *, extra: str = "") -> str:
    (tmp / "prod-token").write_text("token-of-prod\n")
    (tmp / "staging-token").write_text("token-of-staging\n")
    return f"""
defaultTarget: prod-eu
targets:
  - name: prod-eu
    argoServer: {{url: {prod_url}}}
    auth: {{mode: bearer-file, tokenFile: {tmp / "prod-token"}}}
    namespaces: [team-a]
    mode: read-only
  - name: staging
    argoServer: {{url: {staging_url}}}
    auth: {{mode: bearer-file, tokenFile: {tmp / "staging-token"}}}
    namespaces: [team-b]
    mode: full
{extra}"""


@pytest_asyncio.fixture(loop_scope="session")
async def two(tmp_path: Path) -> AsyncIterator[Two]:
    prod, staging = FakeArgo(), FakeArgo()
    async with serve_app(prod.app) as prod_url, serve_app(staging.app) as staging_url:
        path = tmp_path / "targets.yaml"
        path.write_text(_file_text(prod_url, staging_url, tmp_path))
        targets = Targets.from_file(_settings(prod_url), ALL_TOOLS, path, multi_tools=MULTI)
        yield Two(prod, staging, path, targets)
        await targets.close()
        for fake in (prod, staging):
            assert not fake.violations, fake.violations


async def _run(targets: Targets, tool: str, arguments: dict[str, Any], **kwargs: Any) -> tuple[str, bool]:
    pipeline = CallPipeline(targets.base, targets.primary.argo, targets=targets, **kwargs.pop("pipe", {}))
    every = {t.name: t for t in [*ALL_TOOLS, *MULTI]}
    outcome = await pipeline.run(Call(every[tool], arguments, **kwargs))
    result = outcome.result
    return text_of(result), bool(getattr(result, "is_error", False))


# ---- the file ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("targets: []", "targets: List should have at least 1 item"),
        ("targets: [{name: Prod, argoServer: {url: 'http://a'}}]", "is not a DNS-1123 label"),
        (
            "targets: [{name: a, argoServer: {url: 'http://a'}}, {name: a, argoServer: {url: 'http://b'}}]",
            "repeated: a",
        ),
        (
            "targets: [{name: a, argoServer: {url: 'http://a'}}, {name: b, argoServer: {url: 'http://b'}}]",
            "defaultTarget is required with more than one target",
        ),
        (
            "defaultTarget: c\ntargets: [{name: a, argoServer: {url: 'http://a'}}]",
            "defaultTarget 'c' is not one of the targets (a)",
        ),
        (
            "targets: [{name: a, argoServer: {url: 'http://a'}, auth: {mode: bearer}}]",
            "auth.mode bearer needs auth.tokenEnv",
        ),
        (
            "targets: [{name: a, argoServer: {url: 'http://a'}, auth: {mode: bearer-file}}]",
            "auth.mode bearer-file needs auth.tokenFile",
        ),
        ("targets: [{name: a, argoServer: {url: 'ftp://a'}}]", "targets.0.argoServer.url"),
        ("targets: [{name: a, argoServer: {url: 'http://a'}, token: x}]", "targets.0.token: Extra inputs"),
        (
            "targets: [{name: a, argoServer: {url: 'http://a'}}]\noidcGroups: {devs: [b]}",
            "oidcGroups['devs'] names unknown targets: b",
        ),
        ("- a\n- b", "expected a mapping with `targets:`"),
    ],
)
def test_a_bad_targets_file_is_refused_naming_the_field(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_targets(text, source="targets.yaml")
    assert expected in str(caught.value)
    assert str(caught.value).startswith("targets.yaml: ")


def test_a_bearer_token_comes_from_the_environment_never_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    from argo_mcp.targets import target_settings

    file = parse_targets(
        "targets: [{name: a, argoServer: {url: 'http://a'}, auth: {mode: bearer, tokenEnv: A_TOKEN}}]",
        source="f",
    )
    monkeypatch.delenv("A_TOKEN", raising=False)
    with pytest.raises(ConfigError, match=r"A_TOKEN .auth.tokenEnv. is empty or unset"):
        target_settings(_settings(), file.targets[0])
    monkeypatch.setenv("A_TOKEN", "secret-value")
    assert target_settings(_settings(), file.targets[0]).argo.token == "secret-value"


# ---- per-target credentials, scope and mode ------------------------------------------------------------------
async def test_each_target_gets_its_own_calls_and_its_own_token(two: Two) -> None:
    two.prod.on("WorkflowService_ListWorkflows", EMPTY_LIST)
    two.staging.on("WorkflowService_ListWorkflows", EMPTY_LIST)
    await _run(two.targets, "list_workflows", {"namespace": "team-a"})
    await _run(two.targets, "list_workflows", {"namespace": "team-b", "target": "staging"})
    assert [r.headers["Authorization"] for r in two.prod.requests] == ["Bearer token-of-prod"]
    assert [r.headers["Authorization"] for r in two.staging.requests] == ["Bearer token-of-staging"]
    assert two.prod.last("WorkflowService_ListWorkflows").path.startswith("/api/v1/workflows/team-a")
    assert two.staging.last("WorkflowService_ListWorkflows").path.startswith("/api/v1/workflows/team-b")


async def test_a_read_only_target_refuses_a_mutating_tool_before_argo(two: Two) -> None:
    text, error = await _run(two.targets, "suspend_workflow", {"namespace": "team-a", "name": "w"})
    assert error and "disabled on target 'prod-eu'" in text
    two.staging.on(
        "WorkflowService_SuspendWorkflow", {"metadata": {"name": "w", "namespace": "team-b"}, "spec": {}}
    )
    text, error = await _run(
        two.targets, "suspend_workflow", {"namespace": "team-b", "name": "w", "target": "staging"}
    )
    assert not error, text
    assert two.prod.requests == []


async def test_a_namespace_allowed_on_one_target_is_refused_on_the_other(two: Two) -> None:
    text, error = await _run(two.targets, "list_workflows", {"namespace": "team-b"})
    assert error and "team-b" in text and "allow" in text.lower()
    text, error = await _run(two.targets, "list_workflows", {"namespace": "team-a", "target": "staging"})
    assert error and "team-a" in text
    assert two.prod.requests == [] and two.staging.requests == []


async def test_an_unknown_target_and_a_forbidden_one_get_the_same_answer(two: Two) -> None:
    reviews: list[tuple[Permission, str]] = []

    async def authorize(permission: Permission, namespace: str, caller: AnyCaller | None) -> None:
        reviews.append((permission, namespace))
        if permission.resource == "targets" and permission.name == "staging":
            raise ToolError("refused by RBAC")

    caller = Caller(username="alice")
    unknown, _ = await _run(
        two.targets, "list_workflows", {"target": "nope"}, caller=caller, pipe={"authorize": authorize}
    )
    forbidden, _ = await _run(
        two.targets, "list_workflows", {"target": "staging"}, caller=caller, pipe={"authorize": authorize}
    )
    assert unknown.replace("'nope'", "X") == forbidden.replace("'staging'", "X")
    assert "list_targets" in unknown
    assert (use_permission("staging"), "") in reviews
    assert use_permission("staging").group == "argo-mcp.io"
    assert two.prod.requests == [] and two.staging.requests == []


async def test_oidc_groups_grant_targets(two: Two) -> None:
    two.file.write_text(two.file.read_text() + "oidcGroups: {prod-readers: [prod-eu]}\n")
    os.utime(two.file, (1, 1))
    two.targets._checked = -10.0
    two.prod.on("InfoService_GetVersion", VERSION)
    reader = Caller(username="bob", groups=("prod-readers",))
    text, _ = await _run(two.targets, "list_targets", {}, caller=reader)
    assert [t["name"] for t in json.loads(text)["targets"]] == ["prod-eu"]
    text, error = await _run(two.targets, "list_workflows", {"target": "staging"}, caller=reader)
    assert error and "No target 'staging'" in text


async def test_list_targets_says_what_each_target_allows_and_nothing_secret(two: Two) -> None:
    two.prod.on("InfoService_GetVersion", {**VERSION, "version": "v4.0.7"})
    text, error = await _run(two.targets, "list_targets", {})
    assert not error, text
    answer = json.loads(text)["targets"]
    assert answer[0] == {
        "name": "prod-eu",
        "argoVersion": "v4.0.7",
        "mode": "read-only",
        "namespaces": ["team-a"],
        "defaultNamespace": "team-a",
        "default": True,
    }
    assert answer[1]["argoVersion"] not in ("v4.0.7", "unreachable")  # staging's own stand-in answered
    assert answer[1]["mode"] == "full"
    assert "token" not in text and "http" not in text


# ---- reloads -------------------------------------------------------------------------------------------------
async def test_a_changed_file_is_used_without_a_restart_and_a_bad_one_keeps_the_last_good(two: Two) -> None:
    targets = two.targets
    before = targets.generation
    two.file.write_text(two.file.read_text().replace("mode: read-only", "mode: operate"))
    os.utime(two.file, (2, 2))
    targets._checked = -10.0
    await targets.reload_if_changed()
    assert targets.generation == before + 1
    prod = targets.get("prod-eu")
    assert prod is not None and "suspend_workflow" in prod.tools and "delete_workflow" not in prod.tools

    two.file.write_text("targets: [{name: Bad}]")
    os.utime(two.file, (3, 3))
    targets._checked = -10.0
    with capture_logs() as logs:
        await targets.reload_if_changed()
    assert targets.generation == before + 1 and targets.names == ["prod-eu", "staging"]
    rejected = [line for line in logs if line["event"] == "targets_file_rejected"]
    assert rejected and "DNS-1123" in rejected[0]["reason"]


# ---- tools/list ----------------------------------------------------------------------------------------------
async def _tools(targets: Targets | None, settings: Settings) -> list[dict[str, Any]]:
    argo = ArgoClient(settings.argo)
    server = build_server(settings, argo, targets=targets)
    handler: Any = server._request_handlers["tools/list"].handler
    # A plain client's request: no session that declared MCP Apps, no Apps session id.
    plain = SimpleNamespace(session=None, request=SimpleNamespace(headers={}))
    listed = await handler(plain, None)
    await argo.close()
    return [tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in listed.tools]


async def test_one_target_lists_exactly_the_tools_of_today(tmp_path: Path) -> None:
    path = tmp_path / "one.yaml"
    path.write_text("targets: [{name: only, argoServer: {url: 'http://127.0.0.1:9'}, auth: {mode: none}}]")
    settings = _settings()
    single = Targets.from_file(settings, ALL_TOOLS, path, multi_tools=MULTI)
    with_file = await _tools(single, settings)
    without = await _tools(None, settings)
    assert json.dumps(with_file) == json.dumps(without)
    assert "list_targets" not in {tool["name"] for tool in with_file}


@pytest.mark.parametrize("count", [2, 10])
async def test_the_target_argument_costs_the_same_tokens_for_any_number_of_targets(
    tmp_path: Path, count: int
) -> None:
    entries = ", ".join(
        f"{{name: t{i}, argoServer: {{url: 'http://127.0.0.1:9'}}, auth: {{mode: none}}}}"
        for i in range(count)
    )
    path = tmp_path / "many.yaml"
    path.write_text(f"defaultTarget: t0\ntargets: [{entries}]")
    settings = _settings()
    many = await _tools(Targets.from_file(settings, ALL_TOOLS, path, multi_tools=MULTI), settings)
    one = await _tools(None, settings)
    growth = count_tokens(json.dumps(many, separators=(",", ":"))) - count_tokens(
        json.dumps(one, separators=(",", ":"))
    )
    per_tool = {tool["name"]: tool["inputSchema"]["properties"].get("target") for tool in many}
    assert all(value == {"type": "string", "x-mcp-header": "Target"} for value in per_tool.values())
    # ~14 tokens a tool for the argument and its header, plus list_targets: measured, not free (see README).
    assert growth < 15 * len(one) + 80, growth
    print(f"tools/list growth with {count} targets: {growth} tokens over {len(one)} tools")


# ---- through a real server -----------------------------------------------------------------------------------
async def test_a_real_server_serves_two_targets(tmp_path: Path) -> None:
    prod, staging = FakeArgo(), FakeArgo()
    staging.on("WorkflowService_ListWorkflows", EMPTY_LIST)
    prod.on("InfoService_GetVersion", {**VERSION, "version": "v3.7.18"})
    staging.on("InfoService_GetVersion", {**VERSION, "version": "v4.0.7"})
    async with serve_app(prod.app) as prod_url, serve_app(staging.app) as staging_url:
        path = tmp_path / "targets.yaml"
        path.write_text(_file_text(prod_url, staging_url, tmp_path))
        server = await start_argo_mcp(tmp_path, "--targets-file", str(path))
        try:
            async with http_client(server.url) as client:
                tools = {tool.name: tool for tool in (await client.list_tools()).tools}
                assert "list_targets" in tools
                assert (
                    tools["list_workflows"].input_schema["properties"]["target"]["x-mcp-header"] == "Target"
                )
                assert "suspend_workflow" in tools  # staging allows it, so it is offered
                result = await client.call_tool(
                    "list_workflows", {"namespace": "team-b", "target": "staging"}
                )
                assert not result.is_error, text_of(result)
                listed = payload(await client.call_tool("list_targets", {}))
                assert [t["argoVersion"] for t in listed["targets"]] == ["v3.7.18", "v4.0.7"]
            async with aiohttp.ClientSession() as http, http.get(f"{server.base}/readyz") as answer:
                ready = await answer.json()
            async with aiohttp.ClientSession() as http, http.get(f"{server.base}/metrics") as answer:
                scraped = await answer.text()
            assert 'argo_mcp_calls_total{method="tools/call",outcome="ok",target="staging"} 1.0' in scraped
            assert ready["status"] == "ready" and set(ready["targets"]) == {"prod-eu", "staging"}
        finally:
            await server.stop()
        logs = [line for line in server.logs() if line.get("event") == "tool_call"]
        assert {"staging", "prod-eu"} <= {line.get("target") for line in logs}
        assert "token-of" not in server.stderr()


# ---- tasks ---------------------------------------------------------------------------------------------------
async def test_a_task_remembers_its_target_and_its_polls_go_there(two: Two) -> None:
    from argo_mcp.calls.tasks import TaskRef, open_task, seal_task
    from argo_mcp.sealing import Sealer

    sealer = Sealer.from_file(None)
    ref = TaskRef(tool="wait_for_workflow", namespace="team-b", name="w", uid="", caller="", created=0.0)
    ref = TaskRef(**{**ref.__dict__, "target": "staging", "created": __import__("time").time()})
    opened = open_task(sealer, seal_task(sealer, ref), "")
    assert opened is not None and opened.target == "staging"

    two.staging.on("WorkflowService_ListWorkflows", EMPTY_LIST)
    pipeline = CallPipeline(two.targets.base, two.targets.primary.argo, targets=two.targets)
    outcome = await pipeline.run(
        Call(BY_NAME["list_workflows"], {"namespace": "team-b"}, target=opened.target)
    )
    result = outcome.result
    assert isinstance(result, types.CallToolResult) and not result.is_error, text_of(result)
    assert two.staging.calls("WorkflowService_ListWorkflows") and two.prod.requests == []


# ---- resources, completions and prompts per target -----------------------------------------------------------
async def test_resources_completions_and_prompts_name_their_target(tmp_path: Path) -> None:
    from tests.support.fake_argo import Workflow

    prod, staging = FakeArgo(), FakeArgo()
    prod.on(
        "WorkflowService_ListWorkflows",
        {"metadata": {}, "items": [Workflow("p-run", namespace="team-a").json()]},
    )
    staging.on(
        "WorkflowService_ListWorkflows",
        {"metadata": {}, "items": [Workflow("s-run", namespace="team-b").json()]},
    )
    staging.on("WorkflowService_GetWorkflow", Workflow("s-run", namespace="team-b").json())
    async with serve_app(prod.app) as prod_url, serve_app(staging.app) as staging_url:
        path = tmp_path / "targets.yaml"
        path.write_text(_file_text(prod_url, staging_url, tmp_path))
        server = await start_argo_mcp(tmp_path, "--targets-file", str(path))
        try:
            async with http_client(server.url, mode="2026-07-28") as client:
                templates = await client.list_resource_templates()
                resources = await client.list_resources()
                read = await client.read_resource("argo://workflows/team-b/s-run?target=staging")
                names = await client.complete(
                    types.PromptReference(type="ref/prompt", name="debug_failed_workflow"),
                    {"name": "name", "value": "s-"},
                    {"namespace": "team-b", "target": "staging"},
                )
                target_names = await client.complete(
                    types.PromptReference(type="ref/prompt", name="debug_failed_workflow"),
                    {"name": "target", "value": "st"},
                )
                prompts = await client.list_prompts()
                prompt = await client.get_prompt(
                    "debug_failed_workflow", {"name": "s-run", "target": "staging"}
                )
        finally:
            await server.stop()
    assert all(t.uri_template.endswith("{?target}") for t in templates.resource_templates)
    assert sorted(str(r.uri) for r in resources.resources if str(r.uri).startswith("argo://workflows/")) == [
        "argo://workflows/team-a/p-run?target=prod-eu",
        "argo://workflows/team-b/s-run?target=staging",
    ]
    content = read.contents[0]
    assert isinstance(content, types.TextResourceContents) and "s-run" in content.text
    assert staging.calls("WorkflowService_GetWorkflow") and not prod.calls("WorkflowService_GetWorkflow")
    assert names.completion.values == ["s-run"]
    assert target_names.completion.values == ["staging"]
    debug = next(p for p in prompts.prompts if p.name == "debug_failed_workflow")
    assert "target" in [a.name for a in debug.arguments or []]
    text = prompt.messages[0].content
    assert isinstance(text, types.TextContent) and "pass target=staging to every tool call" in text.text


async def test_confirmation_is_per_target(tmp_path: Path) -> None:
    asked: list[str] = []

    async def confirm(tool: Any, _args: Any, namespace: str) -> None:
        asked.append(f"{tool.name}@{namespace}")
        # the user said yes

    one, two = FakeArgo(), FakeArgo()
    for fake in (one, two):
        fake.on("WorkflowService_DeleteWorkflow", {})
    async with serve_app(one.app) as one_url, serve_app(two.app) as two_url:
        path = tmp_path / "targets.yaml"
        path.write_text(
            "defaultTarget: careful\n"
            "targets:\n"
            f"  - {{name: careful, argoServer: {{url: '{one_url}'}}, auth: {{mode: none}}, confirmDestructive: true}}\n"
            f"  - {{name: casual, argoServer: {{url: '{two_url}'}}, auth: {{mode: none}}, confirmDestructive: false}}\n"
        )
        targets = Targets.from_file(_settings(one_url), ALL_TOOLS, path, multi_tools=MULTI)
        pipeline = CallPipeline(targets.base, targets.primary.argo, targets=targets)
        for target in ("careful", "casual"):
            arguments = {"name": "w", "namespace": "argo", "target": target}
            outcome = await pipeline.run(Call(BY_NAME["delete_workflow"], arguments), confirm)
            assert not isinstance(outcome.result, types.InputRequiredResult)
            assert not outcome.result.is_error, text_of(outcome.result)
        await targets.close()
    assert asked == ["delete_workflow@argo"]  # only the careful target asked the user
    assert (
        len(one.calls("WorkflowService_DeleteWorkflow"))
        == len(two.calls("WorkflowService_DeleteWorkflow"))
        == 1
    )
