"""End-to-end fixtures: a real kube-apiserver and a real Argo Workflows (see tests/e2e/README.md).

Provider: ARGO_MCP_E2E_PROVIDER=local (default: upstream binaries as local processes) | kind (Docker hosts).
ARGO_MCP_E2E_REUSE=1 uses a stack already started with `python -m tests.e2e.stack up` instead of starting one.
ARGO_MCP_E2E_ARGO=v3.7.18 picks one of versions.toml's Argo Workflows versions (default: the first).
If the stack cannot be built or started, every e2e test FAILS with the reason (never a silent skip).
ARGO_MCP_E2E_RECORD=full|compat (set by ./dev e2e) records a run in which every test passed into
tests/e2e/supported-argo.json (tests/e2e/stack/supported.py).
"""

from __future__ import annotations

import atexit
import datetime
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.helm_support import restricted_namespace
from tests.e2e.stack import build as B
from tests.e2e.stack import images as I
from tests.e2e.stack import local, procs, supported
from tests.e2e.stack import versions as V
from tests.e2e.stack.fixture import E2EStack
from tests.e2e.stack.kind import KindStack, KindUnavailable, check_docker, kind_run_dir

PROVIDER = os.environ.get("ARGO_MCP_E2E_PROVIDER", "local").strip().lower() or "local"
E2E_DIR = Path(__file__).parent

_stack_error: str | None = None
_run_dir: Path | None = None
# what this session ran, for supported-argo.json: nodeids selected, passed, and any that did not pass
_selected: list[str] = []
_passed: set[str] = set()
_not_passed: set[str] = set()
_deselected = 0


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "local_only(reason): needs the local provider; `reason` says why (shown when skipped on kind)",
    )
    config.addinivalue_line(
        "markers",
        "compat: one of the representative tests (list, get, submit, logs, archive, events, templates, cron)"
        " that ./dev e2e also runs on every Argo version of versions.toml besides the default",
    )


def pytest_report_header(config: pytest.Config) -> list[str]:
    v = V.load()
    lines = [
        f"argo-mcp e2e provider: {PROVIDER}",
        f"argo-mcp e2e versions: {v.summary()} (Argo pinned: {', '.join(v.argo_versions)})",
    ]
    if PROVIDER == "local":
        lines.append(f"argo-mcp e2e binaries: {V.bin_dir()} ({'built' if B.is_built() else 'not built yet'})")
    else:
        lines.append(f"argo-mcp e2e kind: node {v.kind_node_image}, Argo manifests {v.argo_install_url}")
    return lines


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    kind_usable = True
    if PROVIDER == "kind":
        try:
            check_docker()
        except KindUnavailable as exc:
            # Loud, not silent: every test that needs the stack then fails with this reason.
            kind_usable = False
            print(f"\n*** ARGO_MCP_E2E_PROVIDER=kind cannot run on this host: {exc} ***\n", file=sys.stderr)
    for item in items:
        if not str(item.fspath).startswith(str(E2E_DIR)):
            continue
        # Building (cold: 30-45 min) and starting the stack happen in the session fixture: the per-test
        # timeout must cover only the test function.
        if item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(300, func_only=True))
        marker = item.get_closest_marker("local_only")
        if PROVIDER == "kind" and kind_usable and marker:
            why = marker.kwargs.get("reason") or "(no reason given: give local_only a reason)"
            item.add_marker(pytest.mark.skip(reason=f"LOCAL PROVIDER ONLY, cannot run on kind: {why}"))


def pytest_deselected(items: list[pytest.Item]) -> None:
    global _deselected  # noqa: PLW0603 (session-wide count, read at the session's end)
    _deselected += len(items)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.failed or report.skipped:
        _not_passed.add(report.nodeid)
    elif report.when == "call" and report.passed:
        _passed.add(report.nodeid)


