"""The local image build's cache keys (tests/e2e/stack/project_image.py, python_base.py): what changes the hash.

The build itself runs in tests/e2e/test_image.py; here only the pure parts, which decide whether a stale image
could be reused (a source change that does not change the hash) or a good one rebuilt for nothing.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.e2e.stack import project_image as P
from tests.e2e.stack import python_base as B


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the files the image hash reads, as the module's repository root."""
    for name in P.HASHED_FILES:
        shutil.copy2(P.REPO / name, tmp_path / name)
    for d in P.CONTEXT_DIRS:
        shutil.copytree(P.REPO / d, tmp_path / d, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(P, "REPO", tmp_path)
    return tmp_path


def test_hash_follows_sources_lock_and_dockerfile(tree: Path) -> None:
    first = P.image_hash()
    assert re.fullmatch(r"[0-9a-f]{16}", first)
    assert P.image_hash() == first, "the hash must be stable"
    for changed in ("operator/argo_mcp_operator/__init__.py", "uv.lock", "Dockerfile", "argo_mcp/cli.py"):
        path = tree / changed
        original = path.read_bytes()
        path.write_bytes(original + b"\n# changed\n")
        assert P.image_hash() != first, f"{changed} must change the image hash"
        path.write_bytes(original)
    (tree / "argo_mcp" / "new_module.py").write_text("X = 1\n")
    assert P.image_hash() != first, "a new source file must change the hash"


def test_hash_ignores_caches(tree: Path) -> None:
    first = P.image_hash()
    cache = tree / "argo_mcp" / "__pycache__"
    cache.mkdir()
    (cache / "cli.cpython-311.pyc").write_bytes(b"\0")
    (tree / "operator" / ".mypy_cache").mkdir()
    (tree / "operator" / ".mypy_cache" / "x.json").write_text("{}")
    assert P.image_hash() == first


def test_hash_follows_the_base_recipe(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, base = P.image_hash(), B.base_ref()
    monkeypatch.setattr(B, "RECIPE", B.RECIPE + " ")
    assert P.image_hash() != first and B.base_ref() != base


def test_names(tree: Path) -> None:
    digest = P.image_hash()
    assert P.image_ref() == f"localhost/argo-mcp:{P.project_version()}-{digest[:12]}"
    assert P.archive_path().name == f"argo-mcp-{digest}.tar"
    assert re.fullmatch(r"localhost/argo-mcp-base:bookworm-[0-9a-f]{16}", B.base_ref())
    assert B.rootfs_archive().name.startswith("argo-mcp-base-bookworm-")


def test_wheel_platforms_cover_bookworm_glibc() -> None:
    platforms = P._platform_args()[1::2]
    assert {"manylinux_2_36_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"} <= set(platforms)
    assert not [p for p in platforms if re.fullmatch(r"manylinux_2_(3[7-9]|[4-9]\d)_x86_64", p)]


def test_mounts_under_matches_the_folder_not_a_sibling() -> None:
    # /proc is a mount everywhere this runs: "under /proc" finds it (deepest first), "under /pro" must not.
    under_proc = B.mounts_under(Path("/proc"))
    assert under_proc and under_proc[-1] == "/proc"
    assert B.mounts_under(Path("/pro")) == []
