"""The few Kubernetes API calls the operator makes, over kubernetes_asyncio's ApiClient.

The generated typed API classes would need a different method per kind and cannot send an apply patch for an
arbitrary dict, so the operator speaks to the REST paths directly: server-side apply (``PATCH`` with
``application/apply-patch+yaml``, a field manager and ``force``), get, list by label, delete and a merge patch
of the custom resource's status. ``KubeApi`` is the narrow interface the reconciler depends on, so tests can
pass a recording fake.

Why not kubernetes_asyncio's dynamic client, which can server-side apply too: it discovers every API group of
the cluster's API groups before its first call (a few requests up front, then one per API group version on
first use, and again whenever a kind such as cert-manager's Certificate is missing from what it cached), and
keeps that discovery in a file under ``tempfile.gettempdir()``, one more thing on disk for a pod whose root
filesystem is read-only (its /tmp is an emptyDir). The ten kinds the operator writes are known,
so ``KINDS`` below is all the discovery it needs, and a missing add-on kind is one clear 404 (see ``apply``).
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any, Protocol

from kubernetes_asyncio import client, config
from kubernetes_asyncio.client.exceptions import ApiException
from kubernetes_asyncio.config.config_exception import ConfigException

from argo_mcp_operator import constants as c

Obj = dict[str, Any]


@dataclass(frozen=True)
class Kind:
    """Where a kind lives in the REST API."""

    api_version: str
    kind: str
    plural: str
    namespaced: bool
    crd: str = ""  # for kinds of an add-on (cert-manager): the CRD that must be installed for them to exist

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        prefix = "/api/v1" if self.api_version == "v1" else f"/apis/{self.api_version}"
        if self.namespaced and namespace is not None:
            prefix += f"/namespaces/{namespace}"
        path = f"{prefix}/{self.plural}"
        return f"{path}/{name}" if name is not None else path


KINDS: dict[str, Kind] = {
    k.kind: k
    for k in (
        Kind("v1", "ServiceAccount", "serviceaccounts", True),
        Kind("v1", "Secret", "secrets", True),
        Kind("v1", "ConfigMap", "configmaps", True),
        Kind("v1", "Service", "services", True),
        Kind("apps/v1", "Deployment", "deployments", True),
        Kind("rbac.authorization.k8s.io/v1", "Role", "roles", True),
        Kind("rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings", True),
        Kind("rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles", False),
        Kind("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "clusterrolebindings", False),
        Kind(c.CERTIFICATE_API_VERSION, "Certificate", "certificates", True, "certificates.cert-manager.io"),
        Kind(c.API_VERSION, c.KIND, c.PLURAL, True),
    )
}


class KubeApi(Protocol):
    """What the reconciler needs from the cluster."""

    async def apply(self, obj: Obj) -> Obj: ...

    async def get(self, kind: str, name: str, namespace: str | None) -> Obj | None: ...

    async def list(self, kind: str, label_selector: str, namespace: str | None = None) -> list[Obj]: ...

    async def delete(self, kind: str, name: str, namespace: str | None) -> None: ...

    async def patch_status(self, name: str, namespace: str, status: Obj) -> None: ...


class KubeError(RuntimeError):
    """An API call failed; the message says which call and what the API server answered."""

    def __init__(self, action: str, exc: ApiException, hint: str = "") -> None:
        self.status: int = exc.status or 0
        detail = exc.reason or ""
        with contextlib.suppress(ValueError, AttributeError):
            detail = json.loads(exc.body or "{}").get("message", detail)
        super().__init__(f"{action}: {self.status} {detail}".strip() + (f" ({hint})" if hint else ""))


class RestKubeApi:
    """``KubeApi`` over one kubernetes_asyncio ``ApiClient`` (connection pool shared by every call)."""

    def __init__(self, api_client: client.ApiClient) -> None:
        self._client = api_client

    @classmethod
    async def connect(cls) -> RestKubeApi:
        """In-cluster credentials when running in a pod, else the kubeconfig (``$KUBECONFIG``)."""
        configuration = client.Configuration()
        try:
            config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
        except ConfigException:
            await config.load_kube_config(client_configuration=configuration, persist_config=False)
        return cls(client.ApiClient(configuration=configuration))

    async def close(self) -> None:
        await self._client.close()

    async def _call(
        self,
        action: str,
        method: str,
        path: str,
        *,
        query: list[tuple[str, str]] | None = None,
        body: Any = None,
        content_type: str = "application/json",
        hint_404: str = "",
    ) -> Obj | None:
        try:
            result = await self._client.call_api(
                path,
                method,
                query_params=query or [],
                header_params={"Accept": "application/json", "Content-Type": content_type},
                body=body,
                response_types_map={200: "object", 201: "object", 202: "object"},
                auth_settings=["BearerToken"],
                _return_http_data_only=True,
            )
        except ApiException as exc:
            raise KubeError(action, exc, hint_404 if exc.status == 404 else "") from None
        return result if isinstance(result, dict) else None

    async def apply(self, obj: Obj) -> Obj:
        kind = KINDS[obj["kind"]]
        meta = obj["metadata"]
        namespace = meta.get("namespace")
        where = f"{namespace}/{meta['name']}" if namespace else meta["name"]
        result = await self._call(
            f"apply {obj['kind']} {where}",
            "PATCH",
            kind.path(namespace, meta["name"]),
            query=[("fieldManager", c.FIELD_MANAGER), ("force", "true")],
            body=obj,
            content_type="application/apply-patch+yaml",
            # An add-on's kind answers 404 when the add-on is not installed (a Certificate without cert-manager).
            hint_404=f"is the CustomResourceDefinition {kind.crd} installed?" if kind.crd else "",
        )
        return result or {}

    async def get(self, kind: str, name: str, namespace: str | None) -> Obj | None:
        try:
            return await self._call(f"get {kind} {name}", "GET", KINDS[kind].path(namespace, name))
        except KubeError as exc:
            if exc.status == 404:
                return None
            raise

    async def list(self, kind: str, label_selector: str, namespace: str | None = None) -> list[Obj]:
        result = await self._call(
            f"list {kind}", "GET", KINDS[kind].path(namespace), query=[("labelSelector", label_selector)]
        )
        items = (result or {}).get("items") or []
        for item in items:  # list items come without apiVersion/kind
            item.setdefault("apiVersion", KINDS[kind].api_version)
            item.setdefault("kind", kind)
        return list(items)

    async def delete(self, kind: str, name: str, namespace: str | None) -> None:
        try:
            await self._call(
                f"delete {kind} {name}",
                "DELETE",
                KINDS[kind].path(namespace, name),
                body={"propagationPolicy": "Background"},
            )
        except KubeError as exc:
            if exc.status != 404:
                raise

    async def patch_status(self, name: str, namespace: str, status: Obj) -> None:
        await self._call(
            f"patch status of {c.KIND} {namespace}/{name}",
            "PATCH",
            KINDS[c.KIND].path(namespace, name) + "/status",
            body={"status": status},
            content_type="application/merge-patch+json",
        )
