"""The WorkflowTemplate, ClusterWorkflowTemplate and CronWorkflow tools, called by a real MCP client over HTTP
against the swagger-checked Argo stand-in: the exact request each sends, its answer, manifest handling, and the
scope switches (--read-only, --disable-destructive, --toolsets, --namespaces)."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from argo_mcp.policy import ScopeKind, ToolError
from argo_mcp.tools.events import EVENT_SOURCE, SENSOR
from argo_mcp.tools.kinds import ArgoKind, checked_manifest, kind_tools
from argo_mcp.tools.templates import CLUSTER_WORKFLOW_TEMPLATE, CRON_WORKFLOW, WORKFLOW_TEMPLATE
from tests.support.fake_argo import FakeArgo
from tests.support.processes import ServerProcess, http_client, payload, text_of, tool_error
from tests.support.samples import (
    CLUSTER_TEMPLATE,
    CRON,
    NAME,
    SPEC,
    TEMPLATE,
    WF_API,
    chunks,
    failed_workflow,
)
from tests.support.tool_cases import Case, program

PARAMETERS = [
    {"name": "message", "default": "hello", "description": "What to print"},
    {"name": "size", "default": "small", "enum": ["small", "large"]},
    {"name": "db-password", "default": "[redacted]"},
]
TEMPLATES = [
    {"name": "main", "type": "steps"},
    {"name": "say", "type": "container"},
    {"name": "script-step", "type": "script"},
    {"name": "wait", "type": "suspend"},
]


def _template_detail(result: dict[str, Any], key: str, name: str) -> None:
    detail = result[key]
    assert detail["name"] == name
    assert detail["entrypoint"] == "main"
    assert detail["arguments"] == {"parameters": PARAMETERS, "artifacts": ["input-data"]}
    assert detail["templates"] == TEMPLATES


def check_saved(text: str, **expected: str) -> Any:
    """A create or update answers the result line and the object's name, namespace and uid, nothing more."""

    def check(result: dict[str, Any]) -> None:
        assert result == {"result": text, **expected}, result

    return check


HELLO = {"name": "hello", "namespace": "argo", "uid": "0b3c7f4e-5a1d-4c2e-9f00-000000000041"}
SHARED = {"name": "shared", "uid": "0b3c7f4e-5a1d-4c2e-9f00-000000000007"}
NIGHTLY = {"name": "nightly", "namespace": "argo"}


def check_get(name: str) -> Any:
    def check(result: dict[str, Any]) -> None:
        _template_detail({"x": result}, "x", name)
        assert "spec" not in result and "managedFields" not in str(result)

    return check


def manifest(kind: str, name: str, *, namespaced: bool = True) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if namespaced:
        metadata["namespace"] = "argo"
    spec = {"schedules": ["0 2 * * *"], "workflowSpec": SPEC} if kind == "CronWorkflow" else SPEC
    return {"apiVersion": WF_API, "kind": kind, "metadata": metadata, "spec": spec}


