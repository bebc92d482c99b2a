"""The argo-mcp image, built from the repository's Dockerfile with no registry, really runs.

Needs no e2e stack: a private dockerd (tests/e2e/stack/dockerd.py) builds the image when its content hash has no
archive yet (tests/e2e/stack/project_image.py, on the debootstrapped base of python_base.py) or loads the cached
archive, and runs it the way the chart does: uid 65532, read-only root filesystem, no writable /tmp, no network.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from argo_mcp.tools import ALL_TOOLS
from tests.e2e.stack import python_base
from tests.e2e.stack.dockerd import HOST_PATHS, PrivateDockerd, docker_cli, leftovers, reap_orphans
from tests.e2e.stack.project_image import check_buildkit_build, ensure_argo_mcp_image, image_hash, load_image

# Building cold takes about a minute (plus the base, about 100 s, once); the fixture is outside the test timeout.
RUN = ("run", "--rm", "--read-only", "--user", "65532", "--network", "none")
ARGO_ARGS = ("--argo-server-url", "http://127.0.0.1:2746", "--argo-auth-mode", "none")


@pytest.fixture(scope="module")
def engine() -> Iterator[PrivateDockerd]:
    with PrivateDockerd() as d:
        yield d


@pytest.fixture(scope="module")
def image(engine: PrivateDockerd) -> tuple[str, Path]:
    ref, archive = ensure_argo_mcp_image(engine=engine)
    load_image(engine, archive, ref)
    return ref, archive


def _ok(engine: PrivateDockerd, *args: str, timeout: float = 120) -> str:
    res = engine.docker(*args, timeout=timeout)
    assert res.returncode == 0, (
        f"docker {' '.join(args)} exited {res.returncode}:\n{res.stdout}\n{res.stderr}"
    )
    return res.stdout


def test_argo_mcp_help_as_65532_on_a_read_only_root(engine: PrivateDockerd, image: tuple[str, Path]) -> None:
    ref, _ = image
    out = _ok(engine, *RUN, ref, "--help")
    assert "--stdio" in out and "--argo-server-url" in out, out


def test_operator_entry_point_help(engine: PrivateDockerd, image: tuple[str, Path]) -> None:
    ref, _ = image
    out = _ok(engine, *RUN, "--entrypoint", "argo-mcp-operator", ref, "--help")
    assert "usage:" in out.lower(), out


def test_the_uid_has_a_name(engine: PrivateDockerd, image: tuple[str, Path]) -> None:
    """kopf (the operator) asks who it runs as; a uid with no passwd entry crashed it at start in a real pod."""
    ref, _ = image
    script = "import getpass, os; print(os.getuid(), os.getgid(), getpass.getuser())"
    out = _ok(engine, *RUN, "--entrypoint", "python3", ref, "-c", script)
    assert out.split() == ["65532", "65532", "argo-mcp"], out


def test_image_config_and_filesystem(engine: PrivateDockerd, image: tuple[str, Path]) -> None:
    ref, _ = image
    (config,) = json.loads(_ok(engine, "image", "inspect", ref))
    assert config["Config"]["User"] == "65532:65532"
    assert config["Config"]["Entrypoint"] == ["argo-mcp"]
    assert not [e for e in config["Config"]["Env"] if e.startswith(("PIP_", "SSL_", "REQUESTS_CA"))]
    base = config["Config"]["Labels"]["org.opencontainers.image.base.name"]
    assert base == python_base.base_ref()
    default_user = _ok(engine, "run", "--rm", "--read-only", "--network", "none", "--entrypoint", "id", ref)
    assert default_user.split()[:2] == ["uid=65532(argo-mcp)", "gid=65532(argo-mcp)"], default_user
    script = (
        "id -u; id -g; "
        "if touch /x 2>/dev/null || touch /tmp/x 2>/dev/null; then echo WRITABLE; fi; "
        "for p in /src /wheels /install /etc/pip.conf /root/.config/pip; do [ -e $p ] && echo LEFT $p; done; "
        "python -c 'import argo_mcp, argo_mcp_operator, kopf; print(argo_mcp.__file__)'"
    )
    out = _ok(engine, *RUN, "--entrypoint", "sh", ref, "-c", script).split()
    # --user 65532 gets the account's group from the image's passwd entry
    assert out[:2] == ["65532", "65532"], out
    assert "WRITABLE" not in out and "LEFT" not in out, out
    assert out[-1].startswith("/usr/local/lib/python3.11/site-packages/argo_mcp/"), out


def _read_message(
    proc: subprocess.Popen[bytes], sel: selectors.BaseSelector, deadline: float
) -> dict[str, Any]:
    """One newline-delimited JSON-RPC message from the server's stdout (the MCP stdio framing)."""
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        if not sel.select(timeout=max(0.0, deadline - time.monotonic())):
            break
        line = proc.stdout.readline()
        if not line:
            break
        if line.strip():
            message: dict[str, Any] = json.loads(line)
            return message
    proc.kill()
    _, err = proc.communicate(timeout=10)
    raise AssertionError(f"no answer from argo-mcp --stdio in the container; stderr:\n{err.decode()[-3000:]}")


