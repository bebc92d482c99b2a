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

Trust (issue 27): what is served from here becomes the server's tool list and instructions, so a file someone
else could plant must never be served, and pruning must never delete what is not ours. Hence:
- the directory must be a real directory (not a symbolic link), owned by this process's user and not writable
  by group or others; otherwise the cache is not used at all and `StdioStart.warning` names the directory and
  the fix (the stdio transport logs it once);
- everything inside is reached through the directory's file descriptor with O_NOFOLLOW: an entry that is a
  symbolic link, not a regular file, not ours or writable by others is refused (and replaced by our own);
- each entry carries the full key digest and an HMAC-SHA256 over it and its answers, keyed with a per-user
  secret (`.argo-mcp-key`, 0600, created here): the key's inputs are public (code, flags, environment names), so
  a co-tenant could compute the digest, but without reading our secret no entry they write verifies;
- pruning looks only at our own file-name pattern and only at regular files we own.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import hmac
import json
import os
import re
import select
import stat
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CACHE_VARIABLE = "ARGO_MCP_DISCOVERY_CACHE"
KEY_PREFIXES = ("ARGO_", "OTEL_", "KUBE")
KEY_EXCLUDED = frozenset({"ARGO_TOKEN", CACHE_VARIABLE})
MAX_ENTRIES = 16  # one per distinct command line and environment; the oldest go first
FORMAT = 2  # 2: full key digest and HMAC in each entry; format-1 entries (32-hex names) are pruned as ours
SECRET_FILE = ".argo-mcp-key"
ENTRY_NAME = re.compile(r"^[0-9a-f]{64}\.json$")
OWN_NAMES = re.compile(r"^(?:[0-9a-f]{32}|[0-9a-f]{64})\.json$|^\.[0-9a-f]{16}\.part$")
STALE_PART_SECONDS = 3600  # a temporary file left by a process killed mid-write
MAX_ENTRY_BYTES = 16 * 1024 * 1024
_OPEN_FLAGS = os.O_NOFOLLOW | os.O_CLOEXEC
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
    warning: str | None = None  # why the cache (or its entry) was not trusted, with the fix; logged once


class CacheRefused(Exception):
    """The cache directory, or one entry in it, is not safe to trust; the message names it and the fix.

    `whole_cache`: the directory itself is refused (nothing is read or written); otherwise only the entry is
    (it is treated as absent, and storing replaces it with ours)."""

    def __init__(self, message: str, *, whole_cache: bool) -> None:
        super().__init__(message)
        self.whole_cache = whole_cache


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
    # The full digest is the name: the entry's key can be re-checked from its path alone.
    return directory / f"{digest.hexdigest()}.json"


def _unsafe(info: os.stat_result, forbidden: int = 0o022) -> str | None:
    """Why a file or directory with this stat may have been written (or, with `forbidden` 0o077, read) by
    someone else; None when it is ours alone."""
    if info.st_uid != os.geteuid():
        return f"owned by uid {info.st_uid}, not by this process's user (uid {os.geteuid()})"
    if info.st_mode & forbidden:
        verb = "writable" if forbidden == 0o022 else "accessible"
        return f"{verb} by group or others (mode {stat.S_IMODE(info.st_mode):o})"
    return None


def _open_directory(directory: Path, *, create: bool) -> int | None:
    """A descriptor of the cache directory once it is proven ours; None when it does not exist (and not `create`).

    Raises CacheRefused (whole cache) for a symbolic link, a non-directory, or a directory someone else owns or
    may write; OSError when it cannot be created or opened."""
    if create:
        os.makedirs(directory, mode=0o700, exist_ok=True)
    try:
        before = os.lstat(directory)
    except FileNotFoundError:
        return None
    fix = f"set {CACHE_VARIABLE} to a directory of your own (mode 700), or to off"
    if stat.S_ISLNK(before.st_mode):
        raise CacheRefused(
            f"discovery cache directory {directory} is a symbolic link, which is never followed; {fix}",
            whole_cache=True,
        )
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | _OPEN_FLAGS)
    try:
        info = os.fstat(fd)
        if (info.st_dev, info.st_ino) != (before.st_dev, before.st_ino) or not stat.S_ISDIR(info.st_mode):
            raise CacheRefused(
                f"discovery cache directory {directory} changed while opened; {fix}", whole_cache=True
            )
        problem = _unsafe(info)
        if problem is not None:
            if info.st_uid == os.geteuid():
                fix = f"chmod go-w {directory} (or set {CACHE_VARIABLE} to another directory, or to off)"
            raise CacheRefused(
                f"discovery cache directory {directory} is {problem}, so its entries cannot be trusted; {fix}",
                whole_cache=True,
            )
    except BaseException:
        os.close(fd)
        raise
    return fd


