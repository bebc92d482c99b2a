"""The reconcile loop against an in-memory API that keeps objects the way the API server would."""

from __future__ import annotations

import asyncio
import copy
from datetime import timedelta
from typing import Any

import pytest

from argo_mcp_operator import constants as c
from argo_mcp_operator.kube import KubeError
from argo_mcp_operator.reconcile import Reconciler
from argo_mcp_operator.spec import SpecError
from argo_mcp_operator.tls import ServingCert, issue, rfc3339
from tests.support.operator_api import Clock, FakeApi, Obj, resource


def condition(status: Obj, kind: str) -> Obj:
    (found,) = [cond for cond in status["conditions"] if cond["type"] == kind]
    assert isinstance(found, dict)
    return found


@pytest.fixture
def api() -> FakeApi:
    return FakeApi()


@pytest.fixture
def clock() -> Clock:
    return Clock()


async def test_first_reconcile_applies_everything_and_reports_progress(api: FakeApi, clock: Clock) -> None:
    status = await Reconciler(api, clock).reconcile(resource(api, namespaces=["team-a", "team-b"]))
    assert api.kinds() == {
        ("ServiceAccount", "team-a", "srv"),
        ("Role", "team-a", "srv"),
        ("RoleBinding", "team-a", "srv"),
        ("Role", "team-b", "srv"),
        ("RoleBinding", "team-b", "srv"),
        ("ClusterRole", None, "team-a-srv-cwt-reader"),
        ("ClusterRoleBinding", None, "team-a-srv-cwt"),
        ("ClusterRoleBinding", None, "team-a-srv-auth-delegator"),
        ("Secret", "team-a", "srv-tls"),
        ("Secret", "team-a", "srv-task-key"),
        ("Service", "team-a", "srv"),
        ("Deployment", "team-a", "srv"),
    }
    assert status["observedGeneration"] == 1
    assert status["endpoint"] == "https://srv.team-a.svc:8081/mcp"
    assert status["readyReplicas"] == 0
    assert status["tls"]["notAfter"] == "2026-04-01T00:00:00Z"  # now + 2160h
    assert condition(status, "Ready")["status"] == "False"
    assert condition(status, "Progressing") | {"lastTransitionTime": None} == {
        "type": "Progressing",
        "status": "True",
        "reason": "RollingOut",
        "message": "0/1 replicas ready",
        "lastTransitionTime": None,
        "observedGeneration": 1,
    }
    assert condition(status, "Degraded")["status"] == "False"
    assert api.statuses[-1] == status


async def test_ready_once_the_deployment_is(api: FakeApi, clock: Clock) -> None:
    reconciler = Reconciler(api, clock)
    first = await reconciler.reconcile(resource(api))
    api.make_deployment_ready()
    clock.now += timedelta(minutes=1)
    status = await reconciler.reconcile(resource(api))
    ready = condition(status, "Ready")
    assert (ready["status"], ready["reason"]) == ("True", "Available")
    assert ready["lastTransitionTime"] == "2026-01-01T00:01:00Z"
    # Degraded did not flip, so its transition time is the first one.
    assert (
        condition(status, "Degraded")["lastTransitionTime"]
        == condition(first, "Degraded")["lastTransitionTime"]
    )
    assert condition(status, "Progressing")["status"] == "False"
    assert status["readyReplicas"] == 1


async def test_reconcile_is_idempotent_and_keeps_the_certificate(api: FakeApi, clock: Clock) -> None:
    reconciler = Reconciler(api, clock)
    await reconciler.reconcile(resource(api))
    before = copy.deepcopy({k: v for k, v in api.objects.items() if k[0] != c.KIND})
    await reconciler.reconcile(resource(api))
    after = {k: v for k, v in api.objects.items() if k[0] != c.KIND}
    assert after == before
    assert not [call for call in api.calls if call[0] == "delete"]


