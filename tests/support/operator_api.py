"""An in-memory stand-in for the operator's Kubernetes API and a settable clock, shared by the operator tests.

It keeps objects the way the API server would (server-side apply replaces what the field manager owns and keeps
status, generation grows on spec changes, roleRef is immutable) so the reconcile loop is tested against the
behaviour it relies on, without a cluster.
"""

from __future__ import annotations

import asyncio
import copy
from datetime import UTC, datetime
from typing import Any

from kubernetes_asyncio.client.exceptions import ApiException

from argo_mcp_operator import constants as c
from argo_mcp_operator.kube import KubeError

Obj = dict[str, Any]
Key = tuple[str, str | None, str]
URL = "https://argo-server.argo.svc:2746"


class FakeApi:
    """Objects by (kind, namespace, name); apply replaces what the field manager owns and keeps status."""

    def __init__(self) -> None:
        self.objects: dict[Key, Obj] = {}
        self.calls: list[tuple[str, Key]] = []
        self.statuses: list[Obj] = []
        self.fail_apply: str | None = None

    @staticmethod
    def key(obj: Obj) -> Key:
        return obj["kind"], obj["metadata"].get("namespace"), obj["metadata"]["name"]

    async def apply(self, obj: Obj) -> Obj:
        key = self.key(obj)
        self.calls.append(("apply", key))
        await asyncio.sleep(0)  # yield like a real request, so concurrent runs interleave
        if self.fail_apply == obj["kind"]:
            raise KubeError(f"apply {obj['kind']}", ApiException(status=403, reason="Forbidden"))
        stored = copy.deepcopy(obj)
        previous = self.objects.get(key)
        if previous is not None and "roleRef" in obj and previous["roleRef"] != obj["roleRef"]:
            raise KubeError(f"apply {obj['kind']}", ApiException(status=422, reason="roleRef is immutable"))
        generation = 1
        if previous is not None:
            generation = previous["metadata"]["generation"]
            if previous.get("spec") != obj.get("spec"):
                generation += 1
            if "status" in previous:
                stored["status"] = previous["status"]
        stored["metadata"]["generation"] = generation
        self.objects[key] = stored
        return copy.deepcopy(stored)

    async def get(self, kind: str, name: str, namespace: str | None) -> Obj | None:
        found = self.objects.get((kind, namespace, name))
        return copy.deepcopy(found) if found else None

    async def list(self, kind: str, label_selector: str, namespace: str | None = None) -> list[Obj]:
        # The operator's ClusterRole has no list/watch on Secrets: listing them would be refused.
        assert kind != "Secret", "the operator must not list Secrets"
        wanted = dict(term.split("=", 1) for term in label_selector.split(","))
        return [
            copy.deepcopy(o)
            for (k, ns, _), o in self.objects.items()
            if k == kind
            and (namespace is None or ns == namespace)
            and wanted.items() <= o["metadata"].get("labels", {}).items()
        ]

    async def delete(self, kind: str, name: str, namespace: str | None) -> None:
        self.calls.append(("delete", (kind, namespace, name)))
        self.objects.pop((kind, namespace, name), None)

    async def patch_status(self, name: str, namespace: str, status: Obj) -> None:
        self.statuses.append(copy.deepcopy(status))
        cr = self.objects.get((c.KIND, namespace, name))
        if cr is not None:
            cr["status"] = copy.deepcopy(status)

    # -- helpers for the tests
    def kinds(self) -> set[Key]:
        return set(self.objects) - {k for k in self.objects if k[0] == c.KIND}

    def make_deployment_ready(self, name: str = "srv", namespace: str = "team-a") -> None:
        deployment = self.objects[("Deployment", namespace, name)]
        replicas = deployment["spec"]["replicas"]
        deployment["status"] = {
            "observedGeneration": deployment["metadata"]["generation"],
            "readyReplicas": replicas,
            "updatedReplicas": replicas,
        }


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def resource(api: FakeApi, generation: int = 1, **spec: Any) -> Obj:
    body: Obj = {
        "apiVersion": c.API_VERSION,
        "kind": c.KIND,
        "metadata": {"name": "srv", "namespace": "team-a", "uid": "uid-1", "generation": generation},
        "spec": {"argoServer": {"url": URL}, **spec},
    }
    previous = api.objects.get((c.KIND, "team-a", "srv"))
    if previous is not None and "status" in previous:
        body["status"] = previous["status"]
    api.objects[(c.KIND, "team-a", "srv")] = body
    return copy.deepcopy(body)
