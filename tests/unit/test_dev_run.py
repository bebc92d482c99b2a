"""`./dev run --help` prints help and nothing else: no virtualenv install, no Go, no stack build or start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.processes import REPO


def test_dev_run_help_builds_and_starts_nothing(tmp_path: Path) -> None:
    # Every program the stack path would run first (python for the stack, go for its tools) leaves a mark.
    shims = tmp_path / "bin"
    shims.mkdir()
    marks = tmp_path / "marks"
    for name in ("python", "python3", "go", "pip"):
        shim = shims / name
        shim.write_text(f'#!/bin/sh\necho {name} "$@" >> {marks}\nexit 1\n')
        shim.chmod(0o755)
    cache = tmp_path / "cache"
    env = {
        "PATH": f"{shims}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "ARGO_MCP_CACHE": str(cache),
        "ARGO_MCP_VENV": str(Path(sys.executable).parent.parent),
        "ARGO_SERVER_URL": "",
    }
    for flag in ("--help", "-h"):
        proc = subprocess.run(
            [str(REPO / "dev"), "run", "--port", "9", flag],
            env={**env, "LANG": os.environ.get("LANG", "C.UTF-8")},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        assert "Ctrl-C stops argo-mcp and the local stack this command started" in proc.stdout
        assert "usage: argo-mcp" in proc.stdout and "--argo-server-url" in proc.stdout
    assert not marks.exists(), f"./dev run --help ran: {marks.read_text()}"
    assert not cache.exists(), "./dev run --help wrote to the cache (a build or a token)"
