"""The requests ``RestKubeApi`` sends, checked on a real HTTP server standing in for the API server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from kubernetes_asyncio import client

from argo_mcp_operator.kube import KubeError, RestKubeApi

Seen = list[dict[str, Any]]


@pytest.fixture
async def server() -> AsyncIterator[tuple[RestKubeApi, Seen]]:
    seen: Seen = []

    async def handle(request: web.Request) -> web.Response:
        body = await request.text()
        seen.append(
            {
                "method": request.method,
                "path": request.path,
                "query": dict(request.query),
                "content_type": request.headers.get("Content-Type"),
                "authorization": request.headers.get("Authorization"),
                "body": json.loads(body) if body else None,
            }
        )
        if request.path.endswith("/missing"):
            return web.json_response({"kind": "Status", "message": 'secrets "missing" not found'}, status=404)
        if request.path.endswith("/forbidden"):
            return web.json_response(
                {"kind": "Status", "message": "roles is forbidden: escalation"}, status=403
            )
        if request.method == "GET" and request.path.endswith("/roles"):
            return web.json_response({"items": [{"metadata": {"name": "srv", "namespace": "b"}}]})
        if request.method == "PATCH" and body:
            return web.json_response(json.loads(body))
        return web.json_response({"kind": "Status", "status": "Success"})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    async with TestServer(app) as test_server:
        configuration = client.Configuration(host=str(test_server.make_url("")).rstrip("/"))
        configuration.api_key = {"BearerToken": "secret-token"}
        configuration.api_key_prefix = {"BearerToken": "Bearer"}
        api = RestKubeApi(client.ApiClient(configuration))
        yield api, seen
        await api.close()


async def test_apply_is_a_forced_server_side_apply(server: tuple[RestKubeApi, Seen]) -> None:
    api, seen = server
    obj = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": "srv", "namespace": "team-b"},
        "rules": [],
    }
    assert await api.apply(obj) == obj
    assert seen[-1] == {
        "method": "PATCH",
        "path": "/apis/rbac.authorization.k8s.io/v1/namespaces/team-b/roles/srv",
        "query": {"fieldManager": "argo-mcp-operator", "force": "true"},
        "content_type": "application/apply-patch+yaml",
        "authorization": "Bearer secret-token",
        "body": obj,
    }


async def test_paths_for_core_and_cluster_scoped_kinds(server: tuple[RestKubeApi, Seen]) -> None:
    api, seen = server
    await api.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "srv", "namespace": "a"}})
    await api.apply(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "a-srv-cwt"},
        }
    )
    assert [s["path"] for s in seen] == [
        "/api/v1/namespaces/a/services/srv",
        "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/a-srv-cwt",
    ]


async def test_get_missing_is_none(server: tuple[RestKubeApi, Seen]) -> None:
    api, _ = server
    assert await api.get("Secret", "missing", "a") is None


async def test_errors_carry_the_api_message(server: tuple[RestKubeApi, Seen]) -> None:
    api, _ = server
    with pytest.raises(KubeError, match="apply Role a/forbidden: 403 roles is forbidden: escalation") as info:
        await api.apply(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "Role",
                "metadata": {"name": "forbidden", "namespace": "a"},
            }
        )
    assert info.value.status == 403


async def test_list_across_namespaces_by_label(server: tuple[RestKubeApi, Seen]) -> None:
    api, seen = server
    items = await api.list("Role", "a=b,c=d")
    assert items == [
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": "srv", "namespace": "b"},
        }
    ]
    assert seen[-1]["path"] == "/apis/rbac.authorization.k8s.io/v1/roles"
    assert seen[-1]["query"] == {"labelSelector": "a=b,c=d"}


async def test_delete_ignores_missing_and_propagates(server: tuple[RestKubeApi, Seen]) -> None:
    api, seen = server
    await api.delete("Secret", "missing", "a")
    await api.delete("Deployment", "srv", "a")
    assert seen[-1]["method"] == "DELETE"
    assert seen[-1]["path"] == "/apis/apps/v1/namespaces/a/deployments/srv"
    assert seen[-1]["body"] == {"propagationPolicy": "Background"}


async def test_status_is_a_merge_patch_of_the_subresource(server: tuple[RestKubeApi, Seen]) -> None:
    api, seen = server
    await api.patch_status("srv", "a", {"endpoint": "https://srv.a.svc:8081/mcp"})
    assert seen[-1]["path"] == "/apis/argo-mcp.io/v1alpha1/namespaces/a/argomcpservers/srv/status"
    assert seen[-1]["content_type"] == "application/merge-patch+json"
    assert seen[-1]["body"] == {"status": {"endpoint": "https://srv.a.svc:8081/mcp"}}


async def test_apply_of_an_unknown_kind_says_which_crd_is_missing(server: tuple[RestKubeApi, Seen]) -> None:
    """tls.mode cert-manager without cert-manager: the 404 names the CRD to install, not just "not found"."""
    api, seen = server
    certificate = {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": "missing", "namespace": "a"},
    }
    with pytest.raises(KubeError) as info:
        await api.apply(certificate)
    assert seen[-1]["path"] == "/apis/cert-manager.io/v1/namespaces/a/certificates/missing"
    assert str(info.value) == (
        'apply Certificate a/missing: 404 secrets "missing" not found '
        "(is the CustomResourceDefinition certificates.cert-manager.io installed?)"
    )
    assert await api.get("Certificate", "missing", "a") is None  # a get keeps the plain 404 -> None