def test_stdio_initialize_and_tools_list(engine: PrivateDockerd, image: tuple[str, Path]) -> None:
    ref, _ = image
    proc = subprocess.Popen(
        [docker_cli(), *RUN, "-i", ref, "--stdio", *ARGO_ARGS],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=engine.env(),
    )
    assert proc.stdin is not None and proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + 60

    def send(message: dict[str, Any]) -> None:
        assert proc.stdin is not None
        proc.stdin.write(json.dumps(message).encode() + b"\n")
        proc.stdin.flush()

    try:
        send(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-06-18",
                    "capabilities": {},
                    "clientInfo": {"name": "test_image", "version": "0"},
                },
            }
        )
        init = _read_message(proc, sel, deadline)
        assert init.get("id") == 1 and "result" in init, init
        assert init["result"]["serverInfo"]["name"], init
        assert init["result"]["protocolVersion"] == "2025-06-18", init
        send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        send({"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}})
        listed = _read_message(proc, sel, deadline)
        assert listed.get("id") == 2 and "result" in listed, listed
        names = {tool["name"] for tool in listed["result"]["tools"]}
        assert names == {tool.name for tool in ALL_TOOLS}
        proc.stdin.close()  # EOF on stdin ends the stdio server
        assert proc.wait(30) == 0, proc.stderr.read().decode() if proc.stderr else ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        sel.close()


HEALTHZ = """
import sys, time, urllib.request
for _ in range(100):
    try:
        with urllib.request.urlopen("http://127.0.0.1:8081/healthz", timeout=2) as r:
            print(r.status, r.read().decode()); sys.exit(0)
    except OSError:
        time.sleep(0.2)
sys.exit("no answer on :8081/healthz")
"""


def test_http_server_answers_healthz(engine: PrivateDockerd, image: tuple[str, Path]) -> None:
    """The default (HTTP) mode serves on a read-only root with no writable /tmp (asked from inside)."""
    ref, _ = image
    detached = ("run", "-d", "--read-only", "--user", "65532", "--network", "none")
    cid = _ok(engine, *detached, ref, *ARGO_ARGS).strip()
    try:
        out = engine.docker("exec", cid, "python", "-c", HEALTHZ, timeout=60)
        logs = engine.docker("logs", cid).stderr
        assert out.returncode == 0 and out.stdout.startswith("200"), f"{out.stdout}{out.stderr}\n{logs}"
    finally:
        engine.docker("rm", "-f", cid)


def test_dockerfile_builds_with_buildkit_too(engine: PrivateDockerd, image: tuple[str, Path]) -> None:
    """Once per tree (a stamp keyed by the image hash records success): BuildKit builds the same Dockerfile."""
    stamp = check_buildkit_build(engine)
    assert stamp.name == f"argo-mcp-{image_hash()}.buildkit-ok" and stamp.is_file()


def test_archive_imports_into_containerd_k8s_namespace(
    engine: PrivateDockerd, image: tuple[str, Path]
) -> None:
    """The archive is what the real node's containerd imports (`ctr -n k8s.io images import`)."""
    ref, archive = image
    ctr = shutil.which("ctr")
    assert ctr, "ctr is missing: run scripts/e2e-prereqs (Debian's containerd)"
    base = [ctr, "--address", str(engine.containerd_socket), "--namespace", "k8s.io", "images"]
    res = subprocess.run(
        [*base, "import", str(archive)], capture_output=True, text=True, timeout=300, check=False
    )
    assert res.returncode == 0, res.stderr
    listed = subprocess.run([*base, "ls", "-q"], capture_output=True, text=True, timeout=60, check=True)
    assert ref in listed.stdout.split(), listed.stdout
    subprocess.run([*base, "rm", ref], capture_output=True, timeout=60, check=True)


def test_private_dockerd_leaves_nothing_behind() -> None:
    """A running container's mounts, cgroups, shim and the engine's folder are gone after stop()."""
    host_before = {p for p in HOST_PATHS if p.exists()}
    engine = PrivateDockerd().start()
    root = engine.root
    assert root is not None
    try:
        base = python_base.import_base(engine.docker)
        _ok(engine, "run", "-d", "--network", "none", "--name", "sleeper", base, "sleep", "300")
        assert [m for m in python_base.mounts_under(root) if "/overlay2/" in m], (
            "the container is not running"
        )
        assert [p for p in leftovers(root) if p.startswith("cgroup ")], "no cgroup below the engine's parent"
    finally:
        engine.stop()
    assert leftovers(root) == []
    assert {p for p in HOST_PATHS if p.exists()} <= host_before, "a host path the engine made is left"


ORPHAN = """
import sys
from tests.e2e.stack import python_base
from tests.e2e.stack.dockerd import PrivateDockerd
engine = PrivateDockerd().start()
base = python_base.import_base(engine.docker)
res = engine.docker("run", "-d", "--network", "none", base, "sleep", "300")
print(engine.root if res.returncode == 0 else "FAILED " + res.stderr, flush=True)
sys.stdin.read()
"""


def test_orphaned_engine_is_reaped_after_kill_9() -> None:
    """`kill -9` of the owner runs no cleanup; the next engine's start (reap_orphans) removes it all."""
    child = subprocess.Popen(
        [sys.executable, "-c", ORPHAN], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    try:
        line = child.stdout.readline().strip()
        assert line and not line.startswith("FAILED"), line
        root = Path(line)
        assert [p for p in leftovers(root) if p.startswith("process ")], (
            "the orphan's daemons are not running"
        )
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    assert any(p.startswith("mount ") for p in leftovers(root)), "kill -9 should have left the container"
    assert root in reap_orphans()
    assert leftovers(root) == []
