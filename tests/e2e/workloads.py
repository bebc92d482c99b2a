"""Workflow pieces that run for real on the stack's node: busybox shell scripts in the workload image.

Every e2e workflow runs real containers under Argo's real argoexec, so what a test checks is what only a real
container produces: exit codes of real scripts, files argoexec uploads to S3 and passes as parameters, logs the
kubelet serves, a hostname equal to the pod name. These helpers keep the scripts short and in one place.
"""

from __future__ import annotations

import shlex
from typing import Any

from tests.e2e.stack.fixture import E2EStack
from tests.e2e.stack.images import workload_ref

JSON = dict[str, Any]
FLAGS_MOUNT = "/e2e-flags"
# What `numbered_lines` prints per line (about 64 bytes), so a test can size a long log.
LINE_PAD = "argo-mcp e2e long log padding ................"


def container(script: str = "true") -> JSON:
    """A container of the workload image running `script` with busybox sh."""
    return {"image": workload_ref(), "command": ["sh", "-c", script]}


def numbered_lines(count: int) -> str:
    """A script fragment printing `count` numbered lines (`line <i> of <count> <pad>`)."""
    return f'i=1; while [ "$i" -le {count} ]; do echo "line $i of {count} {LINE_PAD}"; i=$((i+1)); done'


def echo(text: str) -> str:
    """A script fragment printing `text` exactly (quoted for sh)."""
    return f"printf '%s\\n' {shlex.quote(text)}"


def flags_volume(stack: E2EStack) -> JSON:
    """A hostPath directory on the node, shared by every run of a workflow: it lets a step fail only once."""
    root = stack.run_dir / "e2e-flags" if stack.run_dir else "/tmp/argo-mcp-e2e-flags"
    return {"name": "e2e-flags", "hostPath": {"path": str(root), "type": "DirectoryOrCreate"}}


def fail_once(then: str = "true") -> JSON:
    """A container that exits 1 the first time it runs in a workflow and runs `then` on later runs (a retry, or
    the same workflow restored from the archive). Needs `flags_volume` in the workflow's volumes."""
    script = (
        'flag="' + FLAGS_MOUNT + '/{{workflow.name}}"; '
        'if [ -e "$flag" ]; then echo "second run: succeeding"; ' + then + "; "
        'else touch "$flag"; echo "first run: failing on purpose" >&2; exit 1; fi'
    )
    return {**container(script), "volumeMounts": [{"name": "e2e-flags", "mountPath": FLAGS_MOUNT}]}
