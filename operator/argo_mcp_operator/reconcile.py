"""One idempotent reconcile of an ``ArgoMCPServer``: certificate, apply, prune, status; and its cleanup.

Every trigger (create, update, resume, the resync timer, a child that changed or vanished) ends up here, so
there is one code path to reason about. Runs for the same resource are serialised, and nudges that arrive
while one is running collapse into a single follow-up run.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import secrets
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import structlog

from argo_mcp_operator import constants as c
from argo_mcp_operator.kube import KubeApi, KubeError
from argo_mcp_operator.render import Owner, endpoint, render, task_key_secret_name, tls_secret_name
from argo_mcp_operator.spec import ArgoMCPServerSpec, SpecError, parse_duration, parse_spec
from argo_mcp_operator.status import Observation, build_status, deployment_progress
from argo_mcp_operator.tls import ServingCert, issue, needs_renewal

Obj = dict[str, Any]
Key = tuple[str, str | None, str]  # kind, namespace, name

log = structlog.get_logger("argo_mcp_operator.reconcile")

# Children that may be left behind when the spec changes (a namespace removed from namespaces, inbound auth or
# ClusterWorkflowTemplates switched off), found by label across the cluster. The TLS Secret (left behind when
# TLS stops being self-signed) and the Certificate are looked up by name instead (OWN_BY_NAME).
PRUNABLE = ("Role", "RoleBinding", "ClusterRoleBinding", "ClusterRole")
# Children looked up by their one possible name (in the owner's namespace) rather than listed: the operator
# may not list Secrets, and listing Certificates fails where cert-manager is not installed (a get of one is a
# plain 404 there). ``{}`` is the owner's name. The task key Secret goes only when taskKeySecretRef names
# another one, or with the resource; the targets ConfigMap when spec.targets is emptied (so the operator needs
# no list or watch on ConfigMaps either).
OWN_BY_NAME = (
    ("Secret", "{}-tls"),
    ("Certificate", "{}"),
    ("Secret", "{}-task-key"),
    ("ConfigMap", "{}-targets"),
)
# Everything the delete handler removes. Objects in the resource's own namespace also go by garbage collection
# through their owner reference; deleting them here too makes deletion complete without relying on it. Objects
# in other namespaces and cluster-scoped ones (the bindings and the ClusterWorkflowTemplate reader ClusterRole,
# one per server) cannot carry an owner reference, so this is the only way they go.
CLEANUP: tuple[tuple[str, bool], ...] = (
    ("Deployment", False),
    ("Service", False),
    ("RoleBinding", True),
    ("Role", True),
    ("ClusterRoleBinding", True),
    ("ClusterRole", True),
    ("ServiceAccount", False),
)
# The API server refuses to change a binding's roleRef (422); such a binding is deleted and created again.
BINDINGS = ("RoleBinding", "ClusterRoleBinding")
# How many deleted resources' uids are remembered. A run queued behind a cleanup holds a copy from before it;
# such runs wait on the resource's lock and are done long before this many other resources are deleted.
DELETED_MEMORY = 1024


def _key_problem(data: str | None) -> str | None:
    """Why a Secret's base64 entry cannot be the server's task key, or None when it can."""
    if data is None:
        return "has no such entry"
    try:
        size = len(base64.b64decode(data, validate=True).strip())
    except (binascii.Error, ValueError):
        return "is not valid base64"
    if size < c.TASK_KEY_MIN_BYTES:
        return f"holds {size} bytes; the server needs at least {c.TASK_KEY_MIN_BYTES} random bytes"
    return None


def owner_selector(name: str, namespace: str) -> str:
    """Label selector matching every child of one resource."""
    return ",".join(
        (
            f"{c.LABEL_MANAGED_BY}={c.MANAGED_BY}",
            f"{c.LABEL_OWNER_NAME}={name}",
            f"{c.LABEL_OWNER_NAMESPACE}={namespace}",
        )
    )


def object_key(obj: Mapping[str, Any]) -> Key:
    meta = obj["metadata"]
    return obj["kind"], meta.get("namespace"), meta["name"]


class Reconciler:
    """Brings the cluster in line with ``ArgoMCPServer`` objects through a ``KubeApi``."""

    def __init__(self, api: KubeApi, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.api = api
        self._clock = clock
        # One lock per resource with a run in progress or waiting, and how many hold or wait for it: the entry
        # goes when the last of them is done, so the map is as large as the work in flight, not the history.
        self._locks: dict[tuple[str, str], tuple[asyncio.Lock, int]] = {}
        self._queued: set[tuple[str, str]] = set()
        # Resources whose cleanup has begun: a run queued behind the cleanup (timer tick, update) holds an
        # older copy without deletionTimestamp and must not re-create what was just deleted. The most recent
        # DELETED_MEMORY uids only (oldest forgotten first): uids are never reused, and a stale run is queued
        # behind its own cleanup, not behind a thousand others.
        self._deleted: OrderedDict[str, None] = OrderedDict()

    def _skip(self, body: Mapping[str, Any]) -> bool:
        meta = body["metadata"]
        return bool(meta.get("deletionTimestamp")) or meta.get("uid", "") in self._deleted

    def _remember_deleted(self, uid: str) -> None:
        self._deleted[uid] = None
        self._deleted.move_to_end(uid)
        while len(self._deleted) > DELETED_MEMORY:
            self._deleted.popitem(last=False)

    @asynccontextmanager
    async def _lock(self, namespace: str, name: str) -> AsyncIterator[None]:
        """Serialise runs for one resource; its lock is dropped once nobody holds or waits for it."""
        key = (namespace, name)
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    async def reconcile(self, body: Mapping[str, Any]) -> Obj:
        """Reconcile one resource as given; returns the status written. Raises SpecError or KubeError."""
        meta = body["metadata"]
        async with self._lock(meta["namespace"], meta["name"]):
            if self._skip(body):
                return dict(body.get("status") or {})
            return await self._reconcile(body)

    async def nudge(self, name: str, namespace: str) -> None:
        """Re-reconcile a resource after one of its children changed; no-op if it is gone or going."""
        key = (namespace, name)
        if key in self._queued:  # a run is already waiting and will see this change too
            return
        self._queued.add(key)
        try:
            async with self._lock(namespace, name):
                self._queued.discard(key)
                body = await self.api.get(c.KIND, name, namespace)
                if body is None or self._skip(body):
                    return
                await self._reconcile(body)
        except (SpecError, KubeError) as exc:
            log.warning(
                "reconcile after a child changed failed", name=name, namespace=namespace, error=str(exc)
            )
        finally:
            self._queued.discard(key)

    async def _reconcile(self, body: Mapping[str, Any]) -> Obj:
        """Observe, then write status once, whatever happened; a failure is raised after it is reported."""
        owner = Owner.of(body)
        observation, failure = await self._converge(owner, body)
        status = await self._write_status(owner, observation, body.get("status"))
        if failure is not None:
            raise failure
        log.info(
            "reconciled",
            name=owner.name,
            namespace=owner.namespace,
            ready=observation.ready,
            ready_replicas=observation.ready_replicas,
        )
        return status

    async def _converge(
        self, owner: Owner, body: Mapping[str, Any]
    ) -> tuple[Observation, SpecError | KubeError | None]:
        """Parse the spec once, apply what it renders to and prune the rest; what was observed, and the
        error that stopped it (the caller reports the observation either way)."""
        generation = int(body["metadata"].get("generation") or 0)
        try:
            spec = parse_spec(body.get("spec"), owner.name)
        except SpecError as exc:
            return Observation(generation, error_reason="InvalidSpec", error_message=str(exc)), exc
        url = endpoint(owner, spec)
        try:
            cert, waiting = await self._certificate(owner, spec, self._clock())
            task_key, key_waiting = await self._task_key(owner, spec)
            waiting = waiting or key_waiting
            objects = render(owner, spec, cert, task_key)
            applied: dict[Key, Obj] = {}
            for obj in objects:
                applied[object_key(obj)] = await self._apply(obj)
            wanted = {object_key(o) for o in objects}
            if spec.tls.mode == "cert-manager":
                # cert-manager fills this Secret, maybe in place of an earlier self-signed one still carrying
                # our labels: never prune it while a Certificate of ours names it.
                wanted.add(("Secret", owner.namespace, tls_secret_name(owner, spec) or ""))
            await self._prune(owner, wanted)
        except KubeError as exc:
            failed = Observation(
                generation,
                endpoint=url,
                replicas=spec.replicas,
                error_reason="ApplyFailed",
                error_message=str(exc),
            )
            return failed, exc
        ready, updated, current = deployment_progress(
            applied.get(("Deployment", owner.namespace, owner.name))
        )
        observed = Observation(
            generation,
            endpoint=url,
            replicas=spec.replicas,
            ready_replicas=ready,
            updated_replicas=updated,
            rollout_current=current,
            tls_not_after=cert.not_after if cert is not None else None,
            waiting_for=waiting,
        )
        return observed, None

    async def _apply(self, obj: Obj) -> Obj:
        """Server-side apply; a binding whose roleRef must change (immutable) is re-created instead."""
        try:
            return await self.api.apply(obj)
        except KubeError as exc:
            if exc.status != 422 or obj["kind"] not in BINDINGS:
                raise
            refused = exc
        kind, namespace, name = object_key(obj)
        current = await self.api.get(kind, name, namespace)
        if current is None or current.get("roleRef") == obj.get("roleRef"):
            raise refused
        log.info(
            "re-creating binding with a new roleRef",
            kind=kind,
            object=f"{namespace or ''}/{name}",
            role_ref=obj["roleRef"]["name"],
            was=(current.get("roleRef") or {}).get("name"),
        )
        await self.api.delete(kind, name, namespace)
        return await self.api.apply(obj)

    async def _certificate(
        self, owner: Owner, spec: ArgoMCPServerSpec, now: datetime
    ) -> tuple[ServingCert | None, str | None]:
        """The certificate to serve, and what we are waiting for if it is not there yet."""
        if spec.tls.mode == "disabled":
            return None, None
        if spec.tls.mode == "secretRef":
            assert spec.tls.secret_name is not None
            secret = await self.api.get("Secret", spec.tls.secret_name, owner.namespace)
            cert = ServingCert.from_secret_data((secret or {}).get("data"))
            if cert is None:
                return (
                    None,
                    f"waiting for kubernetes.io/tls Secret {spec.tls.secret_name} (spec.tls.secretName)",
                )
            return cert, None
        if spec.tls.mode == "cert-manager":
            name = tls_secret_name(owner, spec)
            assert name is not None
            secret = await self.api.get("Secret", name, owner.namespace)
            cert = ServingCert.from_secret_data((secret or {}).get("data"))
            if cert is None:
                return None, f"waiting for cert-manager to issue Certificate {owner.name} into Secret {name}"
            return cert, None
        secret = await self.api.get("Secret", f"{owner.name}-tls", owner.namespace)
        current = ServingCert.from_secret_data((secret or {}).get("data"))
        if not needs_renewal(
            current, owner.name, owner.namespace, parse_duration(spec.tls.renew_before), now
        ):
            return current, None
        fresh = issue(owner.name, owner.namespace, parse_duration(spec.tls.duration), now)
        log.info(
            "issued serving certificate",
            name=owner.name,
            namespace=owner.namespace,
            renewed=current is not None,
            not_after=fresh.not_after.isoformat(),
        )
        return fresh, None

    async def _task_key(self, owner: Owner, spec: ArgoMCPServerSpec) -> tuple[str | None, str | None]:
        """The base64 data of the task key Secret the operator keeps (None when the spec names the user's), and
        what we are waiting for if the named Secret cannot serve.

        A usable key is kept forever: replicas and restarts share it, so confirmations and task ids sealed
        before stay valid. A new key is made only where there is no usable one (no Secret, no entry, fewer
        than the server's minimum bytes), which no server can have started with, so nothing sealed is lost.
        """
        ref = spec.task_key_secret_ref
        if ref is not None:
            secret = await self.api.get("Secret", ref.name, owner.namespace)
            if secret is None:
                return None, f"waiting for Secret {ref.name} (spec.taskKeySecretRef) holding the task key"
            problem = _key_problem((secret.get("data") or {}).get(ref.key))
            if problem is not None:
                return None, f"Secret {ref.name} key {ref.key} (spec.taskKeySecretRef) {problem}"
            return None, None
        name = task_key_secret_name(owner)
        secret = await self.api.get("Secret", name, owner.namespace)
        found = ((secret or {}).get("data") or {}).get(c.TASK_KEY_NAME)
        if secret is None:
            reason = "does not exist"
        else:
            problem = _key_problem(found)
            if problem is None:
                assert found is not None
                return found, None
            reason = f"key {c.TASK_KEY_NAME} {problem}"
        # Replacing an unusable entry is worth a warning; a first key is routine.
        (log.warning if secret is not None else log.info)(
            "made a task key", name=owner.name, namespace=owner.namespace, reason=f"Secret {name} {reason}"
        )
        fresh = secrets.token_urlsafe(48).encode()  # 64 characters from 48 random bytes
        return base64.b64encode(fresh).decode(), None

    async def _prune(self, owner: Owner, wanted: set[Key]) -> None:
        selector = owner_selector(owner.name, owner.namespace)
        for kind in PRUNABLE:
            for item in await self.api.list(kind, selector):
                key = (kind, item["metadata"].get("namespace"), item["metadata"]["name"])
                if key not in wanted:
                    log.info("pruning", kind=kind, object=f"{key[1] or ''}/{key[2]}", owner=owner.name)
                    await self.api.delete(kind, key[2], key[1])
        for kind, name in OWN_BY_NAME:
            if (kind, owner.namespace, name.format(owner.name)) not in wanted:
                await self._delete_own(kind, name.format(owner.name), owner.name, owner.namespace)

    async def _delete_own(self, kind: str, name: str, owner: str, namespace: str) -> None:
        """Delete ``name`` if this operator made it for this owner (never a user's Secret or Certificate)."""
        found_obj = await self.api.get(kind, name, namespace)
        found = ((found_obj or {}).get("metadata") or {}).get("labels") or {}
        if found.get(c.LABEL_MANAGED_BY) == c.MANAGED_BY and found.get(c.LABEL_OWNER_NAME) == owner:
            log.info("pruning", kind=kind, object=f"{namespace}/{name}", owner=owner)
            await self.api.delete(kind, name, namespace)

    async def _write_status(
        self, owner: Owner, obs: Observation, old_status: Mapping[str, Any] | None
    ) -> Obj:
        """The only place the operator writes ``status`` (kopf keeps its own bookkeeping in annotations)."""
        status = build_status(obs, old_status, self._clock())
        try:
            await self.api.patch_status(owner.name, owner.namespace, status)
        except KubeError as exc:
            if exc.status != 404:  # the resource went away meanwhile: nothing to report to
                raise
        return status

    async def cleanup(self, name: str, namespace: str, uid: str = "") -> None:
        """Delete every child, including those an owner reference cannot reach (other namespaces, cluster)."""
        if uid:
            self._remember_deleted(uid)
        selector = owner_selector(name, namespace)
        async with self._lock(namespace, name):
            for kind, cluster_wide in CLEANUP:
                for item in await self.api.list(kind, selector, None if cluster_wide else namespace):
                    await self.api.delete(kind, item["metadata"]["name"], item["metadata"].get("namespace"))
            for kind, own in OWN_BY_NAME:
                await self._delete_own(kind, own.format(name), name, namespace)
        log.info("deleted children", name=name, namespace=namespace)
