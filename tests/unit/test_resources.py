"""MCP resources and their completions through real MCP clients (HTTP, both protocol eras, and stdio) against the
swagger-checked Argo stand-in: resources/list and resources/templates/list, a read of each template (the exact
Argo request and the tool's own answer), the 2026-07-28 caching hints and their absence for older clients, bad
URIs, the --namespaces allow-list, --toolsets, RBAC in kubernetes inbound mode, and completion/complete."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
import mcp_types as types
import pytest
from mcp.shared.exceptions import MCPError

from argo_mcp.tools.shaping import WORKFLOW_DETAIL_FIELDS, WORKFLOW_LIST_FIELDS
from tests.support.fake_argo import FakeArgo, Workflow, ndjson_log
from tests.support.kube_auth import FakeKubeAuth
from tests.support.processes import (
    ServerProcess,
    closed_url,
    http_client,
    payload,
    start_argo_mcp,
    stdio_mcp_client,
    text_of,
)
from tests.support.raw_mcp import initialize_request
from tests.support.samples import CLUSTER_TEMPLATE, CRON, TEMPLATE, VERSION

TEMPLATES = [
    "argo://workflows/{namespace}/{name}",
    "argo://workflows/{namespace}/{name}/logs",
    "argo://workflow-templates/{namespace}/{name}",
    "argo://cluster-workflow-templates/{name}",
    "argo://cron-workflows/{namespace}/{name}",
]
ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def workflow(name: str, namespace: str = "argo", phase: str = "Running", started: str = "") -> dict[str, Any]:
    wf = Workflow(name, namespace=namespace, phase=phase).json()
    if started:
        wf["status"]["startedAt"] = started
    if phase == "Pending":
        del wf["status"]["startedAt"]
    if phase in ("Succeeded", "Failed"):
        wf["status"]["finishedAt"] = "2026-11-25T10:05:00Z"
    return wf


def listing(*items: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": {}, "items": list(items)}


def workflow_uris(result: Any) -> list[str]:
    """The workflows resources/list names (the authoring aids follow them, always the same: see the end)."""
    return [str(r.uri) for r in result.resources if str(r.uri).startswith("argo://workflows/")]


def hinted(result: Any) -> bool:
    """Whether the wire answer carried both caching hints (a field the client parsed is in its fields set)."""
    fields: set[str] = result.model_fields_set
    return {"ttl_ms", "cache_scope"} <= fields


def ref(uri_template: str) -> types.ResourceTemplateReference:
    return types.ResourceTemplateReference(type="ref/resource", uri=uri_template)


# ---- listing ------------------------------------------------------------------------------------------------
async def test_templates_and_recent_workflows_with_caching_hints(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    argo.on(
        "WorkflowService_ListWorkflows",
        listing(
            workflow("old", phase="Succeeded", started="2026-11-25T08:00:00Z"),
            workflow("new", started="2026-11-25T11:00:00Z"),
            workflow("queued", phase="Pending"),
        ),
    )
    async with http_client(shared_server.url, mode="2026-07-28") as client:
        templates = await client.list_resource_templates()
        resources = await client.list_resources()
    assert [t.uri_template for t in templates.resource_templates] == TEMPLATES
    first = templates.resource_templates[0]
    assert (first.name, first.mime_type) == ("workflow", "application/json")
    assert templates.resource_templates[1].mime_type == "text/plain"
    assert hinted(templates) and (templates.ttl_ms, templates.cache_scope) == (300_000, "public")
    assert workflow_uris(resources) == [
        "argo://workflows/argo/queued",
        "argo://workflows/argo/new",
        "argo://workflows/argo/old",
    ]
    old = resources.resources[2]
    assert (old.name, old.title, old.mime_type) == ("old", "argo/old", "application/json")
    assert old.description == "Workflow argo/old: Succeeded, 0/1"
    assert old.annotations is not None and old.annotations.last_modified == "2026-11-25T10:05:00Z"
    assert hinted(resources) and (resources.ttl_ms, resources.cache_scope) == (10_000, "private")
    request = argo.last("WorkflowService_ListWorkflows")
    assert request.path == "/api/v1/workflows/argo"
    assert request.query_dict == {"listOptions.limit": "20", "fields": WORKFLOW_LIST_FIELDS}


async def test_tools_and_prompts_lists_carry_hints_too(argo: FakeArgo, shared_server: ServerProcess) -> None:
    async with http_client(shared_server.url, mode="2026-07-28") as client:
        tools = await client.list_tools()
        prompts = await client.list_prompts()
    assert (tools.ttl_ms, tools.cache_scope) == (300_000, "public")
    assert (prompts.ttl_ms, prompts.cache_scope) == (300_000, "public")


# ---- reading ------------------------------------------------------------------------------------------------
async def test_read_each_template_answers_what_its_tool_answers(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    argo.on("WorkflowService_GetWorkflow", workflow("hello-1", phase="Succeeded"))
    argo.on(
        "WorkflowService_WorkflowLogs",
        stream=ndjson_log([("hello-1-pod", "starting"), ("hello-1-pod", "done")]),
    )
    argo.on("WorkflowTemplateService_GetWorkflowTemplate", TEMPLATE)
    argo.on("ClusterWorkflowTemplateService_GetClusterWorkflowTemplate", CLUSTER_TEMPLATE)
    argo.on("CronWorkflowService_GetCronWorkflow", CRON)
    async with http_client(shared_server.url, mode="2026-07-28") as client:
        read = {
            uri: await client.read_resource(uri)
            for uri in (
                "argo://workflows/argo/hello-1",
                "argo://workflows/argo/hello-1/logs",
                "argo://workflow-templates/argo/hello",
                "argo://cluster-workflow-templates/shared",
                "argo://cron-workflows/argo/nightly",
            )
        }
        tool_answers = [
            payload(await client.call_tool("get_workflow", {"name": "hello-1"})),
            text_of(await client.call_tool("get_workflow_logs", {"name": "hello-1"})),
            payload(await client.call_tool("get_workflow_template", {"name": "hello"})),
            payload(await client.call_tool("get_cluster_workflow_template", {"name": "shared"})),
            payload(await client.call_tool("get_cron_workflow", {"name": "nightly"})),
        ]
    contents = []
    for uri, result in read.items():
        assert hinted(result) and result.cache_scope == "private", uri
        (content,) = result.contents
        assert isinstance(content, types.TextResourceContents) and content.uri == uri
        contents.append(content)
    assert [c.mime_type for c in contents] == ["application/json", "text/plain", *["application/json"] * 3]
    as_read = [json.loads(c.text) if c.mime_type == "application/json" else c.text for c in contents]
    assert as_read == tool_answers
    assert "hello-1-pod: done" in contents[1].text
    assert [r.ttl_ms for r in read.values()] == [60_000, 5_000, 30_000, 30_000, 30_000]
    # Each read is one request, the same the tool sends.
    gets = argo.calls("WorkflowService_GetWorkflow")
    assert len(gets) == 2 and gets[0].path == gets[1].path == "/api/v1/workflows/argo/hello-1"
    assert gets[0].query_dict == gets[1].query_dict == {"fields": WORKFLOW_DETAIL_FIELDS}
    logs = argo.calls("WorkflowService_WorkflowLogs")
    assert len(logs) == 2 and logs[0].query_dict == logs[1].query_dict
    assert logs[0].query_dict["logOptions.tailLines"] == "200"
    assert logs[0].query_dict["logOptions.container"] == "main"
    assert argo.last("ClusterWorkflowTemplateService_GetClusterWorkflowTemplate").path == (
        "/api/v1/cluster-workflow-templates/shared"
    )
    assert argo.last("CronWorkflowService_GetCronWorkflow").path == "/api/v1/cron-workflows/argo/nightly"


async def test_a_running_workflow_is_fresh_for_a_few_seconds(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    argo.on("WorkflowService_GetWorkflow", workflow("busy"))
    async with http_client(shared_server.url, mode="2026-07-28") as client:
        result = await client.read_resource("argo://workflows/argo/busy")
    assert result.ttl_ms == 5_000


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("https://example.com/x", "Unknown resource URI 'https://example.com/x': argo-mcp serves argo://"),
        (
            "argo://workflows/argo",
            "Bad resource URI 'argo://workflows/argo': expected argo://workflows/{namespace}/{name} or "
            "argo://workflows/{namespace}/{name}/logs",
        ),
        (
            "argo://workflows/argo/x?full=true",
            "Bad resource URI 'argo://workflows/argo/x?full=true': expected",
        ),
        ("argo://workflows/argo/x/pods", "Bad resource URI 'argo://workflows/argo/x/pods': expected"),
        (
            "argo://workflows/Not_A_Namespace/x",
            "Bad resource URI 'argo://workflows/Not_A_Namespace/x' (expected argo://workflows/{namespace}/{name}): "
            "Invalid arguments for get_workflow: 'namespace'",
        ),
        (
            "argo://cluster-workflow-templates/a/b",
            "Bad resource URI 'argo://cluster-workflow-templates/a/b': expected "
            "argo://cluster-workflow-templates/{name}",
        ),
    ],
)
async def test_bad_uris_are_invalid_params_naming_the_uri_and_the_form(
    argo: FakeArgo, shared_server: ServerProcess, uri: str, expected: str
) -> None:
    async with http_client(shared_server.url) as client:
        with pytest.raises(MCPError) as raised:
            await client.read_resource(uri)
    assert raised.value.code == types.INVALID_PARAMS
    assert raised.value.message.startswith(expected), raised.value.message
    assert raised.value.data == {"uri": uri}
    assert argo.requests == []


async def test_a_name_argo_does_not_know_is_resource_not_found(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    argo.error("WorkflowService_GetWorkflow", 404, 'workflows.argoproj.io "gone" not found', grpc_code=5)
    async with http_client(shared_server.url) as client:
        with pytest.raises(MCPError) as raised:
            await client.read_resource("argo://workflows/argo/gone")
    assert raised.value.code == types.INVALID_PARAMS  # SEP-2164
    assert raised.value.message.startswith("Cannot read 'argo://workflows/argo/gone': ")
    assert '"gone" not found' in raised.value.message
    assert raised.value.data == {"uri": "argo://workflows/argo/gone"}


async def test_argo_failing_is_an_internal_error(argo: FakeArgo, shared_server: ServerProcess) -> None:
    argo.error("WorkflowTemplateService_GetWorkflowTemplate", 500, "etcd is down", grpc_code=13)
    async with http_client(shared_server.url) as client:
        with pytest.raises(MCPError) as raised:
            await client.read_resource("argo://workflow-templates/argo/hello")
    assert raised.value.code == types.INTERNAL_ERROR
    assert "Cannot read 'argo://workflow-templates/argo/hello'" in raised.value.message
    assert "etcd is down" in raised.value.message


# ---- the protocol eras --------------------------------------------------------------------------------------
async def _post(http: httpx2.AsyncClient, url: str, version: str, method: str, **params: Any) -> Any:
    body = {"jsonrpc": "2.0", "id": 2, "method": method, "params": params}
    response = await http.post(url, json=body, headers={**ACCEPT, "MCP-Protocol-Version": version})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("version", ["2025-06-18", "2025-11-25"])
async def test_handshake_era_clients_get_no_caching_hints(
    argo: FakeArgo, shared_server: ServerProcess, version: str
) -> None:
    argo.on("WorkflowService_ListWorkflows", listing(workflow("hello-1")))
    argo.on("WorkflowService_GetWorkflow", workflow("hello-1"))
    async with httpx2.AsyncClient() as http:
        init = await http.post(shared_server.url, json=initialize_request(version), headers=ACCEPT)
        assert init.status_code == 200
        answers = {
            method: await _post(http, shared_server.url, version, method, **params)
            for method, params in (
                ("resources/list", {}),
                ("resources/templates/list", {}),
                ("resources/read", {"uri": "argo://workflows/argo/hello-1"}),
                ("tools/list", {}),
                ("prompts/list", {}),
            )
        }
        bad = await _post(http, shared_server.url, version, "resources/read", uri="argo://nope")
    for method, answer in answers.items():
        result = answer["result"]
        assert "ttlMs" not in result and "cacheScope" not in result, method
    assert [r["uri"] for r in answers["resources/list"]["result"]["resources"]] == [
        "argo://workflows/argo/hello-1",
        *AIDS,
    ]
    assert len(answers["resources/templates/list"]["result"]["resourceTemplates"]) == 5
    (content,) = answers["resources/read"]["result"]["contents"]
    assert json.loads(content["text"])["name"] == "hello-1"
    assert bad["error"]["code"] == -32602 and "'argo://nope'" in bad["error"]["message"]


async def test_sdk_legacy_client_gets_no_hints(argo: FakeArgo, shared_server: ServerProcess) -> None:
    argo.on("WorkflowService_GetWorkflow", workflow("hello-1"))
    async with http_client(shared_server.url, mode="legacy") as client:
        templates = await client.list_resource_templates()
        read = await client.read_resource("argo://workflows/argo/hello-1")
    assert len(templates.resource_templates) == 5 and not hinted(templates)
    assert read.contents and not hinted(read)


# ---- scope --------------------------------------------------------------------------------------------------
async def test_allow_list_and_toolsets_confine_resources(argo: FakeArgo, server_with: Any) -> None:
    server = await server_with(
        "--namespaces", "team-a,team-b", "--argo-default-namespace", "team-a", "--toolsets", "workflows"
    )
    argo.on(
        "WorkflowService_ListWorkflows",
        listing(workflow("a-1", namespace="team-a", started="2026-11-25T09:00:00Z")),
    )
    async with http_client(server.url) as client:
        with pytest.raises(MCPError) as outside:
            await client.read_resource("argo://workflows/kube-system/x")
        with pytest.raises(MCPError) as hidden:
            await client.read_resource("argo://workflow-templates/team-a/hello")
        assert argo.requests == []
        templates = await client.list_resource_templates()
        resources = await client.list_resources()
        namespaces = await client.complete(ref(TEMPLATES[0]), {"name": "namespace", "value": ""})
        template_names = await client.complete(ref(TEMPLATES[2]), {"name": "name", "value": "h"})
        hidden_namespaces = await client.complete(ref(TEMPLATES[2]), {"name": "namespace", "value": ""})
    assert outside.value.code == types.INVALID_PARAMS
    assert outside.value.message.startswith("Cannot read 'argo://workflows/kube-system/x': ")
    assert (
        "'kube-system' is outside the namespaces argo-mcp may act in (team-a, team-b)"
        in outside.value.message
    )
    assert "Nothing was sent to Argo" in outside.value.message
    assert hidden.value.code == types.INVALID_PARAMS
    assert hidden.value.message.startswith(
        "Resource 'argo://workflow-templates/team-a/hello' is read with get_workflow_template, which is "
        "disabled on this server (--toolsets)"
    )
    assert [t.uri_template for t in templates.resource_templates] == TEMPLATES[:2]
    # One list per allowed namespace; the stand-in answers both with team-a's workflow, which is listed once.
    assert sorted(r.path for r in argo.calls("WorkflowService_ListWorkflows")) == [
        "/api/v1/workflows/team-a",
        "/api/v1/workflows/team-b",
    ]
    assert workflow_uris(resources) == ["argo://workflows/team-a/a-1"]
    assert namespaces.completion.values == ["team-a", "team-b"]
    # the template tools are not exposed, so neither are their resource template's arguments
    assert template_names.completion.values == [] and hidden_namespaces.completion.values == []


async def test_rbac_decides_per_caller_in_kubernetes_mode(
    argo: FakeArgo, kube: tuple[FakeKubeAuth, Path], k8s_server: ServerProcess
) -> None:
    argo.on("WorkflowService_GetWorkflow", workflow("hello-1"))
    fake, _ = kube
    user = fake.service_account(
        "reader-token", "system:serviceaccount:team-a:reader", ("get", "workflows", "argo")
    )
    async with http_client(k8s_server.url, headers={"Authorization": "Bearer reader-token"}) as client:
        read = await client.read_resource("argo://workflows/argo/hello-1")
        with pytest.raises(MCPError) as logs:
            await client.read_resource("argo://workflows/argo/hello-1/logs")
        with pytest.raises(MCPError) as template:
            await client.read_resource("argo://workflow-templates/argo/hello")
        listed = await client.list_resources()
        names = await client.complete(ref(TEMPLATES[0]), {"name": "name", "value": "he"})
    assert json.loads(read.contents[0].text)["name"] == "hello-1"  # type: ignore[union-attr]
    assert logs.value.code == types.INVALID_PARAMS
    assert (
        f"Refused by Kubernetes RBAC: {user} may not get pods/log in namespace 'argo'" in logs.value.message
    )
    assert "Nothing was sent to Argo" in logs.value.message
    assert f"{user} may not get workflowtemplates (argoproj.io)" in template.value.message
    assert workflow_uris(listed) == []  # may not list workflows: nothing listed, no error
    assert names.completion.values == []
    assert [r.operation for r in argo.requests] == ["WorkflowService_GetWorkflow"]
    reviews = [r["spec"]["resourceAttributes"] for r in fake.reviews if r["kind"] == "SubjectAccessReview"]
    assert {(a["verb"], a["resource"]) for a in reviews[-5:]} == {
        ("get", "workflows"),
        ("get", "pods"),
        ("get", "workflowtemplates"),
        ("list", "workflows"),
    }


# ---- completions --------------------------------------------------------------------------------------------
async def test_resource_template_arguments_complete_from_argo(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    argo.on("WorkflowService_ListWorkflows", listing(workflow("hello-1"), workflow("hello-2")))
    other: dict[str, Any] = copy.deepcopy(TEMPLATE)
    other["metadata"] = {**other["metadata"], "name": "say-hello"}
    argo.on("WorkflowTemplateService_ListWorkflowTemplates", listing(other, TEMPLATE))
    argo.on("ClusterWorkflowTemplateService_ListClusterWorkflowTemplates", listing(CLUSTER_TEMPLATE))
    argo.on("CronWorkflowService_ListCronWorkflows", listing(CRON))
    async with http_client(shared_server.url) as client:
        namespace = await client.complete(ref(TEMPLATES[1]), {"name": "namespace", "value": "a"})
        no_namespace = await client.complete(ref(TEMPLATES[3]), {"name": "namespace", "value": ""})
        workflows = await client.complete(
            ref(TEMPLATES[1]), {"name": "name", "value": "hel"}, {"namespace": "argo"}
        )
        templates = await client.complete(ref(TEMPLATES[2]), {"name": "name", "value": "hel"})
        cluster = await client.complete(ref(TEMPLATES[3]), {"name": "name", "value": "sh"})
        cron = await client.complete(ref(TEMPLATES[4]), {"name": "name", "value": "n"}, {"namespace": "argo"})
        unknown = await client.complete(ref("argo://other/{name}"), {"name": "name", "value": ""})
    assert namespace.completion.values == ["argo"]
    assert no_namespace.completion.values == []  # cluster-scoped: it has no namespace argument
    assert workflows.completion.values == ["hello-1", "hello-2"]
    assert templates.completion.values == ["hello"]  # Argo's pattern is "contains": the prefix is kept here
    assert cluster.completion.values == ["shared"]
    assert cron.completion.values == ["nightly"]
    assert unknown.completion.values == []
    assert argo.last("WorkflowService_ListWorkflows").query_dict == {
        "listOptions.fieldSelector": "metadata.name=hel",
        "nameFilter": "Prefix",
        "listOptions.limit": "101",
        "fields": WORKFLOW_LIST_FIELDS,
    }
    assert argo.last("WorkflowTemplateService_ListWorkflowTemplates").query_dict == {
        "namePattern": "hel",
        "listOptions.limit": "500",
    }
    assert argo.last("ClusterWorkflowTemplateService_ListClusterWorkflowTemplates").query_dict == {
        "listOptions.limit": "500"
    }
    cron_request = argo.last("CronWorkflowService_ListCronWorkflows")
    assert cron_request.path == "/api/v1/cron-workflows/argo"
    assert cron_request.query_dict == {"listOptions.limit": "500"}
    assert len(argo.requests) == 4


# ---- stdio --------------------------------------------------------------------------------------------------
async def test_resources_and_completions_over_stdio(argo: FakeArgo, argo_url: str, tmp_path: Path) -> None:
    argo.on("WorkflowService_ListWorkflows", listing(workflow("hello-1")))
    argo.on("WorkflowTemplateService_GetWorkflowTemplate", TEMPLATE)
    argo.on("CronWorkflowService_ListCronWorkflows", listing(CRON))
    async with stdio_mcp_client(argo_url, tmp_path / "stdio.err") as client:
        templates = await client.list_resource_templates()
        listed = await client.list_resources()
        read = await client.read_resource("argo://workflow-templates/argo/hello")
        cron = await client.complete(ref(TEMPLATES[4]), {"name": "name", "value": ""})
        with pytest.raises(MCPError) as bad:
            await client.read_resource("argo://workflow-templates/argo")
    assert len(templates.resource_templates) == 5
    assert workflow_uris(listed) == ["argo://workflows/argo/hello-1"]
    assert json.loads(read.contents[0].text)["name"] == "hello"  # type: ignore[union-attr]
    assert not hinted(read)
    assert cron.completion.values == ["nightly"]
    assert bad.value.code == types.INVALID_PARAMS
    assert "expected argo://workflow-templates/{namespace}/{name}" in bad.value.message


# ---- limits and failures ------------------------------------------------------------------------------------
async def test_reads_share_the_in_flight_limit_with_tool_calls(argo: FakeArgo, server_with: Any) -> None:
    async def slow_workflow() -> AsyncIterator[bytes]:
        await asyncio.sleep(2)
        yield json.dumps(workflow("slow")).encode()

    argo.on("WorkflowService_GetWorkflow", stream=slow_workflow)
    server = await server_with("--max-inflight-calls", "1")
    async with http_client(server.url) as first, http_client(server.url) as second:
        slow = asyncio.create_task(first.read_resource("argo://workflows/argo/slow"))
        await asyncio.sleep(0.8)
        with pytest.raises(MCPError) as busy:
            await second.read_resource("argo://workflows/argo/other")
        refused_call = await second.call_tool("get_workflow", {"name": "other"})
        done = await slow
    assert json.loads(done.contents[0].text)["name"] == "slow"  # type: ignore[union-attr]
    assert busy.value.code == types.INTERNAL_ERROR
    assert busy.value.message == (
        "argo-mcp is busy: 1 calls are already running (--max-inflight-calls), so resources/read was not "
        "started and nothing was sent to Argo; retry in a few seconds"
    )
    assert refused_call.is_error and "argo-mcp is busy" in text_of(refused_call)
    assert len(argo.calls("WorkflowService_GetWorkflow")) == 1


async def test_unreachable_argo_lists_no_resources_and_fails_reads(tmp_path: Path) -> None:
    server = await start_argo_mcp(tmp_path, "--argo-server-url", closed_url(), "--argo-auth-mode", "none")
    try:
        async with http_client(server.url, mode="2026-07-28") as client:
            listed = await client.list_resources()
            templates = await client.list_resource_templates()
            with pytest.raises(MCPError) as read:
                await client.read_resource("argo://workflows/argo/x")
    finally:
        await server.stop()
    assert workflow_uris(listed) == [] and hinted(listed)
    assert len(templates.resource_templates) == 5
    assert read.value.code == types.INTERNAL_ERROR
    assert read.value.message.startswith(
        "Cannot read 'argo://workflows/argo/x': Cannot reach the Argo server"
    )


# ---- authoring aids: template examples and the Workflow spec's schema per Argo line ----------------------------
AIDS = [
    "argo://examples/templates",
    "argo://schemas/workflow-spec",
    "argo://schemas/workflow-spec/v3.7",
    "argo://schemas/workflow-spec/v4.0",
]


TEMPLATE_TYPES = ("container", "script", "steps", "dag", "resource", "suspend", "http")


def _synchronization(schema: dict[str, Any]) -> set[str]:
    return set(schema["$defs"]["io.argoproj.workflow.v1alpha1.Synchronization"]["properties"])


async def test_authoring_aids_are_listed_and_read(argo: FakeArgo, shared_server: ServerProcess) -> None:
    import yaml

    from argo_mcp.tools.compat import findings

    argo.on("WorkflowService_ListWorkflows", listing())
    argo.on("InfoService_GetVersion", {**VERSION, "version": "v4.0.7"})
    async with http_client(shared_server.url) as client:
        listed = await client.list_resources()
        examples = await client.read_resource("argo://examples/templates")
        own = await client.read_resource("argo://schemas/workflow-spec")
        v3 = await client.read_resource("argo://schemas/workflow-spec/v3.7")
    assert [str(r.uri) for r in listed.resources] == AIDS
    documents = list(yaml.safe_load_all(examples.contents[0].text))  # type: ignore[union-attr]
    kinds = [next(k for k in t if k in TEMPLATE_TYPES) for d in documents for t in d["spec"]["templates"]]
    assert set(kinds) == set(TEMPLATE_TYPES), "an example of each template type"
    assert all(d["kind"] == "Workflow" and not findings(d) for d in documents), "nothing v4 drops"
    schema = json.loads(own.contents[0].text)  # type: ignore[union-attr]
    assert "v4.0: the line of this Argo (v4.0.7)" in schema["title"]
    assert _synchronization(schema) == {"mutexes", "semaphores"}  # v4 has no singular mutex/semaphore
    older = json.loads(v3.contents[0].text)  # type: ignore[union-attr]
    assert _synchronization(older) == {"mutex", "mutexes", "semaphore", "semaphores"}
    assert older["$defs"]["io.k8s.api.core.v1.Container"] == {
        "type": "object",
        "description": "Kubernetes Container.",
    }
    assert len(own.contents[0].text) < 60_000  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("version", "line", "why"),
    [
        ("v4.1.2", "v4.0", "the nearest pinned line to this Argo (v4.1.2)"),
        ("v3.7.15", "v3.7", "the line of this Argo (v3.7.15)"),
        ("untagged", "v4.0", "the newest pinned line (this Argo's version is untagged)"),
        ("v5.0.0", "v4.0", "the newest pinned line (this Argo's version is v5.0.0)"),
    ],
)
def test_the_schema_of_the_servers_line(version: str, line: str, why: str) -> None:
    from argo_mcp.argo.version import ArgoVersion
    from argo_mcp.resources import schema_line_for

    assert schema_line_for(ArgoVersion.parse(version)) == (line, why)