async def test_deleted_child_comes_back(api: FakeApi, clock: Clock) -> None:
    reconciler = Reconciler(api, clock)
    await reconciler.reconcile(resource(api))
    del api.objects[("Deployment", "team-a", "srv")]
    del api.objects[("RoleBinding", "team-a", "srv")]
    await reconciler.nudge("srv", "team-a")
    assert ("Deployment", "team-a", "srv") in api.objects
    assert ("RoleBinding", "team-a", "srv") in api.objects


async def test_changed_child_is_put_back(api: FakeApi, clock: Clock) -> None:
    reconciler = Reconciler(api, clock)
    await reconciler.reconcile(resource(api))
    role = api.objects[("Role", "team-a", "srv")]
    role["rules"] = [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]
    await reconciler.nudge("srv", "team-a")
    assert api.objects[("Role", "team-a", "srv")]["rules"][0]["apiGroups"] == ["argoproj.io"]


async def test_spec_changes_are_followed_and_leftovers_pruned(api: FakeApi, clock: Clock) -> None:
    reconciler = Reconciler(api, clock)
    await reconciler.reconcile(resource(api, namespaces=["team-a", "team-b"]))
    await reconciler.reconcile(
        resource(
            api,
            generation=2,
            namespaces=["team-a"],
            mode="full",
            inboundAuth={"mode": "none"},
            tls={"mode": "disabled"},
            clusterWorkflowTemplates=False,
        )
    )
    assert api.kinds() == {
        ("ServiceAccount", "team-a", "srv"),
        ("Role", "team-a", "srv"),
        ("RoleBinding", "team-a", "srv"),
        ("Secret", "team-a", "srv-task-key"),
        ("Service", "team-a", "srv"),
        ("Deployment", "team-a", "srv"),
    }
    role = api.objects[("Role", "team-a", "srv")]
    assert {"apiGroups": [""], "resources": ["pods"], "verbs": ["delete"]} in role["rules"]
    status = api.statuses[-1]
    assert status["endpoint"] == "http://srv.team-a.svc:8081/mcp"
    assert status["tls"] == {"notAfter": None}  # merge patch: removes the field
    assert status["observedGeneration"] == 2


async def test_certificate_renewed_before_expiry_and_rolls_the_deployment(api: FakeApi, clock: Clock) -> None:
    reconciler = Reconciler(api, clock)
    await reconciler.reconcile(resource(api, tls={"duration": "100h", "renewBefore": "10h"}))
    secret = api.objects[("Secret", "team-a", "srv-tls")]
    first = ServingCert.from_secret_data(secret["data"])
    assert first is not None

    def checksum() -> str:
        deployment = api.objects[("Deployment", "team-a", "srv")]
        return str(deployment["spec"]["template"]["metadata"]["annotations"][c.ANNOTATION_TLS_CHECKSUM])

    assert checksum() == first.checksum
    clock.now += timedelta(hours=89)
    await reconciler.reconcile(resource(api, tls={"duration": "100h", "renewBefore": "10h"}))
    assert ServingCert.from_secret_data(api.objects[("Secret", "team-a", "srv-tls")]["data"]) == first

    clock.now += timedelta(hours=2)  # now inside the renewBefore window
    status = await reconciler.reconcile(resource(api, tls={"duration": "100h", "renewBefore": "10h"}))
    renewed = ServingCert.from_secret_data(api.objects[("Secret", "team-a", "srv-tls")]["data"])
    assert renewed is not None and renewed != first
    assert renewed.not_after == clock.now + timedelta(hours=100)
    assert checksum() == renewed.checksum
    assert status["tls"]["notAfter"] == "2026-01-08T23:00:00Z"


async def test_deleted_tls_secret_is_reissued(api: FakeApi, clock: Clock) -> None:
    reconciler = Reconciler(api, clock)
    await reconciler.reconcile(resource(api))
    del api.objects[("Secret", "team-a", "srv-tls")]
    await reconciler.nudge("srv", "team-a")
    assert ServingCert.from_secret_data(api.objects[("Secret", "team-a", "srv-tls")]["data"]) is not None


