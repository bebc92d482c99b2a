"""Foreseeable conditions get errors that name the problem and the fix, never "failed unexpectedly" (issue 11,
defect 8): odd-but-valid or deeply nested JSON from Argo, impossible destination paths, a full disk."""

from __future__ import annotations

import errno
import json
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from argo_mcp.argo.client import ArgoClient
from argo_mcp.calls import run_tool
from argo_mcp.settings import ArgoSettings, AuthMode, Settings
from argo_mcp.tools import ALL_TOOLS
from tests.support.fake_argo import FakeArgo
from tests.support.processes import payload, text_of

BY_NAME = {tool.name: tool for tool in ALL_TOOLS}
UNEXPECTED = "failed unexpectedly"


@pytest.fixture
async def client(argo_url: str) -> AsyncIterator[ArgoClient]:
    argo_client = ArgoClient(ArgoSettings(server_url=argo_url, auth_mode=AuthMode.NONE))
    yield argo_client
    await argo_client.close()


def _settings(tmp_path: Path) -> Settings:
    return Settings(
        argo=ArgoSettings(server_url="http://unused", auth_mode=AuthMode.NONE), artifact_dir=tmp_path
    )


def _raw(body: bytes) -> Callable[[], AsyncIterator[bytes]]:
    """An answer sent as raw bytes (so the stand-in does not validate it against the spec: it is odd on purpose)."""

    async def chunks() -> AsyncIterator[bytes]:
        yield body

    return chunks


async def _call(client: ArgoClient, tmp_path: Path, tool: str, args: dict[str, Any]) -> Any:
    return await run_tool(BY_NAME[tool], args, argo=client, settings=_settings(tmp_path))


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    ("tool", "args", "body", "fragment"),
    [
        ("get_workflow", {"name": "w"}, b"[1, 2]", "expected a JSON object, got a JSON array"),
        ("get_workflow", {"name": "w"}, b'"a string"', "expected a JSON object, got a JSON string"),
        (
            "get_workflow",
            {"name": "w", "full": True},
            ('{"spec": {"x": ' + _nested(100_000) + "}}").encode(),
            "nested too deeply to read",
        ),
        (
            "get_workflow_graph",
            {"name": "w"},
            json.dumps({"status": {"nodes": {"w": {"name": "w", "type": "Steps"}}}}).encode(),
            "could not summarise Argo's answer for get_workflow_graph",
        ),
    ],
)
async def test_odd_answers_from_argo_are_named(
    argo: FakeArgo,
    client: ArgoClient,
    tmp_path: Path,
    tool: str,
    args: dict[str, Any],
    body: bytes,
    fragment: str,
) -> None:
    argo.on("WorkflowService_GetWorkflow", stream=_raw(body))
    result = await _call(client, tmp_path, tool, args)
    assert result.is_error
    assert fragment in text_of(result), text_of(result)
    assert UNEXPECTED not in text_of(result)


async def test_valid_json_orjson_refuses_is_still_returned(
    argo: FakeArgo, client: ArgoClient, tmp_path: Path
) -> None:
    deep = (
        '{"spec": {"x": '
        + _nested(300)
        + '}, "status": {"estimatedDuration": 123456789012345678901234567890}}'
    )
    argo.on("WorkflowService_GetWorkflow", stream=_raw(deep.encode()))
    result = await _call(client, tmp_path, "get_workflow", {"name": "w", "full": True})
    assert not result.is_error, text_of(result)
    answer = payload(result)
    assert answer["status"]["estimatedDuration"] == 123456789012345678901234567890
    assert json.dumps(answer["spec"]["x"]) == json.dumps(json.loads(_nested(300)))


async def test_odd_but_valid_shapes_are_still_summarised(
    argo: FakeArgo, client: ArgoClient, tmp_path: Path
) -> None:
    odd_list = {"metadata": None, "items": "not a list"}
    argo.on("WorkflowService_ListWorkflows", stream=_raw(json.dumps(odd_list).encode()))
    listed = await _call(client, tmp_path, "list_workflows", {})
    assert not listed.is_error, text_of(listed)
    assert payload(listed) == {"items": [], "count": 0}
    odd_workflow = {
        "metadata": [],
        "spec": "x",
        "status": {"phase": "Running", "nodes": [1, 2], "outputs": 7},
    }
    argo.on("WorkflowService_GetWorkflow", stream=_raw(json.dumps(odd_workflow).encode()))
    got = await _call(client, tmp_path, "get_workflow", {"name": "w"})
    assert not got.is_error, text_of(got)
    assert payload(got) == {"phase": "Running"}


