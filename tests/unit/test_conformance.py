"""The MCP conformance suite's fixture-free server scenarios pass against argo-mcp (scripts/conformance).

The script installs the suite and a Node 24 from PyPI into ~/.cache/argo-mcp/conformance on first use (needs
the npm registry and PyPI; later runs install nothing), starts argo-mcp and fails on any failed check that is not
in scripts/conformance-expected-failures.yml, or on an entry there that now passes. ~15 s warm."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support.processes import REPO


@pytest.mark.timeout(900)  # a cold cache downloads Node and the suite
def test_the_conformance_suite_passes() -> None:
    env = {**os.environ, "PYTHON": sys.executable}
    done = subprocess.run(
        [str(REPO / "scripts" / "conformance")],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=880,
        check=False,
    )
    report = done.stdout + done.stderr
    assert done.returncode == 0, report
    assert "PASS 2026-07-28 server-stateless" in report, report
    assert "PASS 2026-07-28 dns-rebinding-protection" in report, report
    assert "FAIL" not in report, report