async def test_secret_ref_waits_for_the_users_secret(api: FakeApi, clock: Clock) -> None:
    reconciler = Reconciler(api, clock)
    spec: dict[str, Any] = {"tls": {"mode": "secretRef", "secretName": "mine"}}
    status = await reconciler.reconcile(resource(api, **spec))
    assert condition(status, "Ready")["reason"] == "Waiting"
    assert "Secret mine" in condition(status, "Ready")["message"]
    cert = issue("srv", "team-a", timedelta(hours=24))
    api.objects[("Secret", "team-a", "mine")] = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "mine", "namespace": "team-a"},
        "data": cert.secret_data(),
    }
    status = await reconciler.reconcile(resource(api, **spec))
    # The certificate's checksum changed the pod template: a new rollout, not ready until it completes.
    assert condition(status, "Ready")["reason"] == "RollingOut"
    api.make_deployment_ready()
    status = await reconciler.reconcile(resource(api, **spec))
    assert condition(status, "Ready")["status"] == "True"
    annotations = api.objects[("Deployment", "team-a", "srv")]["spec"]["template"]["metadata"]["annotations"]
    assert annotations[c.ANNOTATION_TLS_CHECKSUM] == cert.checksum
    assert ("Secret", "team-a", "mine") in api.objects  # the user's Secret is never pruned


async def test_invalid_spec_is_reported_and_nothing_applied(api: FakeApi, clock: Clock) -> None:
    with pytest.raises(SpecError):
        await Reconciler(api, clock).reconcile(resource(api, tls={"mode": "secretRef"}))
    assert api.kinds() == set()
    degraded = condition(api.statuses[-1], "Degraded")
    assert (degraded["status"], degraded["reason"]) == ("True", "InvalidSpec")
    assert "spec.tls: tls.secretName is required when tls.mode is secretRef" in degraded["message"]
    assert condition(api.statuses[-1], "Ready")["status"] == "False"


async def test_api_failure_is_reported(api: FakeApi, clock: Clock) -> None:
    api.fail_apply = "RoleBinding"
    with pytest.raises(KubeError):
        await Reconciler(api, clock).reconcile(resource(api))
    degraded = condition(api.statuses[-1], "Degraded")
    assert (degraded["status"], degraded["reason"]) == ("True", "ApplyFailed")
    assert "apply RoleBinding: 403 Forbidden" in degraded["message"]


async def test_cleanup_removes_children_owner_references_cannot_reach(api: FakeApi, clock: Clock) -> None:
    reconciler = Reconciler(api, clock)
    await reconciler.reconcile(resource(api, namespaces=["team-a", "team-b"]))
    other = resource(api)  # a second server in another namespace must be untouched
    other["metadata"]["namespace"] = "team-c"
    api.objects[(c.KIND, "team-c", "srv")] = other
    await reconciler.reconcile(other)
    await reconciler.cleanup("srv", "team-a")
    leftovers = {k for k in api.kinds() if k[1] != "team-c" and not k[2].startswith("team-c-")}
    assert leftovers == set()
    assert ("Deployment", "team-c", "srv") in api.objects
    assert ("ClusterRoleBinding", None, "team-c-srv-auth-delegator") in api.objects
    assert ("ClusterRole", None, "team-c-srv-cwt-reader") in api.objects


async def test_a_binding_whose_role_ref_changed_is_recreated(api: FakeApi, clock: Clock) -> None:
    # Made by an operator from before the per-server ClusterWorkflowTemplate reader (roleRef is immutable).
    legacy_role_ref = {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": "argo-mcp-clusterworkflowtemplates-reader",
    }
    api.objects[("ClusterRoleBinding", None, "team-a-srv-cwt")] = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "team-a-srv-cwt", "generation": 1},
        "roleRef": legacy_role_ref,
    }
    await Reconciler(api, clock).reconcile(resource(api))
    binding = api.objects[("ClusterRoleBinding", None, "team-a-srv-cwt")]
    assert binding["roleRef"]["name"] == "team-a-srv-cwt-reader"
    key = ("ClusterRoleBinding", None, "team-a-srv-cwt")
    assert ("apply", key) in api.calls[api.calls.index(("delete", key)) :]


