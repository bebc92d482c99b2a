"""kopf wiring: which events call the reconciler, and how failures are reported back to kopf.

Handlers are registered on a registry passed in (not kopf's global one) so that the entry point decides the
resync interval and tests can build a registry without side effects at import time.

- create / update / resume: reconcile; an invalid spec is a permanent error (kopf stops retrying until the
  spec changes), an API failure a temporary one (retried with back-off).
- delete (with a finalizer): remove children that owner references cannot reach.
- a timer: periodic resync that repairs drift and renews certificates, even if no event ever arrives.
- events of the children themselves (label-selected): a deleted or edited child, or a Deployment whose pods
  became ready, triggers a reconcile at once instead of waiting for the timer.
"""

from __future__ import annotations

import logging
from typing import Any

import kopf
from kopf._core.intents.filters import MetaFilter  # the type of `labels=`; kopf does not re-export it

from argo_mcp_operator import constants as c
from argo_mcp_operator.kube import KINDS, RestKubeApi
from argo_mcp_operator.reconcile import Reconciler
from argo_mcp_operator.spec import SpecError

log = logging.getLogger("argo_mcp_operator.handlers")

# Kinds whose events nudge the owning resource. Not Secrets: watching them needs list/watch on every Secret in
# the cluster, which the operator deliberately lacks; the resync timer repairs a deleted TLS Secret.
WATCHED_CHILDREN = (
    "Deployment",
    "Service",
    "ServiceAccount",
    "Role",
    "RoleBinding",
    "ClusterRole",
    "ClusterRoleBinding",
)
FINALIZER = f"{c.GROUP}/cleanup"


def _reconciler(memo: kopf.Memo) -> Reconciler:
    """The process's reconciler, which the startup handler keeps in kopf's ``memo`` (shared by every handler)."""
    reconciler = getattr(memo, "reconciler", None)
    if not isinstance(reconciler, Reconciler):
        raise kopf.TemporaryError("the operator is still starting", delay=1)
    return reconciler


def _group_version(api_version: str) -> tuple[str, str]:
    group, _, version = api_version.rpartition("/")
    return group, version


def register(
    registry: kopf.OperatorRegistry, *, resync_seconds: float = 60.0, retry_delay_seconds: float = 10.0
) -> None:
    """Register every handler of the operator on ``registry``.

    Per-process state (the reconciler and its API client) lives in kopf's ``memo``, set up by the startup
    handler and closed by the cleanup handler; the two numbers are needed at registration (the timer's
    interval) and so are arguments.
    """
    res = (c.GROUP, c.VERSION, c.PLURAL)

    @kopf.on.startup(registry=registry)
    async def startup(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
        settings.persistence.finalizer = FINALIZER
        # Handler outcomes are logged; only warnings and errors become Kubernetes Events, so the resync timer
        # does not post an Event every minute.
        settings.posting.level = logging.WARNING
        # The reconciler is the one writer of `status`: kopf keeps its handler progress (retries, permanent
        # failures) and the last-handled spec in annotations instead of `status.kopf`.
        settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=c.GROUP)
        settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(prefix=c.GROUP)
        memo.reconciler = Reconciler(await RestKubeApi.connect())

    @kopf.on.login(registry=registry)
    async def login(**kwargs: Any) -> kopf.ConnectionInfo | None:
        # A registry of our own gets none of kopf's fallback logins; use the same client library (and so the
        # same in-cluster or kubeconfig credentials) as the reconciler.
        return await kopf.login_via_async_client(**kwargs)

    @kopf.on.cleanup(registry=registry)
    async def shutdown(memo: kopf.Memo, **_: Any) -> None:
        reconciler = getattr(memo, "reconciler", None)
        if isinstance(reconciler, Reconciler) and isinstance(reconciler.api, RestKubeApi):
            await reconciler.api.close()

    async def reconcile(body: kopf.Body, memo: kopf.Memo) -> None:
        try:
            await _reconciler(memo).reconcile(body)
        except SpecError as exc:
            raise kopf.PermanentError(f"invalid spec: {exc}") from None
        except Exception as exc:  # API errors and anything unexpected: retry later
            raise kopf.TemporaryError(str(exc), delay=retry_delay_seconds) from exc

    @kopf.on.create(*res, registry=registry, id="create")
    async def created(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
        await reconcile(body, memo)

    @kopf.on.update(*res, registry=registry, id="update")
    async def updated(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
        await reconcile(body, memo)

    @kopf.on.resume(*res, registry=registry, id="resume")
    async def resumed(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
        await reconcile(body, memo)

    @kopf.on.delete(*res, registry=registry, id="delete")
    async def deleted(name: str, namespace: str | None, uid: str, memo: kopf.Memo, **_: Any) -> None:
        assert namespace is not None  # the resource is namespaced
        await _reconciler(memo).cleanup(name, namespace, uid)

    @kopf.timer(
        *res,
        registry=registry,
        id="resync",
        interval=resync_seconds,
        initial_delay=resync_seconds,
    )
    async def resync(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
        await reconcile(body, memo)

    children: MetaFilter = {
        c.LABEL_MANAGED_BY: c.MANAGED_BY,
        c.LABEL_OWNER_NAME: kopf.PRESENT,
        c.LABEL_OWNER_NAMESPACE: kopf.PRESENT,
    }
    for kind in WATCHED_CHILDREN:
        group, version = _group_version(KINDS[kind].api_version)

        @kopf.on.event(
            group, version, KINDS[kind].plural, labels=children, registry=registry, id=f"child-{kind.lower()}"
        )
        async def child_changed(type: str | None, labels: kopf.Labels, memo: kopf.Memo, **_: Any) -> None:
            if type is None:  # the initial listing: resume handlers already cover existing resources
                return
            await _reconciler(memo).nudge(labels[c.LABEL_OWNER_NAME], labels[c.LABEL_OWNER_NAMESPACE])
