"""A stdio client's discovery (initialize, tools/list) answered from a cache before the MCP SDK is imported.

Why: an MCP client launches every configured stdio server when it starts and waits for each one's `tools/list`.
For argo-mcp that wait is almost all imports (the MCP SDK, pydantic, the tool schemas): about 0.6 s on an idle
machine, several times that on a busy one. Both answers depend only on the code and the server's flags and
environment, so a process that served them once records them here, keyed by everything they depend on, and the
next process started the same way answers them from this module, which imports nothing but the standard
library, and only then loads the server. The client sees its tool list in tens of milliseconds; its first tool
call still waits for the import (the benchmark reports both).

Exactness: an entry is written by the server itself from the lines it actually sent, so a cached answer is the
answer the server would give. The key covers this package's files (path, size, modification time), the MCP
SDK's, the Python version, the command line and every ARGO_*/OTEL_*/KUBE* variable (except ARGO_TOKEN, which
changes per token and never changes the answers); a change to any of them is a miss, and a miss only means the
slow path, which records the new answers. Nothing secret is stored: file names are hashes and the answers carry
no configuration values beyond what the server tells every client.

Hand-over: the initialize request (and whatever else the client sent that was not answered here) is replayed
to the real server, so its session knows the client's capabilities; its answer to the replayed initialize is
dropped, since the client has it already. Bytes read past the last whole line are handed over too.

`ARGO_MCP_DISCOVERY_CACHE` names the cache directory, or `off` to disable it; the default is
`$XDG_CACHE_HOME/argo-mcp/discovery` (`~/.cache/argo-mcp/discovery`). A directory that cannot be written (a
read-only root filesystem) just means no cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import select
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CACHE_VARIABLE = "ARGO_MCP_DISCOVERY_CACHE"
KEY_PREFIXES = ("ARGO_", "OTEL_", "KUBE")
KEY_EXCLUDED = frozenset({"ARGO_TOKEN", CACHE_VARIABLE})
MAX_ENTRIES = 16  # one per distinct command line and environment; the oldest go first
FORMAT = 1
# After initialize, how long to wait for the client's tools/list before loading the server anyway: a client
# that asks for nothing more must not find the server still unloaded when it finally calls a tool.
NEXT_MESSAGE_WAIT_SECONDS = 0.25
READ_CHUNK = 65536


@dataclass
class Handover:
    """What the fast path leaves for the real server: lines to read first, then the rest of stdin."""

    replay: list[bytes] = field(default_factory=list)
    leftover: bytes = b""  # a partial line read past the last newline
    drop_answer_to: Any = None  # the replayed initialize's id: its answer was sent already
    eof: bool = False
    answered: list[str] = field(default_factory=list)  # methods answered from the cache, for the log


@dataclass
class StdioStart:
    """The discovery cache's part in one stdio session: its key and, on a hit, the hand-over."""

    path: Path | None
    handover: Handover | None = None


def cache_dir(env: dict[str, str] | os._Environ[str] | None = None) -> Path | None:
    env = os.environ if env is None else env
    chosen = env.get(CACHE_VARIABLE, "")
    if chosen.lower() == "off":
        return None
    if chosen:
        return Path(chosen)
    base = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "argo-mcp" / "discovery"


def _fingerprint(digest: Any, root: Path) -> None:
    """Each .py file under `root`: relative path, size and modification time (a stat each, no reading)."""
    stack = [root]
    entries = []
    while stack:
        with os.scandir(stack.pop()) as found:
            for entry in found:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != "__pycache__":
                        stack.append(Path(entry.path))
                elif entry.name.endswith(".py"):
                    info = entry.stat()
                    entries.append(f"{entry.path}:{info.st_size}:{info.st_mtime_ns}")
    for line in sorted(entries):
        digest.update(line.encode())


def _sdk_root() -> Path | None:
    for entry in sys.path:
        candidate = Path(entry or ".") / "mcp"
        if (candidate / "__init__.py").is_file():
            return candidate
    return None


def cache_path(argv: list[str], env: dict[str, str] | os._Environ[str] | None = None) -> Path | None:
    env = os.environ if env is None else env
    directory = cache_dir(env)
    if directory is None:
        return None
    digest = hashlib.sha256(f"{FORMAT}\0{sys.version}\0{sys.executable}".encode())
    _fingerprint(digest, Path(__file__).resolve().parent)
    sdk = _sdk_root()
    if sdk is not None:
        _fingerprint(digest, sdk)
    digest.update(json.dumps(argv).encode())
    for name in sorted(env):
        if name.startswith(KEY_PREFIXES) and name not in KEY_EXCLUDED:
            digest.update(f"\0{name}={env[name]}".encode())
    return directory / f"{digest.hexdigest()[:32]}.json"


