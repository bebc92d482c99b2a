"""Pins of upstream releases that only their Go modules can confirm (so not in the Go-free unit suite)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.e2e.stack import kind as K
from tests.e2e.stack import versions as V


def test_the_pinned_node_image_is_the_pinned_kinds_own() -> None:
    v = V.load()
    if not V.module_dir("sigs.k8s.io/kind", v.kind).is_dir():
        subprocess.run(
            ["go", "mod", "download", f"sigs.k8s.io/kind@{v.kind}"],
            env=V.go_env(),
            cwd=Path(__file__).parent,
            check=True,
            capture_output=True,
            timeout=600,
        )
    assert K.kind_default_node_image(v.kind) == v.kind_node_image
    assert "@sha256:" in v.kind_node_image  # pinned by digest, as kind's release pins it