ARTIFACT = {"workflowName": "wf", "nodeId": "wf-1", "artifactName": "out"}


@pytest.mark.parametrize(
    ("destination", "fragment"),
    [
        ("a\x00b.bin", "contains a NUL byte"),
        ("x" * 300 + ".bin", "names are at most 255"),
        ("d/" * 2100 + "f", "longer than 4096 bytes"),
        ("plain-file/inside.bin", "needs"),
    ],
    ids=["nul", "long-name", "long-path", "file-as-parent"],
)
async def test_impossible_destinations_are_refused_before_any_request(
    argo: FakeArgo, client: ArgoClient, tmp_path: Path, destination: str, fragment: str
) -> None:
    (tmp_path / "plain-file").write_text("I am a file")
    result = await _call(
        client, tmp_path, "get_workflow_output_artifact", {**ARTIFACT, "destinationPath": destination}
    )
    assert result.is_error
    message = text_of(result)
    assert fragment in message and UNEXPECTED not in message, message
    if destination.startswith("plain-file"):
        assert "is a file" in message
    assert argo.requests == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain-file"]


class FailingWrites:
    """A download's temporary file whose writes fail with `error` once the first 64 KiB are on disk (a disk
    that fills up, or a filesystem remounted read-only mid-download); `opened` records its descriptor."""

    def __init__(self, handle: Any, error: int, opened: list[int] | None = None) -> None:
        self.handle, self.error, self.written = handle, error, 0
        if opened is not None:
            opened.append(handle.fileno())

    def write(self, data: bytes) -> int:
        self.written += len(data)
        if self.written > 65536:
            raise OSError(self.error, os.strerror(self.error))
        return int(self.handle.write(data))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.handle, name)

    def __enter__(self) -> FailingWrites:
        return self

    def __exit__(self, *exc: object) -> None:
        self.handle.close()


