"""Bounded streams: the last lines of a log within a byte cap, artifacts streamed to disk.

Memory is bounded by the cap (logs) or by one chunk (artifacts), never by the size of what Argo would send:
a log drain keeps only the last lines that fit the cap and stops reading at a read limit, and an artifact is hashed and
written chunk by chunk into a temporary file that is renamed only once complete, so a failed download leaves
nothing behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import json
import os
import tempfile
import time
from collections import deque
from collections.abc import AsyncGenerator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argo_mcp.argo.client import ArgoClient, Query
from argo_mcp.argo.errors import ArgoError, ArgoNotFound, ArgoTimeout, ArgoUnavailable

LOG_CAP_BYTES = 64 * 1024
DEFAULT_TAIL_LINES = (
    200  # what a log tool answers by default: the last 200 lines (~3k tokens of typical logs)
)
LOG_READ_LIMIT_BYTES = 4 * 2**20  # a stream is read to its end to find its last lines, but never past this
LOG_TIME_LIMIT_SECONDS = 30.0
ARTIFACT_CHUNK_BYTES = 256 * 1024
_READ_CHUNK = 16 * 1024


@dataclass(frozen=True)
class DrainedLog:
    text: str
    lines: int
    truncated: bool
    timed_out: bool
    lines_read: int = 0
    read_limited: bool = False


def _truncation_marker(cap: int, narrow_hint: str) -> str:
    return f"[argo-mcp: output truncated at {cap} bytes, earlier lines omitted; {narrow_hint}]\n"


def _time_marker(seconds: float) -> str:
    return (
        f"\n[argo-mcp: stopped reading after {seconds:g}s (the log stream was still open); "
        "call again with sinceSeconds or tailLines for newer lines]\n"
    )


def _read_limit_marker(limit: int) -> str:
    return (
        f"\n[argo-mcp: stopped reading after {limit // 2**20} MiB of log, so these are the last lines read, "
        "not necessarily the log's last lines; narrow with sinceSeconds, grep, podName or container]\n"
    )


RecordFormatter = Callable[[dict[str, Any]], str]


def format_workflow_log(result: dict[str, Any]) -> str:
    """Workflow/pod log entries (io.argoproj.workflow.v1alpha1.LogEntry): `podName: content`."""
    content = str(result.get("content", ""))
    pod = result.get("podName")
    return f"{pod}: {content}" if pod else content


def format_pod_log(result: dict[str, Any]) -> str:
    return str(result.get("content", ""))


def format_events_log(result: dict[str, Any]) -> str:
    """Argo Events log entries (eventsource/sensor LogEntry): time, level, source and message."""
    source = result.get("eventSourceName") or result.get("sensorName") or ""
    detail = result.get("eventName") or result.get("triggerName") or ""
    where = f"{source}/{detail}" if detail else source
    parts = [str(result.get(k, "")) for k in ("time", "level") if result.get(k)]
    return (
        " ".join([*parts, f"[{where}]" if where else "", str(result.get("msg", ""))])
        .replace("  ", " ")
        .strip()
    )


class LogStreamNotFound(ArgoNotFound):
    """The stream's own error record said NotFound (an unknown pod, container or workflow)."""

    advice = (
        "Use a pod name get_workflow lists (failed[].pod / running[].pod) or get_workflow_graph shows, and "
        "a container of that pod (Argo's are main, wait and init)."
    )


