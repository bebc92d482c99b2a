"""The stack leaves nothing on the host, even when the process that started it is killed with SIGKILL.

Run apart from the rest of the suite (`./dev e2e` runs this directory after it): one real node per host, so this
test starts a stack of its own, runs a real pod on it (which creates mounts, a network namespace, cgroups, veths
and iptables rules), kills the owning process with SIGKILL and waits for the stack's reaper to undo everything.
With ARGO_MCP_E2E_HYGIENE_ALSO (pytest arguments), that selection of the suite runs on the stack first, with all
its pods: `./dev e2e` runs the version matrix's last compat subset this way, one stack start instead of two.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.stack import local, procs
from tests.e2e.stack import node as N
from tests.e2e.stack.images import workload_ref
from tests.e2e.stack.kube import Kube

ROOT = Path(__file__).resolve().parents[3]
pytestmark = [pytest.mark.local_only, pytest.mark.timeout(900)]

OWNER = """
import json, os, sys, time
from tests.e2e.stack import local
info = local.LocalStack(watch_pid=os.getpid()).up(build_if_missing=False)
print(json.dumps({"run_dir": info.run_dir}), flush=True)
time.sleep(3600)
"""


def _read_line(proc: subprocess.Popen[str], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    os.set_blocking(proc.stdout.fileno(), False)
    buf = ""
    while time.monotonic() < deadline:
        chunk = proc.stdout.readline()
        if chunk:
            buf += chunk
            if buf.endswith("\n"):
                return buf
        elif proc.poll() is not None:
            break
        time.sleep(0.2)
    raise AssertionError(
        f"the stack owner printed no run dir in {timeout:.0f}s (exit {proc.poll()}): {buf!r}"
    )


def _mounts_under(prefix: str) -> list[str]:
    points = [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()]
    return [p for p in points if p.startswith(prefix)]


def _run_suite_on_this_stack(also: str, capfd: pytest.CaptureFixture[str]) -> None:
    """Run the e2e selection `also` (pytest arguments, e.g. `-m compat`) against the owner's live stack, so the
    version matrix's last run and this check share one stack start instead of two (`./dev e2e` does this)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ARGO_MCP_E2E_REUSE": "1"}
    env.setdefault("ARGO_MCP_E2E_RECORD", "compat")
    argv = [sys.executable, "-m", "pytest", "tests/e2e", "-q", "-p", "no:cacheprovider"]
    argv += ["--ignore", "tests/e2e/hygiene", *shlex.split(also)]
    with capfd.disabled():  # its progress and failures on the terminal, as if run on its own
        done = subprocess.run(argv, cwd=ROOT, env=env, check=False, timeout=1800)
    assert done.returncode == 0, f"the e2e selection {also!r} failed on the hygiene stack (output above)"


def test_kill9_of_the_owner_leaves_nothing_on_the_host(capfd: pytest.CaptureFixture[str]) -> None:
    if os.environ.get("ARGO_MCP_E2E_PROVIDER", "local") != "local":
        pytest.skip("host hygiene is a property of the local provider (kind's node is a container)")
    before = N.leftovers()
    assert before == [], f"the host is not clean BEFORE the test (an earlier run leaked?): {before}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=sys.stderr,
        text=True,
        start_new_session=True,
    )
    try:
        run_dir = Path(json.loads(_read_line(owner, 600))["run_dir"])
        info = local.StackInfo.load(run_dir)
        kube = Kube(info.kubeconfig)
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "hygiene", "namespace": "default"},
            "spec": {
                "nodeSelector": dict(N.NODE_SELECTOR),
                "tolerations": list(N.TOLERATIONS),
                "containers": [{"name": "c", "image": workload_ref(), "command": ["sleep", "3600"]}],
            },
        }
        kube.create("/api/v1/namespaces/default/pods", pod)

        def running() -> bool:
            got = kube.get("/api/v1/namespaces/default/pods/hygiene")
            return bool(got.get("status", {}).get("phase") == "Running")

        procs.wait_until("the hygiene pod Running", running, 90, interval=0.5)
        also = os.environ.get("ARGO_MCP_E2E_HYGIENE_ALSO", "")
        if also:
            _run_suite_on_this_stack(also, capfd)
        during = N.leftovers()
        assert any(item.startswith("bridge ") for item in during), during  # the check sees a live node
        assert any(item.startswith("cgroup ") for item in during), during
        assert _mounts_under(str(run_dir)), "a running pod should have mounts under the run dir"
    finally:
        os.killpg(owner.pid, signal.SIGKILL)
        owner.wait(timeout=30)
    procs.wait_until("the reaper's teardown", (run_dir / "stopped").exists, 180, interval=1)

    # "stopped" is written at the end of the teardown; the reaper itself exits a moment later.
    def still_running() -> list[str]:
        return [p["name"] for p in info.processes if procs.alive(p["pid"])]

    with contextlib.suppress(TimeoutError):  # the assertion below names what is left
        procs.wait_until("the stack's processes to exit", lambda: not still_running(), 30, interval=0.5)
    alive = still_running()
    assert alive == [], f"stack processes still running 30 s after the reaper's teardown: {alive}"
    assert N.leftovers() == []
    assert _mounts_under(str(run_dir)) == []
    assert not N.lock_path().exists(), "the real-node lock was not released"