def _read_own_file(dir_fd: int, name: str, limit: int, *, private: bool = False) -> bytes | None:
    """The bytes of `name` in the directory if it is a regular file of ours; None when absent.

    Raises CacheRefused (entry) for a symbolic link, a non-regular file, or a file someone else owns or may
    write: O_NOFOLLOW and O_NONBLOCK, so neither a link nor a FIFO planted under that name is ever followed."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | _OPEN_FLAGS, dir_fd=dir_fd)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise CacheRefused(f"{name} is a symbolic link (never followed)", whole_cache=False) from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise CacheRefused(f"{name} is not a regular file", whole_cache=False)
        problem = _unsafe(info, 0o077 if private else 0o022)
        if problem is not None:
            raise CacheRefused(f"{name} is {problem}", whole_cache=False)
        chunks, size = [], 0
        while chunk := os.read(fd, 1 << 20):
            size += len(chunk)
            if size > limit:
                raise CacheRefused(f"{name} is larger than {limit} bytes", whole_cache=False)
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _write_atomically(dir_fd: int, name: str, data: bytes) -> None:
    """`name` replaced by `data` in one rename: a temporary file in the same directory, removed on failure.

    The rename replaces a symbolic link planted under `name` itself, never the file it points to."""
    temp = f".{os.urandom(8).hex()}.part"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _OPEN_FLAGS, 0o600, dir_fd=dir_fd)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        os.replace(temp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp, dir_fd=dir_fd)
        raise


def _secret(dir_fd: int, *, create: bool) -> bytes | None:
    """This user's key for the entries' HMAC (`SECRET_FILE`, mode 600); created when absent and `create`.

    Raises CacheRefused (whole cache) when the file is not ours, readable by others, or malformed."""
    try:
        raw = _read_own_file(dir_fd, SECRET_FILE, 1024, private=True)
    except CacheRefused as exc:
        raise CacheRefused(str(exc), whole_cache=True) from None
    if raw is None:
        if not create:
            return None
        temp = f".{os.urandom(8).hex()}.part"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _OPEN_FLAGS, 0o600, dir_fd=dir_fd)
        try:
            with os.fdopen(fd, "w") as out:
                out.write(os.urandom(32).hex())
            # link, not rename: a process that created the secret meanwhile keeps it (and its entries valid).
            with contextlib.suppress(FileExistsError):
                os.link(temp, SECRET_FILE, src_dir_fd=dir_fd, dst_dir_fd=dir_fd, follow_symlinks=False)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(temp, dir_fd=dir_fd)
        return _secret(dir_fd, create=False)
    text = raw.decode("ascii", errors="replace").strip()
    if not re.fullmatch(r"[0-9a-f]{64}", text):
        raise CacheRefused(
            f"{SECRET_FILE} in the discovery cache directory is not 64 hex digits; remove it to get a new one",
            whole_cache=True,
        )
    return bytes.fromhex(text)


def seal(secret: bytes, key: str, answers: dict[str, dict[str, str]]) -> bytes:
    """An entry's bytes: its answers, the key digest they belong to, and the HMAC binding the two."""
    mac = hmac.new(secret, _signed(key, answers), hashlib.sha256).hexdigest()
    return json.dumps({"format": FORMAT, "key": key, "answers": answers, "mac": mac}).encode()


def _signed(key: str, answers: dict[str, dict[str, str]]) -> bytes:
    return (
        f"argo-mcp discovery {FORMAT}\0{key}\0".encode()
        + json.dumps(answers, sort_keys=True, separators=(",", ":")).encode()
    )


def _verified(raw: bytes, key: str, secret: bytes) -> dict[str, dict[str, str]]:
    """The answers of an entry that is ours for this key; CacheRefused (entry) when its HMAC does not verify."""
    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return {}
    answers = data.get("answers")
    if (
        data.get("key") != key
        or not isinstance(answers, dict)
        or not all(
            isinstance(methods, dict) and all(isinstance(v, str) for v in methods.values())
            for methods in answers.values()
        )
        or not isinstance(data.get("mac"), str)
        or not hmac.compare_digest(
            data["mac"], hmac.new(secret, _signed(key, answers), hashlib.sha256).hexdigest()
        )
    ):
        raise CacheRefused(
            "its HMAC does not verify (it was not written by this user's argo-mcp)", whole_cache=False
        )
    return answers