class _LogTail:
    """Argo's newline-delimited `{"result": {...}}` records as text: the last `tail_lines` lines within `cap` bytes.

    Lines are kept whole: when the cap is reached the oldest lines are dropped, never part of one (a single
    line longer than the whole cap keeps its start)."""

    def __init__(
        self, cap: int, tail_lines: int, *, formatter: RecordFormatter, line_filter: Callable[[str], str]
    ) -> None:
        self.cap = cap
        self.tail_lines = tail_lines
        self.formatter = formatter
        self.line_filter = line_filter
        self.kept: deque[tuple[str, int]] = deque()
        self.size = 0
        self.read = 0
        self.cut_by_cap = False

    def add_record(self, raw: bytes) -> None:
        raw = raw.strip()
        if not raw:
            return
        try:
            record: Any = json.loads(raw)
        except ValueError:
            self._append(raw.decode("utf-8", errors="replace"))
            return
        if isinstance(record, dict) and isinstance(record.get("error"), dict):
            error = record["error"]
            message = str(error.get("message", "unknown error"))
            if error.get("grpc_code") == 5 or error.get("http_code") == 404 or "not found" in message:
                raise LogStreamNotFound(message, status=404, grpc_code=5, argo_message=message)
            raise ArgoError(f"the log stream reported an error: {message}")
        result = record.get("result", record) if isinstance(record, dict) else None
        self._append(self.formatter(result) if isinstance(result, dict) else str(record))

    def _append(self, line: str) -> None:
        line = self.line_filter(line)
        size = len(line.encode()) + 1
        if size > self.cap:
            line = line.encode()[: self.cap - 1].decode("utf-8", errors="ignore")
            size = len(line.encode()) + 1
        self.kept.append((line, size))
        self.size += size
        self.read += 1
        while len(self.kept) > self.tail_lines or self.size > self.cap:
            if len(self.kept) <= self.tail_lines:
                self.cut_by_cap = True
            self.size -= self.kept.popleft()[1]

    def text(self) -> str:
        return "".join(line + "\n" for line, _ in self.kept)


async def drain_log_stream(
    client: ArgoClient,
    path: str,
    *,
    query: Query | None,
    what: str,
    tail_lines: int = DEFAULT_TAIL_LINES,
    cap: int = LOG_CAP_BYTES,
    read_limit: int = LOG_READ_LIMIT_BYTES,
    time_limit: float = LOG_TIME_LIMIT_SECONDS,
    formatter: RecordFormatter = format_workflow_log,
    line_filter: Callable[[str], str] = str,
    narrow_hint: str = "narrow the request with tailLines, sinceSeconds, grep, podName or container",
) -> DrainedLog:
    """The last `tail_lines` lines of a log stream, in at most `cap` bytes, cut on line boundaries.

    The stream is read to its end (Argo has already applied tailLines or grep, so that is usually little),
    but never more than `read_limit` bytes nor longer than `time_limit` seconds."""
    import aiohttp  # noqa: PLC0415 - not at start-up (see ArgoClient)

    acc = _LogTail(cap, tail_lines, formatter=formatter, line_filter=line_filter)
    deadline = time.monotonic() + time_limit
    timed_out = read_limited = False
    received = 0
    pending = bytearray()
    async with client.stream(path, query=query, what=what, timeout=None) as response:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            if received >= read_limit:
                read_limited = True
                break
            try:
                chunk = await asyncio.wait_for(response.content.read(_READ_CHUNK), timeout=remaining)
            except TimeoutError:
                timed_out = True
                break
            except aiohttp.ClientPayloadError as exc:
                raise ArgoUnavailable(f"{what}: the log stream broke ({exc})") from None
            if not chunk:
                break
            received += len(chunk)
            pending += chunk
            start = 0
            while (newline := pending.find(b"\n", start)) >= 0:
                acc.add_record(bytes(pending[start:newline]))
                start = newline + 1
            del pending[:start]
            if len(pending) > cap:
                # One record bigger than the whole cap: keep its start as one line, skip the rest of it.
                acc.add_record(bytes(pending[:cap]))
                pending.clear()
        if pending.strip() and not timed_out and not read_limited:
            acc.add_record(bytes(pending))
    text = acc.text()
    if acc.cut_by_cap:
        text = _truncation_marker(cap, narrow_hint) + text
    if read_limited:
        text += _read_limit_marker(read_limit)
    elif timed_out:
        text += _time_marker(time_limit)
    return DrainedLog(
        text=text,
        lines=len(acc.kept),
        truncated=acc.cut_by_cap,
        timed_out=timed_out,
        lines_read=acc.read,
        read_limited=read_limited,
    )


class DestinationError(ValueError):
    """A destinationPath that argo-mcp refuses to write; the message says why and what to do."""


NAME_MAX_BYTES = 255  # one file name (ext4, xfs, overlayfs...)
PATH_MAX_BYTES = 4096


