"""argo-mcp starts where no temporary directory is usable (read-only root, no writable /tmp), as the image runs.

The subprocess makes Python's own `tempfile` find no usable directory, exactly as it does in such a container
(its candidate list is replaced by one path that is a plain file, into which nothing can be written, so
`tempfile.gettempdir()` raises the real "No usable temporary directory" error; TMPDIR names the same path),
then runs argo-mcp's real entry point. The e2e image build checks the
same thing with a real read-only container (tests/e2e/stack/project_image.py).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from argo_mcp.settings import temp_root
from tests.support.fake_argo import FakeArgo
from tests.support.processes import (
    REPO,
    ServerProcess,
    clean_env,
    free_port,
    http_client,
    text_of,
    wait_healthy,
)

WITHOUT_TEMP_DIR = """
import sys, tempfile
tempfile._candidate_tempdir_list = lambda: [sys.argv.pop(1)]
tempfile.tempdir = None
try:
    tempfile.gettempdir()
except FileNotFoundError:
    pass
else:
    raise SystemExit("the simulation is broken: tempfile still found a usable directory")
from argo_mcp.__main__ import main
main(sys.argv[1:])
"""


def _unusable_temp_dir(tmp: Path) -> Path:
    """A path where no directory can be made or written: a regular file."""
    path = tmp / "not-a-directory"
    path.write_text("")
    return path


def _argv(temp_dir: Path, *args: str) -> list[str]:
    return [sys.executable, "-c", WITHOUT_TEMP_DIR, str(temp_dir), *args]


def test_help_works_without_a_usable_temporary_directory(tmp_path: Path) -> None:
    temp_dir = _unusable_temp_dir(tmp_path)
    done = subprocess.run(
        _argv(temp_dir, "--help"),
        capture_output=True,
        text=True,
        env=clean_env({"TMPDIR": str(temp_dir)}),
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "--artifact-dir" in done.stdout
    assert "argo-mcp/artifacts" in "".join(
        done.stdout.split()
    )  # the default is named, not probed (however wrapped)


async def test_server_serves_mcp_without_a_usable_temporary_directory(
    argo: FakeArgo, argo_url: str, tmp_path: Path
) -> None:
    temp_dir = _unusable_temp_dir(tmp_path)
    port = free_port()
    stderr_path = tmp_path / "argo-mcp.log"
    with stderr_path.open("wb") as err:
        proc = await asyncio.create_subprocess_exec(
            *_argv(temp_dir, "--host", "127.0.0.1", "--port", str(port), "--argo-server-url", argo_url),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=err,
            env=clean_env({"TMPDIR": str(temp_dir)}),
            cwd=REPO,
        )
    server = ServerProcess(proc, port, stderr_path)
    try:
        await wait_healthy(server)
        async with http_client(server.url) as client:
            tools = await client.list_tools()
            assert any(tool.name == "get_workflow_output_artifact" for tool in tools.tools)
            result = await client.call_tool(
                "get_workflow_output_artifact",
                {"workflowName": "wf", "nodeId": "n", "artifactName": "a", "destinationPath": "a.bin"},
            )
        # The default artifact directory lies under the unusable temp dir: the download is refused before
        # any request with a message that names the way out, and the server goes on serving.
        assert result.is_error
        assert "--artifact-dir" in text_of(result), text_of(result)
        assert argo.requests == []
        assert server.proc.returncode is None
    finally:
        await server.stop()


def test_temp_root_names_the_directory_without_creating_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in ("TMPDIR", "TEMP", "TMP"):
        monkeypatch.delenv(variable, raising=False)
    assert temp_root() == Path("/tmp")
    monkeypatch.setenv("TMP", str(tmp_path / "c"))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "a"))
    assert temp_root() == tmp_path / "a"
    monkeypatch.delenv("TMPDIR")
    assert temp_root() == tmp_path / "c"
    assert list(tmp_path.iterdir()) == []