def _recordable(session: pytest.Session, suite: str) -> str | None:
    """Why this session must not be recorded as `suite`, or None when it may."""
    # the items left after -m/-k deselection (pytest_collection_modifyitems runs before -m deselects)
    _selected[:] = [i.nodeid for i in session.items if str(i.fspath).startswith(str(E2E_DIR))]
    if session.testsfailed or _not_passed:
        return f"{len(_not_passed) or session.testsfailed} test(s) did not pass"
    if not _selected or set(_selected) != _passed:
        return f"{len(_passed)} of {len(_selected)} selected tests passed"
    if os.environ.get("ARGO_MCP_E2E_REUSE") == "1":
        # a reused stack counts only when it runs the Argo this session selected (the hygiene check's stack does)
        current = local.current_run()
        running = local.StackInfo.load(current).versions.get("argo-workflows") if current else None
        if running != V.load().argo_workflows:
            return f"the reused stack runs Argo {running}, not the selected {V.load().argo_workflows}"
    if suite == "full" and _deselected:
        return f"{_deselected} test(s) were deselected: not the whole suite"
    if suite == "compat":
        unmarked = [i.nodeid for i in session.items if i.get_closest_marker("compat") is None]
        if unmarked or _deselected == 0:
            return "not exactly the compat subset (run it with -m compat)"
    return None


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Record a fully passed ./dev e2e run into tests/e2e/supported-argo.json (only such a run: never a -k one)."""
    suite = os.environ.get(supported.RECORD_ENV, "").strip()
    if not suite or exitstatus != 0:
        return
    why_not = _recordable(session, suite)
    argo = V.load().argo_workflows
    if why_not:
        print(f"\n[e2e] not recorded in {supported.RECORD.name}: {why_not}", file=sys.stderr)
        return
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    supported.record(argo, suite, len(_selected), len(_passed), today)
    print(
        f"\n[e2e] recorded in {supported.RECORD}: Argo {argo}, {suite}, {len(_passed)} passed",
        file=sys.stderr,
    )


def _stop_on_signal(stack: local.LocalStack | KindStack) -> None:
    def handler(signum: int, frame: Any) -> None:
        stack.down()
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, handler)


@pytest.fixture(scope="session")
def stack(request: pytest.FixtureRequest) -> Iterator[E2EStack]:
    """The running stack: kubeconfig, argo_url, namespace, mint_token(), kubectl(), apply(), wait helpers."""
    global _stack_error, _run_dir  # noqa: PLW0603 (session-wide state shared with the report hook)
    if _stack_error:
        pytest.fail(_stack_error, pytrace=False)
    capman = request.config.pluginmanager.getplugin("capturemanager")
    if PROVIDER == "kind":
        ks = KindStack(kind_run_dir())
        atexit.register(ks.down)
        _stop_on_signal(ks)
        st: E2EStack | None = None
        try:
            with capman.global_and_fixture_disabled() if capman else _nullcontext():
                st = ks.up()
        except KindUnavailable as exc:
            _stack_error = f"e2e provider `kind` selected but unusable HERE: {exc}"
        except Exception as exc:
            _stack_error = (
                f"e2e stack (kind provider) could not be built or started: {exc} (logs: {ks.workdir})"
            )
        if (
            st is None
        ):  # failed outside the except blocks: the report shows the reason, not a chained traceback
            pytest.fail(_stack_error or "the kind stack did not start", pytrace=False)
        _run_dir = ks.workdir
        try:
            yield st
        finally:
            ks.down()
        return
    if PROVIDER != "local":
        pytest.fail(f"unknown ARGO_MCP_E2E_PROVIDER={PROVIDER!r} (local | kind)", pytrace=False)

    if os.environ.get("ARGO_MCP_E2E_REUSE") == "1":
        cur = local.current_run()
        if not cur or not (cur / "state.json").exists() or (cur / "stopped").exists():
            pytest.fail(
                "ARGO_MCP_E2E_REUSE=1 but no stack is up (`python -m tests.e2e.stack up`)", pytrace=False
            )
        info = local.StackInfo.load(cur)
        dead = [p["name"] for p in info.processes if not procs.alive(p["pid"])]
        if dead:
            pytest.fail(f"the running stack has dead processes: {dead}; see {info.logs_dir}", pytrace=False)
        _run_dir = Path(info.run_dir)
        yield _to_fixture(info, argo_mcp_image=_this_trees_image(info))
        return

    ls = local.LocalStack(watch_pid=os.getpid())
    atexit.register(ls.down)
    _stop_on_signal(ls)
    try:
        with capman.global_and_fixture_disabled() if capman else _nullcontext():
            if not B.is_built():
                print(
                    "\n[e2e] binaries not built yet: building now (cold build: 30-45 min on 2 cores)",
                    file=sys.stderr,
                )
                B.build()
            info = ls.up()
    except Exception as exc:
        _stack_error = f"e2e stack (local provider) could not be built or started: {exc}"
        pytest.fail(_stack_error, pytrace=False)
    _run_dir = Path(info.run_dir)
    try:
        yield _to_fixture(info)
    finally:
        ls.down()
        print(f"\n[e2e] stack stopped; process logs kept in {info.logs_dir}", file=sys.stderr)


class _nullcontext:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *a: object) -> None:
        return None


def _this_trees_image(info: local.StackInfo) -> str:
    """Reuse mode: the running stack holds the argo-mcp image of the tree that started it; the chart and operator
    tests must run this tree's. Built if its content hash is new (cached), imported into the running node."""
    ref = I.argo_mcp_image(I.default_context())
    socket_path = str(info.node.get("containerd_socket", ""))
    if socket_path and ref.ref != info.image("argo-mcp"):
        subprocess.run(
            ["ctr", "--address", socket_path, "-n", "k8s.io", "images", "import", str(ref.archive)],
            check=True,
            capture_output=True,
            timeout=300,
        )
    return ref.ref