def _with_directory(path: Path, error: CacheRefused) -> CacheRefused:
    """The refusal as one self-contained warning: which directory or entry, what is wrong, and the fix."""
    if error.whole_cache:
        if str(path.parent) in str(error):
            return error
        return CacheRefused(
            f"discovery cache directory {path.parent} not used: {error} "
            f"(or set {CACHE_VARIABLE} to a directory of your own, or to off)",
            whole_cache=True,
        )
    return CacheRefused(
        f"discovery cache entry {path} not used: {error}; it is replaced by this server's own answers "
        f"(remove it, or set {CACHE_VARIABLE} to a directory of your own)",
        whole_cache=False,
    )


def load(path: Path) -> dict[str, dict[str, str]]:
    """protocol version -> method -> the result as sent (raw JSON); empty when absent or unreadable.

    Raises CacheRefused when the directory or the entry is not trustworthy (see the module's docstring)."""
    if not ENTRY_NAME.match(path.name):
        return {}
    try:
        dir_fd = _open_directory(path.parent, create=False)
    except OSError:
        return {}
    if dir_fd is None:
        return {}
    try:
        raw = _read_own_file(dir_fd, path.name, MAX_ENTRY_BYTES)
        secret = _secret(dir_fd, create=False) if raw is not None else None
        if raw is None or secret is None:
            return {}
        return _verified(raw, path.stem, secret)
    except CacheRefused as exc:
        raise _with_directory(path, exc) from None
    except OSError:
        return {}
    finally:
        os.close(dir_fd)


def store(path: Path, version: str, answers: dict[str, str]) -> bool:
    """Add one protocol version's answers to the entry, atomically; False when the cache cannot be written
    (or is not trusted: then nothing in it is read, written or removed)."""
    if not ENTRY_NAME.match(path.name):
        return False
    try:
        dir_fd = _open_directory(path.parent, create=True)
    except (OSError, CacheRefused):
        return False
    if dir_fd is None:
        return False
    try:
        secret = _secret(dir_fd, create=True)
        assert secret is not None
        try:
            raw = _read_own_file(dir_fd, path.name, MAX_ENTRY_BYTES)
            known = _verified(raw, path.stem, secret) if raw is not None else {}
        except CacheRefused as exc:
            if exc.whole_cache:
                raise
            known = {}  # not ours: replaced below (the rename replaces a link itself, not its target)
        known[version] = answers
        _write_atomically(dir_fd, path.name, seal(secret, path.stem, known))
        _prune(dir_fd)
    except (OSError, CacheRefused):
        return False
    finally:
        os.close(dir_fd)
    return True


def _prune(dir_fd: int) -> None:
    """Keep the newest MAX_ENTRIES entries; only our own names, only regular files we own, never a link."""
    entries: list[tuple[int, str]] = []
    now = time.time()
    with os.scandir(dir_fd) as found:
        for item in found:
            if not OWN_NAMES.match(item.name) or not item.is_file(follow_symlinks=False):
                continue
            info = item.stat(follow_symlinks=False)
            if info.st_uid != os.geteuid():
                continue
            if item.name.endswith(".part"):
                if now - info.st_mtime > STALE_PART_SECONDS:
                    with contextlib.suppress(OSError):
                        os.unlink(item.name, dir_fd=dir_fd)
                continue
            entries.append((info.st_mtime_ns, item.name))
    for _, stale in sorted(entries, reverse=True)[MAX_ENTRIES:]:
        with contextlib.suppress(OSError):
            os.unlink(stale, dir_fd=dir_fd)


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


def declares_extensions(params: Any) -> bool:
    """Whether an initialize declares extensions (MCP Apps: `io.modelcontextprotocol/ui`): the answers then
    depend on the client (its tools/list carries the view's links, apps.py), so they are neither served from
    the cache nor recorded in it."""
    capabilities = params.get("capabilities") if isinstance(params, dict) else None
    return isinstance(capabilities, dict) and bool(capabilities.get("extensions"))


def fast_start(argv: list[str]) -> StdioStart:
    """Answer initialize and tools/list from the cache if this exact start-up served them before."""
    path = cache_path(argv)
    if path is None:
        return StdioStart(None)
    try:
        answers = load(path)
    except CacheRefused as exc:
        # A refused directory is not used at all; a refused entry is a miss, replaced by this server's answers.
        return StdioStart(None if exc.whole_cache else path, warning=str(exc))
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
    if declares_extensions(params):
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
