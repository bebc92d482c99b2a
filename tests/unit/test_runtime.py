"""Process tuning: no GC while starting, a frozen start-up heap and server thresholds afterwards."""

from __future__ import annotations

import subprocess
import sys

from tests.support.processes import REPO, clean_env

CHECK = """
import gc
from argo_mcp import runtime
runtime.start_up()
assert not gc.isenabled(), "collection stays off while the SDK is imported"
import argo_mcp.server
runtime.settle()
assert gc.isenabled() and gc.get_threshold() == runtime.GC_THRESHOLDS, gc.get_threshold()
assert gc.get_freeze_count() > 10_000, gc.get_freeze_count()
async def loop_module():
    import asyncio
    return type(asyncio.get_running_loop()).__module__
import importlib.util
expected = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
assert runtime.run(loop_module()).startswith(expected)
print("ok")
"""


def test_gc_is_frozen_and_tuned_after_start_up() -> None:
    # in a fresh interpreter: the test process's own collector must stay as it is
    done = subprocess.run(
        [sys.executable, "-c", CHECK],
        check=False,
        env=clean_env(),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
