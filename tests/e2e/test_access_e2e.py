"""Inbound auth in `kubernetes` mode against the real kube-apiserver: TokenReview with argo-mcp's audience, then a
SubjectAccessReview per tool call, so each ServiceAccount can do exactly what its RBAC allows."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx2
import pytest
import pytest_asyncio

from tests.e2e.mcp_support import simple_template
from tests.e2e.stack.fixture import E2EStack
from tests.support.processes import ServerProcess, http_client, payload, start_argo_mcp, text_of
from tests.support.raw_mcp import ACCEPT, initialize_request

WF = "argoproj.io/v1alpha1"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def guarded(stack: E2EStack, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ServerProcess]:
    tmp = tmp_path_factory.mktemp("mcp-guarded")
    own_token = tmp / "argo-token"
    own_token.write_text(stack.mint_token(stack.full_sa, seconds=3600))
    server = await start_argo_mcp(
        tmp,
        "--argo-server-url",
        stack.argo_url,
        "--argo-auth-mode",
        "bearer-file",
        "--argo-token-file",
        str(own_token),
        "--argo-default-namespace",
        stack.namespace,
        "--auth-inbound",
        "kubernetes",
        "--inbound-audience",
        "argo-mcp",
        "--kubeconfig",
        stack.kubeconfig,
    )
    yield server
    await server.stop()


@pytest.mark.compat
async def test_each_service_account_can_do_exactly_what_its_rbac_allows(
    stack: E2EStack, guarded: ServerProcess
) -> None:
    template = simple_template(stack, stack.unique("guarded"))
    reader = stack.mint_token(stack.readonly_sa, audience="argo-mcp")
    writer = stack.mint_token(stack.full_sa, audience="argo-mcp")

    async with http_client(guarded.url, headers={"Authorization": f"Bearer {reader}"}) as client:
        listed = await client.call_tool("list_workflows", {"limit": 5})
        assert not listed.is_error, text_of(listed)
        refused = await client.call_tool("submit_workflow", {"resourceName": template})
    assert refused.is_error
    message = text_of(refused)
    assert f"system:serviceaccount:{stack.namespace}:{stack.readonly_sa} may not create workflows" in message
    assert "Nothing was sent to Argo" in message

    async with http_client(guarded.url, headers={"Authorization": f"Bearer {writer}"}) as client:
        submitted = await client.call_tool("submit_workflow", {"resourceName": template})
    assert not submitted.is_error, text_of(submitted)
    name = payload(submitted)["name"]

    records = [r for r in guarded.logs() if r.get("event") == "tool_call"]
    callers = {(r["tool"], r["caller"], r["outcome"]) for r in records}
    assert (
        "submit_workflow",
        f"system:serviceaccount:{stack.namespace}:{stack.readonly_sa}",
        "refused",
    ) in callers
    assert ("submit_workflow", f"system:serviceaccount:{stack.namespace}:{stack.full_sa}", "ok") in callers
    assert stack.get_workflow(name) is not None


async def test_tokens_for_another_audience_or_none_get_401(stack: E2EStack, guarded: ServerProcess) -> None:
    api_audience_token = stack.mint_token(stack.full_sa)  # the API server's own audience, not argo-mcp's
    init = initialize_request("2025-11-25")
    async with httpx2.AsyncClient() as http:
        wrong = await http.post(
            guarded.url, json=init, headers={**ACCEPT, "Authorization": f"Bearer {api_audience_token}"}
        )
        missing = await http.post(guarded.url, json=init, headers=ACCEPT)
    assert wrong.status_code == 401 and 'error="invalid_token"' in wrong.headers["www-authenticate"]
    assert missing.status_code == 401
    assert "/.well-known/oauth-protected-resource/mcp" in missing.headers["www-authenticate"]