async def test_other_refusals_of_a_binding_are_not_retried_by_recreating(api: FakeApi, clock: Clock) -> None:
    reconciler = Reconciler(api, clock)
    await reconciler.reconcile(resource(api))
    api.fail_apply = "ClusterRoleBinding"
    with pytest.raises(KubeError):
        await reconciler.reconcile(resource(api))
    assert not [call for call in api.calls if call[0] == "delete" and call[1][0] == "ClusterRoleBinding"]


async def test_nudges_for_a_gone_resource_do_nothing(api: FakeApi, clock: Clock) -> None:
    await Reconciler(api, clock).nudge("missing", "team-a")
    assert api.calls == []


async def test_concurrent_nudges_coalesce(api: FakeApi, clock: Clock) -> None:
    reconciler = Reconciler(api, clock)
    resource(api)
    await asyncio.gather(*(reconciler.nudge("srv", "team-a") for _ in range(5)))
    applies_of_deployment = [call for call in api.calls if call == ("apply", ("Deployment", "team-a", "srv"))]
    assert 1 <= len(applies_of_deployment) <= 2
    # one issued certificate: the serialised runs agree on it
    secret = api.objects[("Secret", "team-a", "srv-tls")]
    deployment = api.objects[("Deployment", "team-a", "srv")]
    cert = ServingCert.from_secret_data(secret["data"])
    assert cert is not None
    assert (
        deployment["spec"]["template"]["metadata"]["annotations"][c.ANNOTATION_TLS_CHECKSUM] == cert.checksum
    )


async def test_a_run_queued_behind_cleanup_does_not_resurrect_children(api: FakeApi, clock: Clock) -> None:
    reconciler = Reconciler(api, clock)
    stale = resource(api)
    await reconciler.reconcile(stale)
    await asyncio.gather(reconciler.cleanup("srv", "team-a", "uid-1"), reconciler.reconcile(stale))
    assert api.kinds() == set()
    # Being deleted (deletionTimestamp set): a reconcile is a no-op too.
    other = Reconciler(api, clock)
    stale["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    await other.reconcile(stale)
    assert api.kinds() == set()


CERT_MANAGER: dict[str, Any] = {
    "tls": {"mode": "cert-manager", "certManager": {"issuerRef": {"name": "ca", "kind": "ClusterIssuer"}}}
}


def cert_manager_fills(api: FakeApi, cert: ServingCert, labels: dict[str, str] | None = None) -> None:
    """What cert-manager does once the Certificate is issued: write the Secret it names."""
    api.objects[("Secret", "team-a", "srv-tls")] = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "srv-tls", "namespace": "team-a", "labels": labels or {}},
        "data": cert.secret_data(),
    }


async def test_cert_manager_waits_for_its_secret_then_serves_it(api: FakeApi, clock: Clock) -> None:
    reconciler = Reconciler(api, clock)
    status = await reconciler.reconcile(resource(api, **CERT_MANAGER))
    assert ("Certificate", "team-a", "srv") in api.objects
    assert ("Secret", "team-a", "srv-tls") not in api.objects  # the operator issues nothing itself
    assert condition(status, "Ready")["reason"] == "Waiting"
    assert condition(status, "Ready")["message"] == (
        "waiting for cert-manager to issue Certificate srv into Secret srv-tls"
    )
    cert = issue("srv", "team-a", timedelta(hours=24))
    cert_manager_fills(api, cert)
    await reconciler.reconcile(resource(api, **CERT_MANAGER))
    api.make_deployment_ready()
    status = await reconciler.reconcile(resource(api, **CERT_MANAGER))
    assert condition(status, "Ready")["status"] == "True"
    assert status["tls"]["notAfter"] == rfc3339(cert.not_after)
    annotations = api.objects[("Deployment", "team-a", "srv")]["spec"]["template"]["metadata"]["annotations"]
    assert annotations[c.ANNOTATION_TLS_CHECKSUM] == cert.checksum