def _name_problem(destination: str) -> str | None:
    """What makes `destination` impossible as a file path on any filesystem argo-mcp runs on, or None."""
    if "\x00" in destination:
        return "contains a NUL byte, which no file name may contain"
    if len(os.fsencode(destination)) > PATH_MAX_BYTES:
        return f"is longer than {PATH_MAX_BYTES} bytes"
    for part in Path(destination).parts:
        if len(os.fsencode(part)) > NAME_MAX_BYTES:
            return (
                f"has a component of {len(os.fsencode(part))} bytes ({part[:40]!r}...); names are at most 255"
            )
    return None


def _file_in_the_way(root: Path, resolved: Path) -> Path | None:
    """An existing non-directory among the folders between `root` and `resolved`, if any."""
    for folder in reversed(resolved.parents):
        if folder == root or root not in folder.parents:
            continue
        if folder.exists() and not folder.is_dir():
            return folder
    return None


def resolve_destination(artifact_dir: Path, destination: str, *, overwrite: bool) -> Path:
    """Confine `destination` to `artifact_dir`: relative paths live inside it, absolute ones must too."""
    if (problem := _name_problem(destination)) is not None:
        raise DestinationError(f"destinationPath {problem}; pass a shorter, plain file path")
    try:
        return _confined(artifact_dir, destination, overwrite=overwrite)
    except OSError as exc:
        raise DestinationError(
            f"destinationPath {destination!r} cannot be used: {exc.strerror or exc}; choose another path inside "
            f"{artifact_dir}"
        ) from None


def _confined(artifact_dir: Path, destination: str, *, overwrite: bool) -> Path:
    root = artifact_dir.resolve()
    candidate = Path(destination).expanduser()
    if not candidate.is_absolute():
        candidate = root / candidate
    if destination.endswith(("/", os.sep)) or candidate.name in ("", ".", ".."):
        raise DestinationError(f"destinationPath {destination!r} must name a file, not a directory")
    resolved = candidate.parent.resolve() / candidate.name
    if root != resolved.parent and root not in resolved.parent.parents:
        raise DestinationError(
            f"destinationPath {destination!r} is outside the allowed artifact directory {root}; "
            "use a path inside it (relative paths are resolved against it) or start argo-mcp with "
            "--artifact-dir pointing elsewhere"
        )
    if (blocker := _file_in_the_way(root, resolved)) is not None:
        raise DestinationError(
            f"destinationPath {destination!r} needs {blocker} to be a folder, but it is a file; choose another "
            "path (or remove that file)"
        )
    if resolved.is_symlink() or (resolved.exists() and not resolved.is_file()):
        raise DestinationError(f"destinationPath {destination!r} exists and is not a regular file")
    if resolved.exists() and not overwrite:
        raise DestinationError(
            f"destinationPath {resolved} already exists; pass overwrite=true to replace it or choose another path"
        )
    return resolved


@dataclass(frozen=True)
class SavedArtifact:
    path: str
    bytes: int
    sha256: str


def _open_temp(destination: Path) -> tuple[int, Path]:
    """Create the partial file next to `destination`, so publishing it is one rename on the same filesystem."""
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(
            dir=destination.parent, prefix=f".{destination.name}.", suffix=".part"
        )
    except OSError as exc:
        raise DestinationError(
            f"cannot write into {destination.parent} ({exc.strerror or exc}); start argo-mcp with "
            "--artifact-dir (env ARGO_MCP_ARTIFACT_DIR) pointing at a writable directory, for example an "
            "emptyDir volume when the root filesystem is read-only"
        ) from None
    return fd, Path(temp_name)


def _publish(temp_path: Path, destination: Path, *, overwrite: bool) -> None:
    """Give the complete temp file its final name; without overwrite an existing file is never clobbered."""
    if overwrite:
        os.replace(temp_path, destination)
        return
    try:
        os.link(temp_path, destination)  # fails if the name appeared meanwhile
    except FileExistsError:
        raise DestinationError(
            f"destinationPath {destination} appeared during the download; pass overwrite=true to replace it"
        ) from None
    temp_path.unlink()


