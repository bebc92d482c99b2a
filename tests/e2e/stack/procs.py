"""Processes of the stack: started in their own process group, logged to files, always stoppable by pgid."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass
class ProcInfo:
    name: str
    pid: int
    log: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def free_port(exclude: set[int] | None = None) -> int:
    """A free TCP port on 127.0.0.1 (bind to port 0, read it back)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if not exclude or port not in exclude:
            if exclude is not None:
                exclude.add(port)
            return port
    raise RuntimeError("could not find a free port")


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def start(
    name: str,
    args: Sequence[str],
    log_dir: Path,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    user: str | None = None,
) -> tuple[subprocess.Popen[bytes], ProcInfo]:
    log = log_dir / f"{name}.log"
    log_dir.mkdir(parents=True, exist_ok=True)
    fh = log.open("ab")
    fh.write(f"\n=== {time.strftime('%Y-%m-%dT%H:%M:%S')} $ {' '.join(args)}\n".encode())
    fh.flush()
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    kwargs: dict[str, Any] = {}
    if user:
        kwargs.update(user=user, group=user, extra_groups=[])
    proc = subprocess.Popen(
        list(args),
        stdout=fh,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=full_env,
        cwd=cwd,
        start_new_session=True,  # own process group: killpg(pid) stops it and all its children
        **kwargs,
    )
    fh.close()
    return proc, ProcInfo(name=name, pid=proc.pid, log=str(log))


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child counts as dead.
    with contextlib.suppress(ChildProcessError, OSError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def stop_group(pid: int, grace: float = 10.0) -> None:
    """SIGTERM the process group led by pid, then SIGKILL what is left after `grace` seconds."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            # not a process-group leader (e.g. a component kwokctl started): signal the process itself
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                return
            except PermissionError:
                pass
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not alive(pid) and not _group_alive(pid):
                return
            time.sleep(0.1)


def stop_groups(pids: list[int], grace: float = 10.0) -> None:
    """`stop_group` for several processes at once: all are sent SIGTERM together, so a teardown waits for the
    slowest one's grace instead of the sum of them all (an argo server alone can use all of its grace)."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        for pid in pids:
            _signal_group(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            pids = [pid for pid in pids if alive(pid) or _group_alive(pid)]
            if not pids:
                return
            time.sleep(0.1)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        # not a process-group leader (e.g. a component kwokctl started): signal the process itself
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def tail(path: str | Path, lines: int = 30) -> str:
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def http_status(url: str, token: str | None = None, insecure: bool = True, timeout: float = 3) -> int:
    req = urllib.request.Request(url)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    ctx = ssl.create_default_context()
    if insecure:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=ctx) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def wait_until(
    what: str,
    check: Callable[[], bool],
    timeout: float,
    *,
    proc: subprocess.Popen[bytes] | None = None,
    info: ProcInfo | None = None,
    interval: float = 0.3,
) -> None:
    """Poll `check` until true; fail early (with the log tail) if the process died."""
    deadline = time.monotonic() + timeout
    last_err = ""
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            log = f"\n--- last lines of {info.log} ---\n{tail(info.log)}" if info else ""
            raise RuntimeError(f"{what}: process exited with code {proc.returncode} before it was ready{log}")
        try:
            if check():
                return
        except Exception as exc:  # readiness probes fail in many ways until the service is up
            last_err = f"{type(exc).__name__}: {exc}"
        time.sleep(interval)
    log = f"\n--- last lines of {info.log} ---\n{tail(info.log)}" if info else ""
    raise TimeoutError(f"{what}: not ready after {timeout:.0f}s ({last_err}){log}")