async def test_switching_to_cert_manager_keeps_the_secret_it_took_over(api: FakeApi, clock: Clock) -> None:
    """self-signed -> cert-manager: the Secret (still labelled ours) is cert-manager's now; never pruned."""
    reconciler = Reconciler(api, clock)
    await reconciler.reconcile(resource(api))
    assert api.objects[("Secret", "team-a", "srv-tls")]["metadata"]["labels"][c.LABEL_OWNER_NAME] == "srv"
    await reconciler.reconcile(resource(api, **CERT_MANAGER))
    assert ("Secret", "team-a", "srv-tls") in api.objects
    assert ("delete", ("Secret", "team-a", "srv-tls")) not in api.calls


async def test_switching_away_from_cert_manager_prunes_the_certificate(api: FakeApi, clock: Clock) -> None:
    reconciler = Reconciler(api, clock)
    await reconciler.reconcile(resource(api, **CERT_MANAGER))
    await reconciler.reconcile(resource(api, tls={"mode": "disabled"}))
    assert ("Certificate", "team-a", "srv") not in api.objects
    assert ("Secret", "team-a", "srv-tls") not in api.objects


async def test_cleanup_deletes_the_certificate(api: FakeApi, clock: Clock) -> None:
    reconciler = Reconciler(api, clock)
    await reconciler.reconcile(resource(api, **CERT_MANAGER))
    await reconciler.cleanup("srv", "team-a", "uid-1")
    assert ("delete", ("Certificate", "team-a", "srv")) in api.calls
    assert api.kinds() == set()


async def test_a_certificate_the_user_made_is_not_pruned(api: FakeApi, clock: Clock) -> None:
    """A Certificate named like the server but not labelled ours (made by hand) is left alone."""
    reconciler = Reconciler(api, clock)
    api.objects[("Certificate", "team-a", "srv")] = {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": "srv", "namespace": "team-a", "labels": {}},
    }
    await reconciler.reconcile(resource(api, tls={"mode": "disabled"}))
    assert ("Certificate", "team-a", "srv") in api.objects


async def test_per_resource_state_stays_bounded_across_many_create_delete_cycles(
    api: FakeApi, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lock map holds only resources with a run in flight and the deleted-uid memory is capped, so an
    operator that sees thousands of short-lived servers does not grow without end."""
    monkeypatch.setattr("argo_mcp_operator.reconcile.DELETED_MEMORY", 50)
    reconciler = Reconciler(api, clock)
    for cycle in range(200):
        body = resource(api, tls={"mode": "disabled"})  # no certificate to issue: the cycles stay quick
        body["metadata"].update(name=f"srv-{cycle}", uid=f"uid-{cycle}")
        api.objects[(c.KIND, "team-a", f"srv-{cycle}")] = copy.deepcopy(body)
        # a run queued behind the cleanup (stale copy), a nudge and the cleanup itself, interleaved
        await asyncio.gather(
            reconciler.reconcile(body),
            reconciler.cleanup(f"srv-{cycle}", "team-a", f"uid-{cycle}"),
            reconciler.reconcile(body),
            reconciler.nudge(f"srv-{cycle}", "team-a"),
        )
        del api.objects[(c.KIND, "team-a", f"srv-{cycle}")]
        assert not reconciler._locks, f"lock entries left after cycle {cycle}: {reconciler._locks}"
        assert len(reconciler._deleted) <= 50
    assert not reconciler._queued
    assert api.kinds() == set(), "a stale run queued behind its cleanup re-created children"
    # the most recent deletions are the ones remembered
    assert list(reconciler._deleted)[-1] == "uid-199"
    assert "uid-0" not in reconciler._deleted


async def test_a_lock_is_shared_while_held_and_dropped_after(api: FakeApi, clock: Clock) -> None:
    reconciler = Reconciler(api, clock)
    order: list[str] = []

    async def hold(tag: str) -> None:
        async with reconciler._lock("team-a", "srv"):
            order.append(f"{tag}-in")
            assert len(reconciler._locks) == 1
            await asyncio.sleep(0)
            order.append(f"{tag}-out")

    await asyncio.gather(hold("a"), hold("b"))
    assert order == ["a-in", "a-out", "b-in", "b-out"], "runs for one resource must not interleave"
    assert reconciler._locks == {}