CASES = [
    # ---- WorkflowTemplates ----
    Case(
        "list_workflow_templates",
        {"namespace": "team-a", "labelSelector": "team=data", "limit": 10, "namePattern": "hel"},
        "WorkflowTemplateService_ListWorkflowTemplates",
        "/api/v1/workflow-templates/team-a",
        {"listOptions.labelSelector": "team=data", "listOptions.limit": "10", "namePattern": "hel"},
        answer={"metadata": {"continue": "tok-9"}, "items": [TEMPLATE]},
        check=lambda r: (
            None
            if r
            == {
                "namespace": "argo",
                "items": [
                    {
                        "name": "hello",
                        "description": "Says hello",
                        "entrypoint": "main",
                        "parameters": ["message", "size", "db-password"],
                    }
                ],
                "count": 1,
                "continue": "tok-9",
            }
            else pytest.fail(str(r))
        ),
    ),
    Case(
        "get_workflow_template",
        {"name": "hello"},
        "WorkflowTemplateService_GetWorkflowTemplate",
        "/api/v1/workflow-templates/argo/hello",
        answer=TEMPLATE,
        check=check_get("hello"),
    ),
    Case(
        "create_workflow_template",
        {"manifest": {"metadata": {"name": "hello"}, "spec": SPEC}},
        "WorkflowTemplateService_CreateWorkflowTemplate",
        "/api/v1/workflow-templates/argo",
        body={"namespace": "argo", "template": manifest("WorkflowTemplate", "hello")},
        answer=TEMPLATE,
        check=check_saved("workflow template argo/hello created", **HELLO),
    ),
    Case(
        "update_workflow_template",
        {"name": "hello", "manifest": {"kind": "WorkflowTemplate", "spec": SPEC}},
        "WorkflowTemplateService_UpdateWorkflowTemplate",
        "/api/v1/workflow-templates/argo/hello",
        body={
            "namespace": "argo",
            "template": {
                **manifest("WorkflowTemplate", "hello"),
                "metadata": {"name": "hello", "namespace": "argo", "resourceVersion": "41"},
            },
        },
        answer=TEMPLATE,
        extra={"WorkflowTemplateService_GetWorkflowTemplate": TEMPLATE},
        check=check_saved("workflow template argo/hello updated", **HELLO),
    ),
    Case(
        "delete_workflow_template",
        {"name": "hello", "gracePeriodSeconds": 0},
        "WorkflowTemplateService_DeleteWorkflowTemplate",
        "/api/v1/workflow-templates/argo/hello",
        {"deleteOptions.gracePeriodSeconds": "0"},
        answer={},
        check=lambda r: (
            None
            if r == {"result": "workflow template argo/hello deleted", "name": "hello"}
            else pytest.fail(str(r))
        ),
    ),
    Case(
        "lint_workflow_template",
        {"manifest": {"metadata": {"generateName": "hello-"}, "spec": SPEC}},
        "WorkflowTemplateService_LintWorkflowTemplate",
        "/api/v1/workflow-templates/argo/lint",
        body={
            "namespace": "argo",
            "template": {
                "apiVersion": WF_API,
                "kind": "WorkflowTemplate",
                "metadata": {"generateName": "hello-", "namespace": "argo"},
                "spec": SPEC,
            },
        },
        answer=TEMPLATE,
        check=lambda r: (
            None if r["valid"] is True and r["workflowTemplate"]["name"] == "hello" else pytest.fail(str(r))
        ),
    ),
    # ---- ClusterWorkflowTemplates ----
    Case(
        "list_cluster_workflow_templates",
        {"fieldSelector": "metadata.name=shared", "full": True},
        "ClusterWorkflowTemplateService_ListClusterWorkflowTemplates",
        "/api/v1/cluster-workflow-templates",
        {"listOptions.fieldSelector": "metadata.name=shared", "listOptions.limit": "100"},
        answer={"metadata": {}, "items": [CLUSTER_TEMPLATE]},
        check=lambda r: (
            None if r["count"] == 1 and r["items"][0]["spec"]["entrypoint"] == "main" else pytest.fail(str(r))
        ),
    ),
    Case(
        "get_cluster_workflow_template",
        {"name": "shared"},
        "ClusterWorkflowTemplateService_GetClusterWorkflowTemplate",
        "/api/v1/cluster-workflow-templates/shared",
        answer=CLUSTER_TEMPLATE,
        check=check_get("shared"),
    ),
    Case(
        "create_cluster_workflow_template",
        {"manifest": manifest("ClusterWorkflowTemplate", "shared", namespaced=False)},
        "ClusterWorkflowTemplateService_CreateClusterWorkflowTemplate",
        "/api/v1/cluster-workflow-templates",
        body={"template": manifest("ClusterWorkflowTemplate", "shared", namespaced=False)},
        answer=CLUSTER_TEMPLATE,
        check=check_saved("cluster workflow template shared created", **SHARED),
    ),
    Case(
        "update_cluster_workflow_template",
        {
            "manifest": {
                "kind": "ClusterWorkflowTemplate",
                "metadata": {"name": "shared", "resourceVersion": "8"},
                "spec": SPEC,
            }
        },
        "ClusterWorkflowTemplateService_UpdateClusterWorkflowTemplate",
        "/api/v1/cluster-workflow-templates/shared",
        body={
            "template": {
                "apiVersion": WF_API,
                "kind": "ClusterWorkflowTemplate",
                "metadata": {"name": "shared", "resourceVersion": "8"},
                "spec": SPEC,
            }
        },
        answer=CLUSTER_TEMPLATE,
        check=check_saved("cluster workflow template shared updated", **SHARED),
    ),
    Case(
        "delete_cluster_workflow_template",
        {"name": "shared", "propagationPolicy": "Background"},
        "ClusterWorkflowTemplateService_DeleteClusterWorkflowTemplate",
        "/api/v1/cluster-workflow-templates/shared",
        {"deleteOptions.propagationPolicy": "Background"},
        answer={},
        check=lambda r: (
            None if r["result"] == "cluster workflow template shared deleted" else pytest.fail(str(r))
        ),
    ),
    Case(
        "lint_cluster_workflow_template",
        {"manifest": manifest("ClusterWorkflowTemplate", "shared", namespaced=False)},
        "ClusterWorkflowTemplateService_LintClusterWorkflowTemplate",
        "/api/v1/cluster-workflow-templates/lint",
        body={"template": manifest("ClusterWorkflowTemplate", "shared", namespaced=False)},
        answer=CLUSTER_TEMPLATE,
        check=lambda r: None if r["valid"] is True else pytest.fail(str(r)),
    ),
    # ---- CronWorkflows ----
    Case(
        "list_cron_workflows",
        {},
        "CronWorkflowService_ListCronWorkflows",
        "/api/v1/cron-workflows/argo",
        {"listOptions.limit": "100"},  # a page of 100 unless the agent asks for another size
        answer={"metadata": {}, "items": [CRON]},
        check=lambda r: (
            None
            if r
            == {
                "namespace": "argo",
                "items": [
                    {
                        "name": "nightly",
                        "schedules": ["0 2 * * *"],
                        "timezone": "Europe/Paris",
                        "phase": "Active",
                        "lastScheduledTime": "2026-12-02T01:00:00Z",
                        "active": 1,
                        "succeeded": 12,
                        "failed": 1,
                    }
                ],
                "count": 1,
            }
            else pytest.fail(str(r))
        ),
    ),
    Case(
        "get_cron_workflow",
        {"name": "nightly"},
        "CronWorkflowService_GetCronWorkflow",
        "/api/v1/cron-workflows/argo/nightly",
        answer=CRON,
        check=lambda r: (
            None
            if r["concurrencyPolicy"] == "Forbid"
            and r["activeWorkflows"] == ["nightly-1764640800"]
            and r["conditions"]
            == [{"type": "SubmissionError", "status": "True", "message": "token=[redacted] rejected"}]
            and r["workflow"]["templates"] == TEMPLATES
            and r["workflow"]["arguments"]["parameters"] == PARAMETERS
            else pytest.fail(str(r))
        ),
    ),
    Case(
        "create_cron_workflow",
        {"manifest": manifest("CronWorkflow", "nightly")},
        "CronWorkflowService_CreateCronWorkflow",
        "/api/v1/cron-workflows/argo",
        body={"namespace": "argo", "cronWorkflow": manifest("CronWorkflow", "nightly")},
        answer=CRON,
        check=check_saved("cron workflow argo/nightly created", **NIGHTLY),
    ),
    Case(
        "update_cron_workflow",
        {"manifest": manifest("CronWorkflow", "nightly")},
        "CronWorkflowService_UpdateCronWorkflow",
        "/api/v1/cron-workflows/argo/nightly",
        body={
            "namespace": "argo",
            "cronWorkflow": {
                **manifest("CronWorkflow", "nightly"),
                "metadata": {"name": "nightly", "namespace": "argo", "resourceVersion": "55"},
            },
        },
        answer=CRON,
        extra={"CronWorkflowService_GetCronWorkflow": CRON},
        check=check_saved("cron workflow argo/nightly updated", **NIGHTLY),
    ),
    Case(
        "delete_cron_workflow",
        {"name": "nightly", "namespace": "team-a"},
        "CronWorkflowService_DeleteCronWorkflow",
        "/api/v1/cron-workflows/team-a/nightly",
        answer={},
        check=lambda r: (
            None if r["result"] == "cron workflow team-a/nightly deleted" else pytest.fail(str(r))
        ),
    ),
    Case(
        "lint_cron_workflow",
        {"manifest": manifest("CronWorkflow", "nightly")},
        "CronWorkflowService_LintCronWorkflow",
        "/api/v1/cron-workflows/argo/lint",
        body={"namespace": "argo", "cronWorkflow": manifest("CronWorkflow", "nightly")},
        answer=CRON,
        check=lambda r: None if r["valid"] is True else pytest.fail(str(r)),
    ),
    Case(
        "suspend_cron_workflow",
        {"name": "nightly"},
        "CronWorkflowService_SuspendCronWorkflow",
        "/api/v1/cron-workflows/argo/nightly/suspend",
        body={"namespace": "argo", "name": "nightly"},
        answer={**CRON, "spec": {**CRON["spec"], "suspend": True}},
        check=lambda r: (
            None
            if r == {"result": "cron workflow argo/nightly suspended", **NIGHTLY, "suspended": True}
            else pytest.fail(str(r))
        ),
    ),
    Case(
        "resume_cron_workflow",
        {"name": "nightly"},
        "CronWorkflowService_ResumeCronWorkflow",
        "/api/v1/cron-workflows/argo/nightly/resume",
        body={"namespace": "argo", "name": "nightly"},
        answer=CRON,
        check=lambda r: (
            None
            if r == {"result": "cron workflow argo/nightly resumed", **NIGHTLY, "suspended": False}
            else pytest.fail(str(r))
        ),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_template_tool_sends_the_swagger_request(
    argo: FakeArgo, shared_server: ServerProcess, case: Case
) -> None:
    program(argo, case)
    async with http_client(shared_server.url) as client:
        result = await client.call_tool(case.tool, case.args)
    assert not result.is_error, text_of(result)
    request = argo.last(case.operation)
    assert request.path == case.path
    assert request.query_dict == case.query, f"query of {case.operation}"
    assert request.body == case.body
    answer = payload(result)
    assert isinstance(answer, dict)
    if case.check is not None:
        case.check(answer)


def test_every_template_tool_has_a_case() -> None:
    from argo_mcp.settings import ToolGroup
    from argo_mcp.tools import ALL_TOOLS

    ours = {t.name for t in ALL_TOOLS if t.group in (ToolGroup.TEMPLATES, ToolGroup.CRON)}
    assert len(ours) == 20
    assert ours == {case.tool for case in CASES}


def test_declarations_annotations_permissions_and_scope() -> None:
    from argo_mcp.policy import ScopeKind
    from argo_mcp.tools import ALL_TOOLS

    tools = {t.name: t for t in ALL_TOOLS}
    for name in {case.tool for case in CASES}:
        tool = tools[name]
        verb = name.split("_", 1)[0]
        expected_kind = {
            "delete": "Destructive",
            "update": "Destructive",  # an update replaces the object: not additive (MCP's destructiveHint)
            "list": "Read-only",
            "get": "Read-only",
            "lint": "Read-only",
        }
        assert tool.kind.value == expected_kind.get(verb, "Mutating"), name
        assert tool.annotations().read_only_hint is (tool.kind.value == "Read-only")
        assert tool.annotations().destructive_hint is (verb in ("delete", "update"))
        assert tool.permission is not None and tool.scope is not None, name
        resource = (
            "clusterworkflowtemplates"
            if "cluster" in name
            else "cronworkflows"
            if "cron" in name
            else "workflowtemplates"
        )
        assert tool.permission.resource == resource, name
        verbs = {"list": "list", "get": "get", "create": "create", "update": "update", "delete": "delete"}
        assert tool.permission.verb == verbs.get(verb, "list" if verb == "lint" else "update"), name
        if "cluster" in name:
            assert (
                tool.scope.kind is ScopeKind.CLUSTER and "namespace" not in tool.input_schema()["properties"]
            )
        elif verb in ("create", "update", "lint"):
            assert tool.scope.kind is ScopeKind.MANIFEST
        else:
            assert tool.scope.kind is ScopeKind.ARGUMENT


# ---- manifests ----------------------------------------------------------------------------------------------
YAML_TEMPLATE = """apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: scripted
  namespace: team-a
  annotations:
    released: 2026-11-25 10:00:00
spec:
  entrypoint: main
  templates:
    - name: main
      script:
        image: python
        source: |+
          print("  indented  ")

"""


async def test_a_yaml_manifest_reaches_argo_exactly_as_written(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    argo.on("WorkflowTemplateService_CreateWorkflowTemplate", TEMPLATE)
    async with http_client(shared_server.url) as client:
        result = await client.call_tool("create_workflow_template", {"manifest": YAML_TEMPLATE})
    assert not result.is_error, text_of(result)
    request = argo.last("WorkflowTemplateService_CreateWorkflowTemplate")
    # The manifest's own namespace is the one acted in (no namespace argument was given).
    assert request.path == "/api/v1/workflow-templates/team-a"
    sent = request.body["template"]
    assert sent["spec"]["templates"][0]["script"]["source"] == 'print("  indented  ")\n\n'
    assert sent["metadata"]["annotations"] == {
        "released": "2026-11-25 10:00:00"
    }  # not re-spelled as a datetime


@pytest.mark.parametrize(
    ("tool", "args", "message"),
    [
        (
            "create_workflow_template",
            {"manifest": manifest("CronWorkflow", "x")},
            "manifest.kind is 'CronWorkflow', but this tool takes kind WorkflowTemplate",
        ),
        (
            "create_cron_workflow",
            {
                "manifest": "kind: CronWorkflow\nmetadata: {name: x}\nspec: {workflowSpec: {}}\n---\nkind: CronWorkflow\n"
            },
            "holds 2 YAML documents; pass one manifest per call",
        ),
        ("create_workflow_template", {"manifest": "spec: [unclosed"}, "not valid YAML or JSON"),
        ("create_workflow_template", {"manifest": {"metadata": {"name": "x"}}}, "manifest.spec is required"),
        ("create_workflow_template", {"manifest": {"spec": SPEC}}, "manifest.metadata.name is required"),
        (
            "create_workflow_template",
            {"namespace": "team-b", "manifest": manifest("WorkflowTemplate", "x")},
            "manifest.metadata.namespace 'argo' does not match namespace 'team-b'",
        ),
        (
            "update_workflow_template",
            {"name": "other", "manifest": manifest("WorkflowTemplate", "x")},
            "manifest.metadata.name 'x' does not match name 'other'",
        ),
        (
            "create_cluster_workflow_template",
            {"manifest": manifest("ClusterWorkflowTemplate", "x")},
            "a ClusterWorkflowTemplate is cluster-scoped",
        ),
        (
            "create_cluster_workflow_template",
            {"namespace": "argo", "manifest": manifest("ClusterWorkflowTemplate", "x", namespaced=False)},
            "'namespace' is not an argument of create_cluster_workflow_template",
        ),
        (
            "create_workflow_template",
            {"manifest": {**manifest("WorkflowTemplate", "x"), "apiVersion": "v1"}},
            "manifest.apiVersion is 'v1'",
        ),
    ],
)
async def test_bad_manifests_are_refused_before_argo(
    argo: FakeArgo, shared_server: ServerProcess, tool: str, args: dict[str, Any], message: str
) -> None:
    text = await tool_error(shared_server.url, tool, args)
    assert message in text, text
    assert "Traceback" not in text
    assert argo.requests == []


async def test_lint_reports_argo_findings(argo: FakeArgo, shared_server: ServerProcess) -> None:
    argo.error("CronWorkflowService_LintCronWorkflow", 400, 'cron schedule "nope" is invalid', grpc_code=3)
    async with http_client(shared_server.url) as client:
        result = await client.call_tool("lint_cron_workflow", {"manifest": manifest("CronWorkflow", "n")})
    assert not result.is_error, text_of(result)
    assert payload(result) == {"valid": False, "errors": 'cron schedule "nope" is invalid'}


async def test_get_full_returns_the_cleaned_object(argo: FakeArgo, shared_server: ServerProcess) -> None:
    argo.on("WorkflowTemplateService_GetWorkflowTemplate", copy.deepcopy(TEMPLATE))
    async with http_client(shared_server.url) as client:
        result = await client.call_tool("get_workflow_template", {"name": "hello", "full": True})
    full = payload(result)
    assert full["spec"]["templates"][1]["container"]["image"] == "busybox"
    assert "managedFields" not in full["metadata"]
    assert full["spec"]["arguments"]["parameters"][2]["value"] == "[redacted]"


# ---- scope switches -----------------------------------------------------------------------------------------
async def _names(server: ServerProcess) -> set[str]:
    async with http_client(server.url) as client:
        return {tool.name for tool in (await client.list_tools()).tools}


OURS = {case.tool for case in CASES}


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (
            ["--read-only"],
            {n for n in OURS if n.startswith(("list_", "get_", "lint_"))},
        ),
        (["--disable-destructive"], {n for n in OURS if not n.startswith(("delete_", "update_"))}),
        (["--toolsets", "templates"], {n for n in OURS if "cron" not in n}),
        (["--toolsets", "cron,info"], {n for n in OURS if "cron" in n}),
    ],
)
async def test_scope_switches_apply_to_template_tools(
    argo: FakeArgo, server_with: Any, flags: list[str], expected: set[str]
) -> None:
    server = await server_with(*flags)
    names = await _names(server)
    assert names & OURS == expected
    hidden = sorted(OURS - expected)[0]
    async with http_client(server.url) as client:
        result = await client.call_tool(hidden, {"name": "x"})
    assert result.is_error and "is disabled on this server" in text_of(result)
    assert argo.requests == []


async def test_namespaces_confine_template_tools(argo: FakeArgo, server_with: Any) -> None:
    server = await server_with("--namespaces", "team-a", "--argo-default-namespace", "team-a")
    argo.on("ClusterWorkflowTemplateService_ListClusterWorkflowTemplates", {"metadata": {}, "items": []})
    async with http_client(server.url) as client:
        outside = await client.call_tool("list_workflow_templates", {"namespace": "kube-system"})
        by_manifest = await client.call_tool(
            "create_cron_workflow",
            {
                "manifest": {
                    **manifest("CronWorkflow", "x"),
                    "metadata": {"name": "x", "namespace": "kube-system"},
                }
            },
        )
        cluster_write = await client.call_tool("delete_cluster_workflow_template", {"name": "shared"})
        assert argo.requests == []
        cluster_read = await client.call_tool("list_cluster_workflow_templates", {})
    assert outside.is_error and "'kube-system' is outside the namespaces" in text_of(outside)
    assert by_manifest.is_error and "'kube-system' is outside the namespaces" in text_of(by_manifest)
    assert cluster_write.is_error
    assert "changes a cluster-scoped object, and this server is confined to the namespaces team-a" in text_of(
        cluster_write
    )
    assert not cluster_read.is_error, text_of(cluster_read)
    assert [r.operation for r in argo.requests] == [
        "ClusterWorkflowTemplateService_ListClusterWorkflowTemplates"
    ]


async def test_template_tools_diagnosis_and_completions_over_stdio(
    argo: FakeArgo, argo_url: str, tmp_path: Path
) -> None:
    import mcp_types as types

    from tests.support.fake_argo import ndjson_log
    from tests.support.processes import stdio_mcp_client

    argo.on("WorkflowTemplateService_ListWorkflowTemplates", {"metadata": {}, "items": [TEMPLATE]})
    argo.on("CronWorkflowService_SuspendCronWorkflow", CRON)
    argo.on("WorkflowService_GetWorkflow", failed_workflow())
    argo.on("WorkflowService_ListWorkflows", {"metadata": {}, "items": []})
    argo.on("WorkflowService_PodLogs", stream=ndjson_log([("p", "fatal: exit 2")]))
    blob = bytes(range(256)) * 8  # 2 KiB, not UTF-8: an embedded resource blob
    argo.on(
        "ArtifactService_GetArtifactFile", stream=chunks(blob, 700), content_type="application/octet-stream"
    )
    async with stdio_mcp_client(argo_url, tmp_path / "stdio.err") as client:
        listed = await client.call_tool("list_workflow_templates", {})
        suspended = await client.call_tool("suspend_cron_workflow", {"name": "nightly"})
        node = await client.call_tool("get_workflow_node", {"name": NAME, "node": "lint"})
        diagnosis = await client.call_tool("diagnose_workflow", {"name": NAME, "tailLines": 5})
        artifact = await client.call_tool(
            "get_workflow_output_artifact",
            {"workflowName": "wf", "nodeId": "wf-1", "artifactName": "report"},
        )
        completed = await client.complete(
            types.PromptReference(type="ref/prompt", name="debug_failed_workflow"),
            {"name": "namespace", "value": ""},
        )
    assert payload(listed)["items"][0]["name"] == "hello"
    assert payload(suspended)["result"] == "cron workflow argo/nightly suspended"
    assert payload(node)["node"]["templateRef"] == {"name": "shared", "template": "lint"}
    assert completed.completion.values == ["argo"]
    assert not diagnosis.is_error, text_of(diagnosis)
    assert payload(diagnosis)["verdict"] == "lint (shared/lint) error: pod deleted"
    assert {n["name"] for n in payload(diagnosis)["failedNodes"]} == {"lint", "build(1)"}
    assert not artifact.is_error, text_of(artifact)
    meta = json.loads(text_of(artifact))
    assert meta["bytes"] == len(blob) and meta["sha256"] == hashlib.sha256(blob).hexdigest()
    block = artifact.content[1]
    assert isinstance(block, types.EmbeddedResource) and isinstance(
        block.resource, types.BlobResourceContents
    )
    assert base64.b64decode(block.resource.blob) == blob


KINDS = (WORKFLOW_TEMPLATE, CLUSTER_WORKFLOW_TEMPLATE, CRON_WORKFLOW, EVENT_SOURCE, SENSOR)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.kind)
def test_one_descriptor_declares_a_kinds_tools(kind: ArgoKind) -> None:
    tools = {tool.name: tool for tool in kind_tools(kind)}
    extra = {f"lint_{kind.singular}"} if kind.inputs.lint else {f"get_{kind.singular}_logs"}
    extra |= {f"{verb}_{kind.singular}" for verb, _ in kind.actions}
    crud = {f"list_{kind.singular}s"} | {
        f"{v}_{kind.singular}" for v in ("get", "create", "update", "delete")
    }
    assert set(tools) == crud | extra
    for tool in tools.values():
        assert tool.group is kind.group, tool.name
        assert tool.description, tool.name
        if tool.permission is not None and tool.permission.resource != "pods":
            assert tool.permission.resource == kind.resource, tool.name
        changes_manifest = tool.name.startswith(("create_", "update_", "lint_"))
        if kind.cluster:
            assert tool.scope.kind is ScopeKind.CLUSTER, tool.name
            assert "namespace" not in tool.input_model.model_fields, tool.name
        else:
            assert tool.scope.kind is (ScopeKind.MANIFEST if changes_manifest else ScopeKind.ARGUMENT), (
                tool.name
            )


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.kind)
def test_every_kind_checks_and_completes_a_manifest_the_same_way(kind: ArgoKind) -> None:
    namespace = None if kind.cluster else "team-a"
    with pytest.raises(ToolError, match=re.escape(f"manifest.spec is required: the {kind.kind}'s spec")):
        checked_manifest(kind, {"metadata": {"name": "x"}}, namespace, name=None, need_name=True)
    with pytest.raises(ToolError, match=f"this tool takes kind {kind.kind}"):
        checked_manifest(kind, {"kind": "Pod", "spec": {}}, namespace, name=None, need_name=False)
    with pytest.raises(ToolError, match=re.escape("metadata.name is required")):
        checked_manifest(kind, {"spec": {}}, namespace, name=None, need_name=True)
    sent = checked_manifest(
        kind, {"metadata": {"labels": {"a": "b"}}, "spec": {"x": 1}}, namespace, name="y", need_name=True
    )
    assert sent["apiVersion"] == "argoproj.io/v1alpha1" and sent["kind"] == kind.kind
    assert sent["metadata"] == {
        "labels": {"a": "b"},
        "name": "y",
        **({"namespace": namespace} if namespace else {}),
    }
    assert sent["spec"] == {"x": 1}
