"""The entry point's options and the handlers it registers."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import kopf
import pytest
import structlog
from kopf._core.intents.handlers import TimerHandler

from argo_mcp_operator import constants as c
from argo_mcp_operator import logs
from argo_mcp_operator.__main__ import parse_args
from argo_mcp_operator.handlers import WATCHED_CHILDREN, register
from argo_mcp_operator.reconcile import Reconciler
from tests.support.operator_api import FakeApi, resource


def test_defaults_watch_all_namespaces() -> None:
    options = parse_args([], env={})
    assert options.clusterwide is True
    assert options.namespaces == []
    assert options.liveness == "http://0.0.0.0:8080/healthz"
    assert options.resync_seconds == 60
    assert options.log_level == "info"


def test_namespaces_from_flags_or_environment() -> None:
    options = parse_args(["-n", "a,b", "--namespace", "c"], env={})
    assert (options.namespaces, options.clusterwide) == (["a", "b", "c"], False)
    options = parse_args([], env={"ARGO_MCP_OPERATOR_NAMESPACES": "x, y"})
    assert (options.namespaces, options.clusterwide) == (["x", "y"], False)
    assert parse_args(["--all-namespaces"], env={"ARGO_MCP_OPERATOR_NAMESPACES": "x"}).clusterwide is True


def test_liveness_can_be_turned_off_and_resync_tuned() -> None:
    options = parse_args(["--liveness", "none", "--resync-seconds", "5"], env={})
    assert options.liveness is None
    assert options.resync_seconds == 5
    with pytest.raises(SystemExit):
        parse_args(["--resync-seconds", "0"], env={})


def test_registered_handlers() -> None:
    registry = kopf.OperatorRegistry()
    register(registry, resync_seconds=7)
    ids = {h.id for h in registry._changing.get_all_handlers()}  # kopf has no public listing
    assert {"create", "update", "resume", "delete"} <= ids
    (timer,) = registry._spawning.get_all_handlers()
    assert isinstance(timer, TimerHandler)
    assert (timer.id, timer.interval) == ("resync", 7)
    watching = {h.id for h in registry._watching.get_all_handlers()}
    assert watching == {f"child-{kind.lower()}" for kind in WATCHED_CHILDREN}


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """logs.configure changes process-wide logging; put it back for the other tests."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    structlog_config = structlog.get_config()
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.configure(**structlog_config)


@pytest.mark.usefixtures("restore_logging")
def test_logs_are_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("info")
    structlog.get_logger("argo_mcp_operator.test").info("reconciled", name="srv")
    logging.getLogger("kopf.test").info(
        "Handler succeeded.",
        extra={
            "settings": object(),
            "k8s_ref": {"kind": "ArgoMCPServer", "name": "srv", "namespace": "a", "uid": "u"},
        },
    )
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert lines[0]["event"] == "reconciled" and lines[0]["name"] == "srv" and lines[0]["level"] == "info"
    assert lines[1]["object"] == {"kind": "ArgoMCPServer", "namespace": "a", "name": "srv"}
    assert "settings" not in lines[1]


def _handler(registry: kopf.OperatorRegistry, handler_id: str) -> Any:
    (found,) = [h for h in registry._changing.get_all_handlers() if h.id == handler_id]
    return found.fn


async def test_handlers_use_the_reconciler_kept_in_memo() -> None:
    """No module or closure state: a handler finds the reconciler in kopf's memo, or asks kopf to retry."""
    registry = kopf.OperatorRegistry()
    register(registry, resync_seconds=7)
    create = _handler(registry, "create")
    api = FakeApi()
    body = resource(api)
    with pytest.raises(kopf.TemporaryError, match="still starting"):
        await create(body=body, memo=kopf.Memo())
    memo = kopf.Memo(reconciler=Reconciler(api))
    await create(body=body, memo=memo)
    assert ("Deployment", "team-a", "srv") in api.objects
    assert len(api.statuses) == 1  # one reconcile, one status write


async def test_kopf_keeps_its_bookkeeping_out_of_status(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reconciler is the only writer of status: kopf's progress and diff base go to annotations."""
    registry = kopf.OperatorRegistry()
    register(registry)
    (startup,) = [h for h in registry._activities.get_all_handlers() if h.id.endswith("startup")]

    async def connect() -> FakeApi:
        return FakeApi()

    monkeypatch.setattr("argo_mcp_operator.handlers.RestKubeApi.connect", connect)
    settings, memo = kopf.OperatorSettings(), kopf.Memo()
    start: Any = startup.fn  # kopf passes every kwarg; the handler takes the two it uses
    await start(settings=settings, memo=memo)
    assert isinstance(settings.persistence.progress_storage, kopf.AnnotationsProgressStorage)
    assert isinstance(settings.persistence.diffbase_storage, kopf.AnnotationsDiffBaseStorage)
    assert settings.persistence.progress_storage.prefix == c.GROUP
    assert isinstance(memo.reconciler, Reconciler)