def _to_fixture(info: local.StackInfo, argo_mcp_image: str | None = None) -> E2EStack:
    return E2EStack(
        provider="local",
        kubeconfig=info.kubeconfig,
        argo_url=info.argo_url,
        namespace=info.namespace,
        versions=info.versions,
        run_dir=Path(info.run_dir),
        s3={
            "endpoint": info.s3_endpoint,
            "bucket": info.s3_bucket,
            "access_key": info.s3_access_key,
            "secret_key": info.s3_secret_key,
            "region": info.s3_region,
        },
        readonly_sa=local.READONLY_SA,
        full_sa=local.FULL_SA,
        node_name=str(info.node.get("node_name", "")),
        kubelet_version=str(info.node.get("kubelet_version", "")),
        workload_image=info.image("workload"),
        pod_argo_url=str(info.node.get("argo_url", "")),
        argo_mcp_image=argo_mcp_image or info.image("argo-mcp"),
        argo_events_image=info.image("argo-events"),
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome: Any = yield
    report = outcome.get_result()
    if report.failed and _run_dir is not None and str(item.fspath).startswith(str(E2E_DIR)):
        logs = _run_dir / "logs"
        report.sections.append(("e2e stack logs", f"all process logs: {logs}"))
        for name in ("workflow-controller", "argo-server", "kubelet", "containerd"):
            f = logs / f"{name}.log"
            if f.exists():
                report.sections.append((f"e2e {name}.log (last 40 lines)", procs.tail(f, 40)))
        # Argo Events' controller and nats run as pods: their logs are the kubelet's (podLogsDir in the run dir)
        for f in sorted(_run_dir.glob("node/kubelet/pod-logs/argo-events_*/*/*.log")):
            report.sections.append(
                (f"e2e pod log {f.parent.parent.name}/{f.parent.name} (last 40 lines)", procs.tail(f, 40))
            )


@pytest.fixture
def mcp_namespace(stack: E2EStack) -> Iterator[str]:
    """A namespace of its own that enforces the restricted Pod Security profile, for a release."""
    name = stack.unique("mcp")
    restricted_namespace(stack, name)
    yield name
    stack.kubectl("delete", "namespace", name, "--wait=false", check=False)
