"""A private Docker engine (Debian's dockerd 20.10 on its own containerd) that leaves nothing behind.

Why private: this host runs no Docker at boot, and the e2e stack's own containerd (the real node) must not see
build containers. Everything lives under one scratch folder (a tmpfs mounted for the engine): containerd's
root, state and socket, dockerd's data-root, exec-root, pidfile, socket and the docker CLI's config. The engine
changes nothing on the host's network (`--iptables=false --ip-forward=false --bridge=none`: builds and
containers use `--network none`), and its containers' cgroups sit below one parent named after the scratch
folder, removed on stop.

`stop()` (also run at interpreter exit) removes every container, stops dockerd then containerd by pid (SIGTERM,
then SIGKILL), then `teardown()` ends whatever still names the folder on its command line (containerd shims
outlive containerd by design), removes the containers' cgroups, unmounts everything below the folder and deletes
it. After a `kill -9` of the owner no atexit runs: the next start() reaps such orphans (`reap_orphans()`, by the
owner pid each folder records). Host paths fixed whatever the configuration: containerd's shim sockets in
/run/containerd/s (the shims remove them as they exit) and dockerd 20.10's trust key /etc/docker/key.json (no
flag moves it); the folder lists those that existed before the engine, and teardown removes the others
(folders only when empty: another containerd may share them).
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO

from .python_base import mounts_under, unmount_below

CGROUP_ROOT = Path("/sys/fs/cgroup")
SHIM_STATE = Path("/run/containerd")
TRUST_KEY = Path("/etc/docker/key.json")
HOST_PATHS = (TRUST_KEY, SHIM_STATE / "s", SHIM_STATE)
PREFIX = "argo-mcp-dockerd-"
# An upper bound, not a reservation: a build holds the base, the builder stage and the image (about 1 GB).
TMPFS_SIZE = "6g"


class DockerdError(RuntimeError):
    """The engine could not start; the message says why and where its log is."""


def docker_cli() -> str:
    """The docker CLI matching Debian's dockerd (/usr/bin/docker), else whichever is on PATH."""
    if Path("/usr/bin/docker").is_file():
        return "/usr/bin/docker"
    found = shutil.which("docker")
    if found is None:
        raise DockerdError("the docker CLI is missing: run scripts/e2e-prereqs (installs Debian's docker.io)")
    return found


