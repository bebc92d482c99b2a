"""stdio on the event loop (transport/pipes.py): lines over the limit are dropped without ending the session,
and stdin/stdout that are regular files (no event-loop watching) still work."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

from argo_mcp.transport.pipes import MAX_LINE_BYTES
from tests.support.fake_argo import FakeArgo
from tests.support.processes import REPO, clean_env
from tests.support.samples import VERSION
from tests.support.stdio_session import INITIALIZED, Session, initialize, version_call


async def test_a_line_over_the_limit_is_dropped_and_the_session_goes_on(
    argo: FakeArgo, argo_url: str, tmp_path: Path
) -> None:
    argo.on("InfoService_GetVersion", VERSION)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "argo_mcp", "--stdio", "--argo-server-url", argo_url, "--argo-auth-mode", "none",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=(tmp_path / "stderr.log").open("wb"), env=clean_env(), cwd=REPO, limit=2**24,
    )  # fmt: skip
    session = Session(proc)
    await session.send(initialize(), INITIALIZED)
    assert json.loads(await session.line())["id"] == 1
    huge = {
        "jsonrpc": "2.0",
        "id": 2,
        "method": "tools/call",
        "params": {"name": "x" * (MAX_LINE_BYTES + 10)},
    }
    await session.send(huge, version_call(3))
    answer = json.loads(await session.line())
    assert answer["id"] == 3, "the overlong request is not answered, the next one is"
    assert json.loads(answer["result"]["content"][0]["text"])["version"] == VERSION["version"]
    assert await session.close() == 0


def test_stdin_and_stdout_as_regular_files(argo: FakeArgo, argo_url: str, tmp_path: Path) -> None:
    requests = tmp_path / "in.jsonl"
    requests.write_text(json.dumps(initialize()) + "\n" + json.dumps(INITIALIZED) + "\n")
    answers = tmp_path / "out.jsonl"
    with requests.open("rb") as stdin, answers.open("wb") as stdout:
        done = subprocess.run(
            [sys.executable, "-m", "argo_mcp", "--stdio", "--argo-server-url", argo_url, "--argo-auth-mode", "none"],
            stdin=stdin, stdout=stdout, stderr=subprocess.PIPE, env=clean_env(), cwd=REPO, timeout=60, check=False,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(answers.read_text().splitlines()[0])["result"]["serverInfo"]["name"] == "argo-mcp"