async def test_a_full_disk_is_named_and_leaves_no_partial_file(
    argo: FakeArgo, client: ArgoClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def body() -> AsyncIterator[bytes]:
        for _ in range(4):
            yield b"z" * 65536

    real_fdopen = os.fdopen

    # only this test writes: the disk is full after the first 64 KiB
    monkeypatch.setattr(os, "fdopen", lambda fd, mode: FailingWrites(real_fdopen(fd, mode), errno.ENOSPC))
    argo.on("ArtifactService_GetArtifactFile", stream=body, content_type="application/octet-stream")
    result = await _call(
        client, tmp_path, "get_workflow_output_artifact", {**ARTIFACT, "destinationPath": "o.bin"}
    )
    assert result.is_error
    message = text_of(result)
    assert "No space left on device" in message and "--artifact-dir" in message, message
    assert "the partial file was removed" in message
    assert list(tmp_path.iterdir()) == []


# ---- an artifact directory argo-mcp cannot write --------------------------------------------------------------
# Tests run as root, where a 0o500 directory is still writable, so a read-only filesystem (EROFS) or a directory
# owned by someone else (EACCES) is simulated the way the full disk above is: the calls that create a file or a
# folder under the artifact directory fail with that errno, everything else is the real os.

ARTIFACT_OPERATIONS = {
    "get_workflow_output_artifact": "ArtifactService_GetArtifactFile",
    "get_workflow_input_artifact": "ArtifactService_GetInputArtifact",
}
UNWRITABLE = [
    (errno.EROFS, "Read-only file system"),
    (errno.EACCES, "Permission denied"),
]


def _inside(root: Path, path: Any) -> bool:
    try:
        return root in Path(os.fsdecode(path)).resolve().parents
    except TypeError:  # a file descriptor, not a path
        return False


def _unwritable_dir(monkeypatch: pytest.MonkeyPatch, root: Path, error: int) -> list[str]:
    """Make `root` refuse new files and folders with `error`; returns what was refused (so a test can tell that
    the failure really came from the disk and not from somewhere else)."""
    real_open, real_mkdir = os.open, os.mkdir
    refused: list[str] = []

    def fake_open(path: Any, flags: int, mode: int = 0o777, *, dir_fd: int | None = None) -> int:
        if flags & os.O_CREAT and _inside(root, path):
            refused.append(f"open {os.fsdecode(path)}")
            raise OSError(error, os.strerror(error), os.fsdecode(path))
        return real_open(path, flags, mode, dir_fd=dir_fd)

    def fake_mkdir(path: Any, mode: int = 0o777, *, dir_fd: int | None = None) -> None:
        if _inside(root, path) and not os.path.exists(path):  # an existing folder still says EEXIST
            refused.append(f"mkdir {os.fsdecode(path)}")
            raise OSError(error, os.strerror(error), os.fsdecode(path))
        real_mkdir(path, mode, dir_fd=dir_fd)

    monkeypatch.setattr(os, "open", fake_open)
    monkeypatch.setattr(os, "mkdir", fake_mkdir)
    return refused


def _files_left(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if not p.is_dir())


def _assert_clean_error(result: Any) -> str:
    assert result.is_error
    message = text_of(result)
    assert UNEXPECTED not in message and "Traceback" not in message and 'File "' not in message, message
    return message


def _artifact_body(size: int) -> Callable[[], AsyncIterator[bytes]]:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(size // 65536):
            yield b"z" * 65536

    return chunks


@pytest.mark.parametrize("tool", sorted(ARTIFACT_OPERATIONS))
@pytest.mark.parametrize(("error", "reason"), UNWRITABLE, ids=["erofs", "eacces"])
@pytest.mark.parametrize("destination", ["o.bin", "sub/dir/o.bin", None], ids=["file", "new-folder", "spill"])
async def test_an_unwritable_artifact_dir_is_named_with_the_fix_and_leaves_nothing(
    argo: FakeArgo,
    client: ArgoClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    tool: str,
    error: int,
    reason: str,
    destination: str | None,
) -> None:
    """The temp file (or a folder on its way) cannot be created: the answer names the directory, the reason and
    --artifact-dir; no file is left. Without destinationPath the artifact is larger than the inline limit, so it
    is spilled to the default path under --artifact-dir, which fails the same way."""
    argo.on(
        ARTIFACT_OPERATIONS[tool], stream=_artifact_body(4 * 65536), content_type="application/octet-stream"
    )
    settings = Settings(
        argo=ArgoSettings(server_url="http://unused", auth_mode=AuthMode.NONE),
        artifact_dir=tmp_path,
        inline_artifact_bytes=1024,
    )
    refused = _unwritable_dir(monkeypatch, tmp_path, error)
    args = {**ARTIFACT, **({"destinationPath": destination} if destination else {})}
    result = await run_tool(BY_NAME[tool], args, argo=client, settings=settings)
    monkeypatch.undo()
    message = _assert_clean_error(result)
    assert refused, "the download never tried to write under the artifact directory"
    assert "cannot write into" in message and reason in message, message
    assert str(tmp_path) in message, message  # which directory
    assert "--artifact-dir" in message and "writable directory" in message, message  # the fix
    assert _files_left(tmp_path) == [], _files_left(tmp_path)


@pytest.mark.parametrize("tool", sorted(ARTIFACT_OPERATIONS))
@pytest.mark.parametrize(("error", "reason"), UNWRITABLE, ids=["erofs", "eacces"])
async def test_a_disk_turning_read_only_mid_download_is_named_and_removes_the_partial_file(
    argo: FakeArgo,
    client: ArgoClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    tool: str,
    error: int,
    reason: str,
) -> None:
    """The temp file was created, then the filesystem went read-only (remounted after an I/O error) or refused the
    writes: the error names the file, the reason and the fix, and the partial file is gone."""
    real_fdopen = os.fdopen
    partial: list[int] = []

    monkeypatch.setattr(
        os, "fdopen", lambda fd, mode: FailingWrites(real_fdopen(fd, mode), error, opened=partial)
    )
    argo.on(
        ARTIFACT_OPERATIONS[tool], stream=_artifact_body(4 * 65536), content_type="application/octet-stream"
    )
    result = await _call(client, tmp_path, tool, {**ARTIFACT, "destinationPath": "o.bin"})
    monkeypatch.undo()
    message = _assert_clean_error(result)
    assert partial, "the temporary file was never opened"
    assert f"writing {tmp_path / 'o.bin'} failed after " in message, message
    assert reason in message and "the partial file was removed" in message, message
    assert "--artifact-dir" in message and "writable directory" in message, message
    assert _files_left(tmp_path) == [], _files_left(tmp_path)