def _containerd_config(root: Path) -> str:
    return f"""version = 2
root = "{root}/containerd/root"
state = "{root}/containerd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = "{root}/containerd.sock"

[ttrpc]
  address = ""

[debug]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "{root}/containerd/opt"
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _terminate(proc: subprocess.Popen[bytes], grace: float) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def _pids_with_arg(needle: str) -> list[int]:
    """Processes whose command line contains `needle` (this engine's unique socket path)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(needle.encode() in arg for arg in cmdline):
            pids.append(int(entry.name))
    return pids


class PrivateDockerd:
    """One private engine. `with PrivateDockerd() as d: d.docker("version")`; or start()/stop()."""

    def __init__(self, parent: Path | None = None) -> None:
        self._parent = parent
        self.root: Path | None = None
        self._containerd: subprocess.Popen[bytes] | None = None
        self._dockerd: subprocess.Popen[bytes] | None = None
        self._logs: list[IO[bytes]] = []

    @property
    def socket(self) -> Path:
        assert self.root is not None, "start() first"
        return self.root / "docker.sock"

    @property
    def containerd_socket(self) -> Path:
        assert self.root is not None, "start() first"
        return self.root / "containerd.sock"

    @property
    def cgroup_parent(self) -> str:
        assert self.root is not None, "start() first"
        return self.root.name

    def env(self) -> dict[str, str]:
        """Environment for the docker CLI against this engine (and no other configuration of the host)."""
        assert self.root is not None, "start() first"
        env = dict(os.environ)
        env.update(
            DOCKER_HOST=f"unix://{self.socket}", DOCKER_CONFIG=str(self.root / "cli"), DOCKER_BUILDKIT="0"
        )
        env.pop("DOCKER_CONTEXT", None)
        return env

    def docker(
        self, *args: str, input: str | None = None, timeout: float = 600, env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run the docker CLI against this engine; never raises on a non-zero exit (the caller checks)."""
        return subprocess.run(
            [docker_cli(), *args],
            input=input,
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
            env={**self.env(), **(env or {})},
        )

    def _log(self, name: str) -> IO[bytes]:
        assert self.root is not None
        fh = (self.root / f"{name}.log").open("ab")
        self._logs.append(fh)
        return fh

    def start(self, timeout: float = 60) -> PrivateDockerd:
        for tool in ("dockerd", "containerd", "runc"):
            if shutil.which(tool) is None:
                raise DockerdError(
                    f"{tool} is missing: run scripts/e2e-prereqs (installs Debian's docker.io)"
                )
        reap_orphans(self._parent)
        self.root = Path(tempfile.mkdtemp(prefix=PREFIX, dir=self._parent))
        # A tmpfs of its own: deleting an engine's layers file by file takes ~15 s on this disk (ext4 with
        # discard); unmounting takes none. Without the privilege to mount, the folder stays on disk.
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE},mode=0700", "tmpfs", str(self.root)],
            capture_output=True,
            check=False,
        )
        (self.root / "owner.pid").write_text(f"{os.getpid()}\n")
        # The host paths that existed before this engine: teardown() removes the others it finds.
        (self.root / "host-paths-before").write_text("".join(f"{p}\n" for p in HOST_PATHS if p.exists()))
        atexit.register(self.stop)
        try:
            self._start(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self, timeout: float) -> None:
        root = self.root
        assert root is not None
        (root / "cli").mkdir()
        (root / "containerd.toml").write_text(_containerd_config(root))
        (root / "daemon.json").write_text("{}\n")  # so no /etc/docker/daemon.json of the host applies
        self._containerd = subprocess.Popen(
            ["containerd", "--config", str(root / "containerd.toml")],
            stdin=subprocess.DEVNULL,
            stdout=self._log("containerd"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while not self.containerd_socket.exists():
            self._check_running(self._containerd, "containerd", deadline)
            time.sleep(0.05)
        args = [
            "dockerd",
            "--config-file", str(root / "daemon.json"),
            "--host", f"unix://{self.socket}",
            "--containerd", str(self.containerd_socket),
            "--data-root", str(root / "data"),
            "--exec-root", str(root / "exec"),
            "--pidfile", str(root / "dockerd.pid"),
            "--iptables=false", "--ip-forward=false", "--ip-masq=false", "--bridge=none",
            "--storage-driver", "overlay2",
            "--exec-opt", "native.cgroupdriver=cgroupfs",
            "--cgroup-parent", f"/{self.cgroup_parent}",
            "--oom-score-adjust", "0",
        ]  # fmt: skip
        self._dockerd = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=self._log("dockerd"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        while self.docker("version", "--format", "{{.Server.Version}}", timeout=10).returncode != 0:
            self._check_running(self._dockerd, "dockerd", deadline)
            time.sleep(0.1)

    def _check_running(self, proc: subprocess.Popen[bytes], name: str, deadline: float) -> None:
        assert self.root is not None
        log = self.root / f"{name}.log"
        if proc.poll() is not None or time.monotonic() > deadline:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:]) if log.exists() else ""
            state = f"exited with {proc.returncode}" if proc.returncode is not None else "did not get ready"
            raise DockerdError(f"{name} {state}; its log ({log}):\n{tail}")

    def stop(self) -> None:
        """Idempotent: remove containers, stop both daemons, end stray shims, unmount, delete the folder."""
        atexit.unregister(self.stop)
        root = self.root
        if root is None:
            return
        if self._dockerd is not None and self._dockerd.poll() is None:
            ids = self.docker("ps", "-aq", timeout=30).stdout.split()
            if ids:
                self.docker("rm", "-f", *ids, timeout=60)
        if self._dockerd is not None:
            _terminate(self._dockerd, 20)
        if self._containerd is not None:
            _terminate(self._containerd, 10)
        for fh in self._logs:
            fh.close()
        self._logs.clear()
        teardown(root)
        self.root = None
        self._containerd = self._dockerd = None

    def __enter__(self) -> PrivateDockerd:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def teardown(root: Path) -> None:
    """Remove what is left of the engine rooted at `root`: processes naming `root` on their command line
    (dockerd, containerd, shims), its containers' cgroups, the host paths it created, its mounts, its folder."""
    pids = [pid for pid in _pids_with_arg(f"{root}/") if pid != os.getpid()]
    for pid in pids:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in pids:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    _remove_cgroups(root.name)
    before = root / "host-paths-before"
    if before.exists():
        kept = set(before.read_text().splitlines())
        for path in (p for p in HOST_PATHS if str(p) not in kept):  # files first, then folders if empty
            with suppress(OSError):
                path.rmdir() if path.is_dir() else path.unlink(missing_ok=True)
    unmount_below(root)
    shutil.rmtree(root, ignore_errors=True)


def _cgroup_dirs(name: str) -> list[Path]:
    """The cgroup parent `name` (dockerd's --cgroup-parent) and its children in every hierarchy, deepest first."""
    if not CGROUP_ROOT.is_dir():
        return []
    dirs: list[Path] = []
    for parent in [*CGROUP_ROOT.glob(f"*/{name}"), CGROUP_ROOT / name]:
        if parent.is_dir():
            dirs += [parent, *(p for p in parent.rglob("*") if p.is_dir())]
    return sorted(dirs, key=lambda p: len(p.parts), reverse=True)


def _remove_cgroups(name: str) -> None:
    """Kill what still runs in the engine's cgroups (containers whose shim was killed), then remove them."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        members = set()
        for d in _cgroup_dirs(name):
            with suppress(OSError):
                members |= {int(pid) for pid in (d / "cgroup.procs").read_text().split()}
        if not members:
            break
        for pid in members:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.1)
    for d in _cgroup_dirs(name):
        with suppress(OSError):
            d.rmdir()


def reap_orphans(parent: Path | None = None) -> list[Path]:
    """Tear down engines whose owner process is gone (killed with SIGKILL, so no atexit ran); return them."""
    reaped = []
    for root in Path(parent or tempfile.gettempdir()).glob(f"{PREFIX}*"):
        try:
            owner = int((root / "owner.pid").read_text())
        except (OSError, ValueError):
            continue
        if owner != os.getpid() and not _alive(owner):
            teardown(root)
            reaped.append(root)
    return reaped


@contextmanager
def private_dockerd(parent: Path | None = None) -> Iterator[PrivateDockerd]:
    with PrivateDockerd(parent) as engine:
        yield engine


def leftovers(root: Path) -> list[str]:
    """What of an engine rooted at `root` is still on the host (for tests of stop())."""
    left = [f"mount {m}" for m in mounts_under(root)] if root.exists() else []
    if root.exists():
        left.append(f"folder {root}")
    left += [f"process {pid}" for pid in _pids_with_arg(f"{root}/")]
    left += [f"cgroup {p}" for p in CGROUP_ROOT.glob(f"*/{root.name}")] if CGROUP_ROOT.is_dir() else []
    return left
