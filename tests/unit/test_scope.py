"""Scope is declared, not inferred: every tool says how its namespace is known, and the registry enforces the
--namespaces allow-list and the caller's access check for each kind. The by-UID artifact downloads, which Argo does
not confine to a namespace, are checked against the namespace the workflow is really in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from argo_mcp.access.authorize import rbac_authorizer
from argo_mcp.access.caller import Caller
from argo_mcp.argo.client import ArgoClient
from argo_mcp.calls import run_tool
from argo_mcp.policy import Permission, Scope, ScopeKind
from argo_mcp.settings import ArgoSettings, AuthMode, ScopeSettings, Settings, ToolGroup
from argo_mcp.tools import ALL_TOOLS
from argo_mcp.tools.inputs import NamedInput, NoInput
from argo_mcp.tools.registry import Tool, ToolContext, ToolKind, check_declarations
from tests.support.fake_argo import FakeArgo
from tests.support.processes import payload, text_of

BY_NAME = {tool.name: tool for tool in ALL_TOOLS}
UID = "3f1e9c2a-5b7d-4e8f-9a0b-1c2d3e4f5a6b"
READER = Caller(username="system:serviceaccount:team-a:reader")


def archived_in(namespace: str) -> dict[str, Any]:
    return {"metadata": {"name": "old-run", "namespace": namespace, "uid": UID}, "spec": {}, "status": {}}


def artifact_args(**extra: Any) -> dict[str, Any]:
    return {"workflowUid": UID, "nodeId": "old-run-1", "artifactName": "data", **extra}


async def _handler(_ctx: ToolContext, _args: Any) -> dict[str, Any]:
    return {}


def _tool(model: type[Any], scope: Scope, permission: Permission | None) -> Tool[Any]:
    return Tool(
        name="new_tool",
        title="t",
        description="d",
        group=ToolGroup.WORKFLOWS,
        kind=ToolKind.READ_ONLY,
        input_model=model,
        handler=_handler,
        scope=scope,
        permission=permission,
    )


# ---- declarations -------------------------------------------------------------------------------------------
def test_every_tool_declares_an_enforceable_scope() -> None:
    check_declarations(ALL_TOOLS)  # raises on any problem
    for tool in ALL_TOOLS:
        if tool.permission is not None:
            assert tool.scope.kind is not ScopeKind.NONE, tool.name
    kinds = {tool.name: tool.scope.kind for tool in ALL_TOOLS}
    assert kinds["get_workflow_input_artifact"] is ScopeKind.RESOLVED_BY_UID
    assert kinds["get_workflow_output_artifact"] is ScopeKind.RESOLVED_BY_UID
    assert kinds["get_archived_workflow"] is ScopeKind.RESOLVED_BY_UID
    assert kinds["lint_workflow"] is kinds["create_sensor"] is ScopeKind.MANIFEST
    assert kinds["get_argo_version"] is ScopeKind.NONE


@pytest.mark.parametrize(
    ("model", "scope", "permission", "problem"),
    [
        (NoInput, Scope.none(), Permission("get", "workflows"), "declares permission 'get workflows"),
        (NamedInput, Scope.none(), None, "takes a namespace argument but its scope (none) ignores it"),
        (NamedInput, Scope.argument(), None, "but no permission"),
        (NoInput, Scope.argument(), Permission("get", "workflows"), "needs a 'namespace' input field"),
        (NamedInput, Scope(ScopeKind.RESOLVED_BY_UID, field="uid"), Permission("get", "x"), "no resolver"),
    ],
)
def test_a_tool_declared_without_an_enforceable_scope_is_rejected(
    model: type[Any], scope: Scope, permission: Permission | None, problem: str
) -> None:
    with pytest.raises(RuntimeError, match="new_tool") as raised:
        check_declarations([*ALL_TOOLS, _tool(model, scope, permission)])
    assert problem in str(raised.value)


# ---- enforcement --------------------------------------------------------------------------------------------
@dataclass
class FakeAccess:
    """What rbac_authorizer asks Kubernetes; grants (user, verb, resource, namespace) tuples."""

    grants: set[tuple[str, str, str, str]] = field(default_factory=set)
    asked: list[tuple[str, str, str]] = field(default_factory=list)

    async def allowed(self, caller: Caller, permission: Permission, namespace: str) -> tuple[bool, str]:
        self.asked.append((permission.verb, permission.resource, namespace))
        granted = (caller.username, permission.verb, permission.resource, namespace) in self.grants
        return granted, "" if granted else "no RBAC policy matched"


@pytest.fixture
async def argo_client(argo_url: str) -> AsyncIterator[ArgoClient]:
    client = ArgoClient(ArgoSettings(server_url=argo_url, auth_mode=AuthMode.NONE))
    yield client
    await client.close()


def _settings(artifacts: Path, namespaces: tuple[str, ...] = ()) -> Settings:
    return Settings(
        argo=ArgoSettings(server_url="http://unused", auth_mode=AuthMode.NONE, default_namespace="team-a"),
        scope=ScopeSettings(namespaces=namespaces),
        artifact_dir=artifacts,
    )


@pytest.mark.parametrize("tool", ["get_workflow_input_artifact", "get_workflow_output_artifact"])
async def test_uid_download_outside_the_allow_list_is_refused_and_nothing_downloaded(
    argo: FakeArgo, argo_client: ArgoClient, tmp_path: Path, tool: str
) -> None:
    argo.on("ArchivedWorkflowService_GetArchivedWorkflow", archived_in("kube-system"))
    settings = _settings(tmp_path, namespaces=("team-a",))
    for args in (
        artifact_args(destinationPath="a.bin"),
        artifact_args(destinationPath="b.bin", namespace="team-a"),
    ):
        result = await run_tool(BY_NAME[tool], args, argo=argo_client, settings=settings)
        assert result.is_error
        message = text_of(result)
        assert "kube-system" in message, message
        # Honest: the lookup by UID was sent, so the message must not claim that nothing was.
        assert "Nothing was sent to Argo" not in message
        assert f"Only the lookup of workflowUid {UID} was sent to Argo" in message
    assert {r.operation for r in argo.requests} == {"ArchivedWorkflowService_GetArchivedWorkflow"}
    assert not list(tmp_path.iterdir()), "nothing may be written"


async def test_uid_download_is_authorized_in_the_workflows_real_namespace(
    argo: FakeArgo, argo_client: ArgoClient, tmp_path: Path
) -> None:
    """The caller may read workflows in team-a only; the UID belongs to a workflow in team-b: refused."""
    access = FakeAccess(grants={(READER.username, "get", "workflows", "team-a")})
    argo.on("ArchivedWorkflowService_GetArchivedWorkflow", archived_in("team-b"))
    result = await run_tool(
        BY_NAME["get_workflow_input_artifact"],
        artifact_args(destinationPath="in.bin"),
        argo=argo_client,
        settings=_settings(tmp_path),
        caller=READER,
        authorize=rbac_authorizer(access),  # type: ignore[arg-type]
    )
    assert result.is_error
    message = text_of(result)
    assert f"{READER.username} may not get workflows (argoproj.io) in namespace 'team-b'" in message, message
    assert "Only the lookup of workflowUid" in message
    assert access.asked == [("get", "workflows", "team-b")]
    assert {r.operation for r in argo.requests} == {"ArchivedWorkflowService_GetArchivedWorkflow"}
    assert not list(tmp_path.iterdir())


async def test_uid_namespace_must_agree_with_the_namespace_argument(
    argo: FakeArgo, argo_client: ArgoClient, tmp_path: Path
) -> None:
    argo.on("ArchivedWorkflowService_GetArchivedWorkflow", archived_in("team-b"))
    result = await run_tool(
        BY_NAME["get_workflow_output_artifact"],
        artifact_args(destinationPath="o.bin", namespace="team-a"),
        argo=argo_client,
        settings=_settings(tmp_path),
    )
    assert result.is_error
    assert f"workflowUid {UID} is in namespace 'team-b', not 'team-a'" in text_of(result)
    assert not argo.calls("ArtifactService_GetArtifactFile")


async def test_allowed_uid_download_names_the_resolved_namespace(
    argo: FakeArgo, argo_client: ArgoClient, tmp_path: Path
) -> None:
    async def body() -> AsyncIterator[bytes]:
        yield b"artifact bytes"

    access = FakeAccess(grants={(READER.username, "get", "workflows", "team-b")})
    argo.on("ArchivedWorkflowService_GetArchivedWorkflow", archived_in("team-b"))
    argo.on("ArtifactService_GetArtifactFile", stream=body, content_type="application/octet-stream")
    result = await run_tool(
        BY_NAME["get_workflow_output_artifact"],
        artifact_args(destinationPath="ok.bin"),
        argo=argo_client,
        settings=_settings(tmp_path, namespaces=("team-a", "team-b")),
        caller=READER,
        authorize=rbac_authorizer(access),  # type: ignore[arg-type]
    )
    assert not result.is_error, text_of(result)
    assert payload(result)["bytes"] == len(b"artifact bytes")
    assert argo.last("ArtifactService_GetArtifactFile").path == (
        f"/artifact-files/team-b/archived-workflows/{UID}/old-run-1/outputs/data"
    )
    assert access.asked == [("get", "workflows", "team-b")]


async def test_unknown_uid_says_it_addresses_archived_workflows(
    argo: FakeArgo, argo_client: ArgoClient, tmp_path: Path
) -> None:
    argo.error("ArchivedWorkflowService_GetArchivedWorkflow", 404, "not found", 5)
    result = await run_tool(
        BY_NAME["get_workflow_input_artifact"],
        artifact_args(destinationPath="x.bin"),
        argo=argo_client,
        settings=_settings(tmp_path),
    )
    assert result.is_error
    assert "address a live one by workflowName" in text_of(result)


async def test_manifest_scope_uses_the_manifests_namespace_and_checks_it(
    argo: FakeArgo, argo_client: ArgoClient, tmp_path: Path
) -> None:
    manifest = {"kind": "Sensor", "metadata": {"name": "s", "namespace": "kube-system"}, "spec": {}}
    refused = await run_tool(
        BY_NAME["create_sensor"],
        {"manifest": manifest},
        argo=argo_client,
        settings=_settings(tmp_path, namespaces=("team-a",)),
    )
    assert refused.is_error
    assert "'kube-system' is outside the namespaces argo-mcp may act in (team-a)" in text_of(refused)
    assert "Nothing was sent to Argo" in text_of(refused)
    mixed = await run_tool(
        BY_NAME["lint_workflow"],
        {"workflow": "metadata: {namespace: a}\n---\nmetadata: {namespace: b}\n"},
        argo=argo_client,
        settings=_settings(tmp_path),
    )
    assert mixed.is_error and "different namespaces (a, b)" in text_of(mixed)
    assert argo.requests == []


async def test_argument_scope_is_authorized_before_any_request(
    argo: FakeArgo, argo_client: ArgoClient, tmp_path: Path
) -> None:
    access = FakeAccess()
    result = await run_tool(
        BY_NAME["delete_workflow"],
        {"name": "w", "namespace": "team-c"},
        argo=argo_client,
        settings=_settings(tmp_path),
        caller=READER,
        authorize=rbac_authorizer(access),  # type: ignore[arg-type]
    )
    assert result.is_error and "Nothing was sent to Argo" in text_of(result)
    assert access.asked == [("delete", "workflows", "team-c")]
    assert argo.requests == []


# ---- templates, diagnosis and cluster-scoped objects --------------------------------------------------------
def test_template_and_diagnosis_tools_declare_their_scope() -> None:
    kinds = {tool.name: tool.scope.kind for tool in ALL_TOOLS}
    for name in (
        "get_workflow_node",
        "diagnose_workflow",
        "list_workflow_templates",
        "suspend_cron_workflow",
    ):
        assert kinds[name] is ScopeKind.ARGUMENT, name
    for name in ("create_workflow_template", "update_cron_workflow", "lint_workflow_template"):
        assert kinds[name] is ScopeKind.MANIFEST, name
    cluster = {name for name, kind in kinds.items() if kind is ScopeKind.CLUSTER}
    assert cluster == {
        f"{verb}_cluster_workflow_template{'s' if verb == 'list' else ''}"
        for verb in ("list", "get", "create", "update", "delete", "lint")
    }


TEMPLATE_YAML = """kind: WorkflowTemplate
metadata: {name: scripted, namespace: kube-system}
spec: {entrypoint: main, templates: [{name: main, container: {image: alpine}}]}
"""


async def test_a_template_manifest_given_as_yaml_text_is_confined_by_its_namespace(
    argo: FakeArgo, argo_client: ArgoClient, tmp_path: Path
) -> None:
    access = FakeAccess()
    settings = _settings(tmp_path, namespaces=("team-a",))
    refused = await run_tool(
        BY_NAME["create_workflow_template"], {"manifest": TEMPLATE_YAML}, argo=argo_client, settings=settings
    )
    assert refused.is_error
    assert "'kube-system' is outside the namespaces argo-mcp may act in (team-a)" in text_of(refused)
    assert "Nothing was sent to Argo" in text_of(refused)
    unauthorized = await run_tool(
        BY_NAME["create_workflow_template"],
        {"manifest": TEMPLATE_YAML},
        argo=argo_client,
        settings=_settings(tmp_path),
        caller=READER,
        authorize=rbac_authorizer(access),  # type: ignore[arg-type]
    )
    assert unauthorized.is_error
    assert "may not create workflowtemplates (argoproj.io) in namespace 'kube-system'" in text_of(
        unauthorized
    )
    assert access.asked == [("create", "workflowtemplates", "kube-system")]
    assert argo.requests == []


async def test_cluster_templates_are_checked_cluster_wide_and_not_changed_under_namespaces(
    argo: FakeArgo, argo_client: ArgoClient, tmp_path: Path
) -> None:
    argo.on("ClusterWorkflowTemplateService_ListClusterWorkflowTemplates", {"metadata": {}, "items": []})
    access = FakeAccess(grants={(READER.username, "list", "clusterworkflowtemplates", "")})
    confined = _settings(tmp_path, namespaces=("team-a",))
    authorize = rbac_authorizer(access)  # type: ignore[arg-type]
    read = await run_tool(
        BY_NAME["list_cluster_workflow_templates"],
        {},
        argo=argo_client,
        settings=confined,
        caller=READER,
        authorize=authorize,
    )
    assert not read.is_error, text_of(read)
    write = await run_tool(
        BY_NAME["delete_cluster_workflow_template"],
        {"name": "shared"},
        argo=argo_client,
        settings=confined,
        caller=READER,
        authorize=authorize,
    )
    assert write.is_error
    assert "delete_cluster_workflow_template changes a cluster-scoped object" in text_of(write)
    assert "Nothing was sent to Argo" in text_of(write)
    refused = await run_tool(
        BY_NAME["delete_cluster_workflow_template"],
        {"name": "shared"},
        argo=argo_client,
        settings=_settings(tmp_path),
        caller=READER,
        authorize=authorize,
    )
    assert refused.is_error
    message = text_of(refused)
    assert f"{READER.username} may not delete clusterworkflowtemplates (argoproj.io) cluster-wide" in message
    assert "a ClusterRole granting 'delete' on 'clusterworkflowtemplates'" in message
    assert "Nothing was sent to Argo" in message
    # Reviewed cluster-wide (namespace ""); the confined write was refused before any review.
    assert access.asked == [
        ("list", "clusterworkflowtemplates", ""),
        ("delete", "clusterworkflowtemplates", ""),
    ]
    assert [r.operation for r in argo.requests] == [
        "ClusterWorkflowTemplateService_ListClusterWorkflowTemplates"
    ]


async def test_a_template_created_from_yaml_text_is_named_in_the_audit_line(
    argo: FakeArgo, argo_client: ArgoClient, tmp_path: Path
) -> None:
    yaml_text = TEMPLATE_YAML.replace("kube-system", "team-a")
    argo.on(
        "WorkflowTemplateService_CreateWorkflowTemplate",
        {"metadata": {"name": "scripted", "namespace": "team-a"}, "spec": {"entrypoint": "main"}},
    )
    with capture_logs() as logs:
        result = await run_tool(
            BY_NAME["create_workflow_template"],
            {"manifest": yaml_text},
            argo=argo_client,
            settings=_settings(tmp_path, namespaces=("team-a",)),
        )
    assert not result.is_error, text_of(result)
    audits = [line for line in logs if line.get("event") == "audit"]
    assert [(a["tool"], a["namespace"], a["name"], a["outcome"]) for a in audits] == [
        ("create_workflow_template", "team-a", "scripted", "ok")
    ]
