"""The shared task key: the operator makes its Secret once, keeps it for good, or mounts the one the spec names.

Every replica must hold the same key (confirmations and task ids sealed by one are opened by another), and a
key that changes makes every open confirmation and task unknown, so the operator never replaces a usable one.
"""

from __future__ import annotations

import base64

import pytest

from argo_mcp_operator import constants as c
from argo_mcp_operator.reconcile import Reconciler
from tests.support.operator_api import Clock, FakeApi, Obj, resource

KEY = ("Secret", "team-a", "srv-task-key")


@pytest.fixture
def api() -> FakeApi:
    return FakeApi()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def key_bytes(api: FakeApi, key: tuple[str, str, str] = KEY, entry: str = c.TASK_KEY_NAME) -> bytes:
    return base64.b64decode(api.objects[key]["data"][entry])


def pod(api: FakeApi) -> Obj:
    spec: Obj = api.objects[("Deployment", "team-a", "srv")]["spec"]["template"]["spec"]
    return spec


def task_key_volume(api: FakeApi) -> Obj:
    volume: Obj
    (volume,) = [v for v in pod(api)["volumes"] if v["name"] == "task-key"]
    return volume


def user_secret(api: FakeApi, name: str, data: dict[str, bytes]) -> None:
    api.objects[("Secret", "team-a", name)] = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": "team-a", "generation": 1},
        "data": {k: base64.b64encode(v).decode() for k, v in data.items()},
    }


async def test_the_key_is_made_once_owned_and_mounted(api: FakeApi, clock: Clock) -> None:
    await Reconciler(api, clock).reconcile(resource(api))
    secret = api.objects[KEY]
    assert secret["metadata"]["ownerReferences"][0]["name"] == "srv"
    assert secret["metadata"]["labels"][c.LABEL_OWNER_NAME] == "srv"
    assert len(key_bytes(api).strip()) >= c.TASK_KEY_MIN_BYTES
    assert task_key_volume(api)["secret"] == {
        "secretName": "srv-task-key",
        "items": [{"key": "task.key", "path": "task.key"}],
    }
    (ctr,) = pod(api)["containers"]
    assert {"name": "task-key", "mountPath": c.TASK_KEY_DIR, "readOnly": True} in ctr["volumeMounts"]
    assert (
        ctr["args"][ctr["args"].index("--task-key-file") + 1]
        == c.TASK_KEY_FILE
        == f"{c.TASK_KEY_DIR}/task.key"
    )


async def test_the_key_survives_reconciles_restarts_and_spec_changes(api: FakeApi, clock: Clock) -> None:
    await Reconciler(api, clock).reconcile(resource(api))
    first = key_bytes(api)
    await Reconciler(api, clock).reconcile(
        resource(api)
    )  # an operator restart: a new reconciler, same cluster
    await Reconciler(api, clock).reconcile(resource(api, generation=2, replicas=3, mode="operate"))
    del api.objects[("Deployment", "team-a", "srv")]
    await Reconciler(api, clock).nudge("srv", "team-a")
    assert key_bytes(api) == first
    # two operators' keys differ: the key is random, not derived from the resource
    other = FakeApi()
    await Reconciler(other, clock).reconcile(resource(other))
    assert key_bytes(other) != first


async def test_a_key_the_user_put_in_our_secret_is_kept(api: FakeApi, clock: Clock) -> None:
    mine = b"k" * 40
    user_secret(api, "srv-task-key", {"task.key": mine})
    await Reconciler(api, clock).reconcile(resource(api))
    assert key_bytes(api) == mine


@pytest.mark.parametrize("data", [{"task.key": b"too-short"}, {"other": b"x" * 64}, {}])
async def test_an_unusable_key_is_replaced_since_no_server_could_start_with_it(
    api: FakeApi, clock: Clock, data: dict[str, bytes]
) -> None:
    user_secret(api, "srv-task-key", data)
    await Reconciler(api, clock).reconcile(resource(api))
    assert len(key_bytes(api).strip()) >= c.TASK_KEY_MIN_BYTES


async def test_a_named_secret_is_mounted_and_none_is_made(api: FakeApi, clock: Clock) -> None:
    user_secret(api, "shared", {"seal": b"s" * 48})
    await Reconciler(api, clock).reconcile(resource(api, taskKeySecretRef={"name": "shared", "key": "seal"}))
    assert KEY not in api.objects
    assert task_key_volume(api)["secret"] == {
        "secretName": "shared",
        "items": [{"key": "seal", "path": "task.key"}],
    }
    assert key_bytes(api, ("Secret", "team-a", "shared"), "seal") == b"s" * 48  # the user's, untouched


async def test_a_named_secret_missing_or_short_is_waited_for(api: FakeApi, clock: Clock) -> None:
    reconciler = Reconciler(api, clock)
    status = await reconciler.reconcile(
        resource(api, tls={"mode": "disabled"}, taskKeySecretRef={"name": "k"})
    )
    (ready,) = [cond for cond in status["conditions"] if cond["type"] == "Ready"]
    assert (ready["status"], ready["reason"]) == ("False", "Waiting")
    assert "Secret k (spec.taskKeySecretRef)" in ready["message"]
    user_secret(api, "k", {"task.key": b"short"})
    status = await reconciler.reconcile(
        resource(api, tls={"mode": "disabled"}, taskKeySecretRef={"name": "k"})
    )
    (ready,) = [cond for cond in status["conditions"] if cond["type"] == "Ready"]
    assert "Secret k key task.key (spec.taskKeySecretRef) holds 5 bytes" in ready["message"]
    assert "at least 32" in ready["message"]
    assert key_bytes(api, ("Secret", "team-a", "k")) == b"short"  # never written by the operator


async def test_naming_a_secret_prunes_ours_and_deleting_the_resource_removes_it(
    api: FakeApi, clock: Clock
) -> None:
    reconciler = Reconciler(api, clock)
    await reconciler.reconcile(resource(api))
    assert KEY in api.objects
    user_secret(api, "shared", {"task.key": b"s" * 48})
    await reconciler.reconcile(resource(api, generation=2, taskKeySecretRef={"name": "shared"}))
    assert KEY not in api.objects
    assert ("Secret", "team-a", "shared") in api.objects
    await reconciler.reconcile(resource(api, generation=3))
    assert KEY in api.objects
    await reconciler.cleanup("srv", "team-a", "uid-1")
    assert KEY not in api.objects
    assert ("Secret", "team-a", "shared") in api.objects  # not ours: never deleted