@contextlib.contextmanager
def _disk(destination: Path, size: int) -> Iterator[None]:
    """Around one disk operation of a download: a failing disk (full, quota, read-only, I/O error) becomes a
    message naming the file, the reason and the fix (the caller then removes the partial file). Only disk
    operations are wrapped: aiohttp's network errors are OSErrors too, and must not read as a full disk."""
    try:
        yield
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            fix = "free space there, or start argo-mcp with --artifact-dir on a larger volume"
        elif exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            fix = "start argo-mcp with --artifact-dir pointing at a writable directory"
        else:
            fix = "check the disk behind --artifact-dir"
        raise DestinationError(
            f"writing {destination} failed after {size} bytes: {exc.strerror or exc}; the partial file was "
            f"removed; {fix}"
        ) from None


def _discard(temp_path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        temp_path.unlink()


async def artifact_chunks(
    client: ArgoClient, path: str, *, what: str, time_limit: float = 3600.0
) -> AsyncGenerator[bytes, None]:
    """An artifact's bytes from Argo, one chunk at a time (memory bounded by one chunk).

    `time_limit` bounds the whole download; --argo-timeout bounds each wait for the next bytes (idle read)."""
    import aiohttp  # noqa: PLC0415 - not at start-up (see ArgoClient)

    idle = client.settings.request_timeout
    size = 0
    async with client.stream(path, what=what, timeout=time_limit) as response:
        while True:
            try:
                chunk = await asyncio.wait_for(response.content.read(ARTIFACT_CHUNK_BYTES), idle)
            except TimeoutError:
                raise ArgoTimeout(
                    f"{what}: no data from Argo for {idle:g}s after {size} bytes, so the download was "
                    "abandoned and nothing of it kept; retry, or raise --argo-timeout (the longest "
                    "argo-mcp waits for Argo's next bytes)"
                ) from None
            except aiohttp.ClientPayloadError as exc:
                raise ArgoUnavailable(f"{what}: the download broke after {size} bytes ({exc})") from None
            if not chunk:
                return
            size += len(chunk)
            yield chunk


async def write_chunks(
    chunks: AsyncGenerator[bytes, None], destination: Path, *, overwrite: bool, prefix: bytes = b""
) -> SavedArtifact:
    """Write `prefix` then `chunks` into `destination` atomically, hashing on the way; nothing is left on
    failure (the temp file is renamed only once complete)."""
    fd, temp_path = _open_temp(destination)
    digest = hashlib.sha256()
    size = 0
    try:
        async with contextlib.aclosing(chunks):
            with os.fdopen(fd, "wb") as sink:
                if prefix:
                    digest.update(prefix)
                    with _disk(destination, size):
                        sink.write(prefix)
                    size += len(prefix)
                async for chunk in chunks:
                    digest.update(chunk)
                    with _disk(destination, size):
                        sink.write(chunk)
                    size += len(chunk)
                with _disk(destination, size):
                    sink.flush()
                    os.fsync(sink.fileno())
        with _disk(destination, size):
            _publish(temp_path, destination, overwrite=overwrite)
    except BaseException:
        _discard(temp_path)
        raise
    return SavedArtifact(path=str(destination), bytes=size, sha256=digest.hexdigest())


async def download_to_file(
    client: ArgoClient,
    path: str,
    destination: Path,
    *,
    overwrite: bool,
    what: str,
    time_limit: float = 3600.0,
) -> SavedArtifact:
    """Stream an artifact into `destination` atomically, hashing on the way; nothing is left on failure.

    `time_limit` bounds the whole download; --argo-timeout bounds each wait for the next bytes (idle read).
    """
    chunks = artifact_chunks(client, path, what=what, time_limit=time_limit)
    return await write_chunks(chunks, destination, overwrite=overwrite)


async def read_or_save(
    client: ArgoClient,
    path: str,
    *,
    limit: int,
    spill: Callable[[], Path],
    overwrite: bool,
    what: str,
    time_limit: float = 3600.0,
) -> bytes | SavedArtifact:
    """The artifact's bytes when it has at most `limit` of them; otherwise the bytes read so far and the rest
    go to the file `spill()` names (resolved only then), as `download_to_file` would. One request either way,
    memory bounded by `limit` plus one chunk."""
    chunks = artifact_chunks(client, path, what=what, time_limit=time_limit)
    buffered = bytearray()
    async with contextlib.aclosing(chunks):
        async for chunk in chunks:
            buffered += chunk
            if len(buffered) > limit:
                return await write_chunks(chunks, spill(), overwrite=overwrite, prefix=bytes(buffered))
    return bytes(buffered)
