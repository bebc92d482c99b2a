"""Inbound authentication (kubernetes TokenReview, OIDC), per-call SubjectAccessReview, and scope switches."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
import jwt
import pytest
import pytest_asyncio
from cryptography.hazmat.primitives.asymmetric import rsa

from argo_mcp.tools.shaping import redact_text
from tests.support.fake_argo import FakeArgo
from tests.support.kube_auth import FakeKubeAuth
from tests.support.oidc_issuer import Issuer, serve_issuer
from tests.support.processes import ServerProcess, http_client, start_argo_mcp, text_of
from tests.support.raw_mcp import ACCEPT, initialize_request
from tests.support.samples import NAME, VERSION, failed_workflow

WF_LIST: dict[str, Any] = {"metadata": {}, "items": []}


INIT = initialize_request("2025-11-25")


async def test_no_token_gets_401_with_protected_resource_metadata(k8s_server: ServerProcess) -> None:
    async with httpx2.AsyncClient() as http:
        response = await http.post(k8s_server.url, json=INIT, headers=ACCEPT)
        assert response.status_code == 401
        challenge = response.headers["www-authenticate"]
        metadata_url = f"{k8s_server.base}/.well-known/oauth-protected-resource/mcp"
        assert challenge.startswith("Bearer ") and f'resource_metadata="{metadata_url}"' in challenge
        metadata = (await http.get(metadata_url)).json()
    assert metadata["resource"] == k8s_server.url
    assert metadata["bearer_methods_supported"] == ["header"]


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("unknown-token", "token rejected by Kubernetes"),
        ("api-audience-token", "token rejected by Kubernetes"),
    ],
)
async def test_rejected_tokens_get_401(
    kube: tuple[FakeKubeAuth, Path], k8s_server: ServerProcess, token: str, reason: str
) -> None:
    fake, _ = kube
    fake.tokens["api-audience-token"] = (
        "system:serviceaccount:argo:agent",
        ["https://kubernetes.default.svc"],
    )
    async with httpx2.AsyncClient() as http:
        response = await http.post(
            k8s_server.url, json=INIT, headers={**ACCEPT, "Authorization": f"Bearer {token}"}
        )
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    assert reason in response.json()["error_description"]
    review = next(r for r in fake.reviews if r["kind"] == "TokenReview" and r["spec"]["token"] == token)
    assert review["spec"]["audiences"] == ["argo-mcp"]


async def test_rbac_decides_per_caller_before_argo_is_called(
    argo: FakeArgo, kube: tuple[FakeKubeAuth, Path], k8s_server: ServerProcess
) -> None:
    fake, _ = kube
    fake.service_account(
        "reader-token", "system:serviceaccount:team-a:reader", ("list", "workflows", "team-a")
    )
    argo.on("WorkflowService_ListWorkflows", WF_LIST)
    async with http_client(k8s_server.url, headers={"Authorization": "Bearer reader-token"}) as client:
        allowed = await client.call_tool("list_workflows", {"namespace": "team-a"})
        assert not allowed.is_error, text_of(allowed)
        refused = await client.call_tool("submit_workflow", {"namespace": "team-a", "resourceName": "etl"})
        other_ns = await client.call_tool("list_workflows", {"namespace": "team-b"})
    assert refused.is_error
    text = text_of(refused)
    assert "system:serviceaccount:team-a:reader may not create workflows (argoproj.io)" in text
    assert "Nothing was sent to Argo" in text
    assert other_ns.is_error and "'team-b'" in text_of(other_ns)
    assert len(argo.calls("WorkflowService_ListWorkflows")) == 1
    assert argo.calls("WorkflowService_SubmitWorkflow") == []
    records = [r for r in k8s_server.logs() if r.get("event") == "tool_call"]
    assert {r["caller"] for r in records[-3:]} == {"system:serviceaccount:team-a:reader"}
    assert {r["outcome"] for r in records[-3:]} == {"ok", "refused"}


async def test_caller_token_is_never_forwarded_to_argo(
    argo: FakeArgo, kube: tuple[FakeKubeAuth, Path], k8s_server: ServerProcess
) -> None:
    fake, _ = kube
    fake.service_account("agent-token", "agent")
    argo.on("InfoService_GetVersion", VERSION)
    async with http_client(k8s_server.url, headers={"Authorization": "Bearer agent-token"}) as client:
        assert not (await client.call_tool("get_argo_version", {})).is_error
    assert "Authorization" not in argo.last("InfoService_GetVersion").headers


# ---- OIDC ---------------------------------------------------------------------------------------------------
@pytest_asyncio.fixture(loop_scope="session")
async def issuer() -> AsyncIterator[Issuer]:
    async with serve_issuer() as served:
        yield served


async def test_oidc_tokens(argo: FakeArgo, issuer: Issuer, server_with: Any) -> None:
    argo.on("InfoService_GetVersion", VERSION)
    server = await server_with("--auth-inbound", "oidc", "--oidc-issuer", issuer.url)
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    bad = {
        "expired": (issuer.token(exp=int(time.time()) - 120), "token expired"),
        "wrong audience": (issuer.token(aud="someone-else"), "not for audience 'argo-mcp'"),
        "wrong issuer": (issuer.token(iss="https://evil.example.com"), "was not issued by"),
        "wrong key": (
            jwt.encode(
                {"iss": issuer.url, "aud": "argo-mcp", "sub": "x", "exp": int(time.time()) + 60},
                other_key,
                algorithm="RS256",
                headers={"kid": "k1"},
            ),
            "invalid token",
        ),
        "hs256": (jwt.encode({"sub": "x"}, "s" * 32, algorithm="HS256"), "not accepted"),
    }
    async with httpx2.AsyncClient() as http:
        for label, (token, reason) in bad.items():
            response = await http.post(
                server.url, json=INIT, headers={**ACCEPT, "Authorization": f"Bearer {token}"}
            )
            assert response.status_code == 401, label
            assert reason in response.json()["error_description"], (label, response.text)
        metadata = (await http.get(f"{server.base}/.well-known/oauth-protected-resource/mcp")).json()
        assert metadata["authorization_servers"] == [issuer.url]
    async with http_client(server.url, headers={"Authorization": f"Bearer {issuer.token()}"}) as client:
        assert not (await client.call_tool("get_argo_version", {})).is_error
    records = [r for r in server.logs() if r.get("event") == "tool_call"]
    assert records[-1]["caller"] == "alice@example.com"


# ---- scope --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("flags", "present", "absent", "count"),
    [
        (
            ["--read-only"],
            {"list_workflows", "get_workflow_logs", "lint_workflow"},
            {"submit_workflow", "delete_workflow", "create_workflow_template", "suspend_cron_workflow"},
            34,  # with convert_manifest (issue 26)
        ),
        (
            ["--disable-destructive"],
            {"submit_workflow", "resume_workflow"},
            {"delete_workflow", "retry_workflow", "delete_sensor", "delete_cluster_workflow_template"},
            50,  # create_workflow and convert_manifest too; and the three updates beyond the reference, which replace their object
        ),
        (
            ["--toolsets", "info,archive"],
            {"get_argo_version", "list_archived_workflows"},
            {"list_workflows", "list_sensors"},
            10,
        ),
    ],
)
async def test_scope_switches_change_tools_list(
    argo: FakeArgo,
    argo_url: str,
    tmp_path: Path,
    flags: list[str],
    present: set[str],
    absent: set[str],
    count: int,
) -> None:
    server = await start_argo_mcp(tmp_path, "--argo-server-url", argo_url, "--argo-auth-mode", "none", *flags)
    try:
        async with http_client(server.url) as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
            hidden = await client.call_tool(sorted(absent)[0], {"name": "x"})
        assert present <= names and not (absent & names)
        assert len(names) == count
        assert hidden.is_error and "is disabled on this server" in text_of(hidden)
        assert argo.requests == []
    finally:
        await server.stop()


async def test_namespace_allow_list(argo: FakeArgo, server_with: Any) -> None:
    server = await server_with("--namespaces", "team-a,team-b", "--argo-default-namespace", "team-a")
    argo.on("WorkflowService_ListWorkflows", WF_LIST)
    archived_elsewhere = {
        "metadata": {"name": "x", "namespace": "kube-system", "uid": "3f1e9c2a-5b7d-4e8f-9a0b-1c2d3e4f5a6b"},
        "spec": {},
        "status": {},
    }
    argo.on("ArchivedWorkflowService_GetArchivedWorkflow", archived_elsewhere)
    async with http_client(server.url) as client:
        refused = await client.call_tool("list_workflows", {"namespace": "kube-system"})
        ok = await client.call_tool("list_workflows", {})
        archived = await client.call_tool(
            "get_archived_workflow", {"uid": "3f1e9c2a-5b7d-4e8f-9a0b-1c2d3e4f5a6b"}
        )
    assert refused.is_error
    assert "'kube-system' is outside the namespaces argo-mcp may act in (team-a, team-b)" in text_of(refused)
    assert not ok.is_error
    assert argo.last("WorkflowService_ListWorkflows").path == "/api/v1/workflows/team-a"
    assert len(argo.calls("WorkflowService_ListWorkflows")) == 1
    assert archived.is_error and "kube-system" in text_of(archived)


def test_redaction_of_planted_secrets() -> None:
    line = (
        "connecting with password=hunter2 token: abc.def AWS AKIAABCDEFGHIJKLMNOP "
        "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXZhbHVl"
    )
    cleaned = redact_text(line)
    for secret in ("hunter2", "abc.def", "AKIAABCDEFGHIJKLMNOP", "eyJhbGciOiJIUzI1NiJ9"):
        assert secret not in cleaned
    assert "password=[redacted]" in cleaned
    assert redact_text("nothing secret here: phase=Succeeded") == "nothing secret here: phase=Succeeded"


async def test_cluster_scoped_tools_are_authorized_cluster_wide(
    argo: FakeArgo, kube: tuple[FakeKubeAuth, Path], k8s_server: ServerProcess
) -> None:
    """A ClusterWorkflowTemplate has no namespace: the SubjectAccessReview asks cluster-wide (namespace '')."""
    fake, _ = kube
    user = fake.service_account(
        "templates-token", "system:serviceaccount:team-a:templates", ("list", "clusterworkflowtemplates", "")
    )
    argo.on("ClusterWorkflowTemplateService_ListClusterWorkflowTemplates", {"metadata": {}, "items": []})
    async with http_client(k8s_server.url, headers={"Authorization": "Bearer templates-token"}) as client:
        listed = await client.call_tool("list_cluster_workflow_templates", {})
        refused = await client.call_tool("delete_cluster_workflow_template", {"name": "shared"})
    assert not listed.is_error, text_of(listed)
    assert refused.is_error
    assert f"{user} may not delete clusterworkflowtemplates (argoproj.io) cluster-wide" in text_of(refused)
    assert "ClusterRole granting 'delete'" in text_of(refused)
    assert [r.operation for r in argo.requests] == [
        "ClusterWorkflowTemplateService_ListClusterWorkflowTemplates"
    ]
    reviews = [r["spec"]["resourceAttributes"] for r in fake.reviews if r["kind"] == "SubjectAccessReview"]
    assert {"verb": "delete", "resource": "clusterworkflowtemplates"}.items() <= reviews[-1].items()
    assert reviews[-1]["namespace"] == ""


async def test_diagnosis_leaves_out_logs_the_caller_may_not_read(
    argo: FakeArgo, kube: tuple[FakeKubeAuth, Path], k8s_server: ServerProcess
) -> None:
    argo.on("WorkflowService_GetWorkflow", failed_workflow())
    fake, _ = kube
    # may read the workflow, but not its pods' logs (get pods/log)
    user = fake.service_account(
        "no-logs-token", "system:serviceaccount:team-a:no-logs", ("get", "workflows", "argo")
    )
    async with http_client(k8s_server.url, headers={"Authorization": "Bearer no-logs-token"}) as client:
        result = await client.call_tool("diagnose_workflow", {"name": NAME})
    assert not result.is_error, text_of(result)
    answer = json.loads(text_of(result))
    assert answer["failedNodes"] and all("logTail" not in n for n in answer["failedNodes"])
    assert f"logs not included: Refused by Kubernetes RBAC: {user} may not get pods/log" in answer["note"]
    assert argo.calls("WorkflowService_PodLogs") == []