def load(path: Path) -> dict[str, dict[str, str]]:
    """protocol version -> method -> the result as sent (raw JSON); empty when absent or unreadable."""
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    if (
        not isinstance(data, dict)
        or data.get("format") != FORMAT
        or not isinstance(data.get("answers"), dict)
    ):
        return {}
    answers: dict[str, dict[str, str]] = data["answers"]
    return answers


def store(path: Path, version: str, answers: dict[str, str]) -> bool:
    """Add one protocol version's answers to the entry, atomically; False when the cache cannot be written."""
    known = load(path)
    known[version] = answers
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump({"format": FORMAT, "answers": known}, out)
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        _prune(path.parent)
    except OSError:
        return False
    return True


def _prune(directory: Path) -> None:
    entries = sorted(directory.glob("*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for stale in entries[MAX_ENTRIES:]:
        stale.unlink(missing_ok=True)


class _Stdin:
    """Whole lines from fd 0, read unbuffered so that nothing is lost when the real server takes over."""

    def __init__(self) -> None:
        self.buffer = b""
        self.eof = False

    def line(self, wait: float | None = None) -> bytes | None:
        """The next non-empty line; None at end of input, or when `wait` seconds pass with no whole line."""
        while True:
            head, newline, rest = self.buffer.partition(b"\n")
            if newline:
                self.buffer = rest
                if head.strip():
                    return head
                continue
            if self.eof:
                return None
            if wait is not None and not select.select([0], [], [], wait)[0]:
                return None
            chunk = os.read(0, READ_CHUNK)
            if not chunk:
                self.eof = True
            self.buffer += chunk


def _answer(request_id: Any, result: str) -> None:
    data = (
        b'{"jsonrpc":"2.0","id":' + json.dumps(request_id).encode() + b',"result":' + result.encode() + b"}\n"
    )
    view = memoryview(data)
    while view:
        view = view[os.write(1, view) :]


def _request(line: bytes) -> dict[str, Any] | None:
    try:
        message = json.loads(line)
    except ValueError:
        return None
    return message if isinstance(message, dict) else None


def is_plain_tools_list(message: dict[str, Any]) -> bool:
    """A tools/list whose answer is the same for every client (no cursor): the one answer worth caching."""
    params = message.get("params")
    return (
        message.get("method") == "tools/list"
        and "id" in message
        and (params is None or (isinstance(params, dict) and set(params) <= {"_meta"}))
    )


def fast_start(argv: list[str]) -> StdioStart:
    """Answer initialize and tools/list from the cache if this exact start-up served them before."""
    path = cache_path(argv)
    if path is None:
        return StdioStart(None)
    answers = load(path)
    if not answers:
        return StdioStart(path)
    stdin = _Stdin()
    first = stdin.line()
    handover = Handover(eof=stdin.eof)
    if first is None:
        return StdioStart(path, handover)
    handover.replay.append(first)
    message = _request(first)
    params = (message or {}).get("params")
    version = params.get("protocolVersion") if isinstance(params, dict) else None
    cached = answers.get(version) if isinstance(version, str) else None
    if message is None or message.get("method") != "initialize" or "id" not in message or not cached:
        return _hand_over(path, handover, stdin)
    if "initialize" not in cached or "tools/list" not in cached:
        return _hand_over(path, handover, stdin)
    _answer(message["id"], cached["initialize"])
    handover.drop_answer_to = message["id"]
    handover.answered.append("initialize")
    while True:
        line = stdin.line(wait=NEXT_MESSAGE_WAIT_SECONDS)
        if line is None:
            break
        message = _request(line)
        if message is not None and message.get("method") == "notifications/initialized":
            handover.replay.append(line)
            continue
        if message is not None and is_plain_tools_list(message):
            _answer(message["id"], cached["tools/list"])
            handover.answered.append("tools/list")
            break
        handover.replay.append(line)
        break
    return _hand_over(path, handover, stdin)


def _hand_over(path: Path, handover: Handover, stdin: _Stdin) -> StdioStart:
    """Every whole line still buffered goes to the replay; only a partial line is left over."""
    *lines, partial = stdin.buffer.split(b"\n")
    handover.replay.extend(line for line in lines if line.strip())
    handover.leftover = partial
    handover.eof = stdin.eof
    return StdioStart(path, handover)
