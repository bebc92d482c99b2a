"""The stdio discovery cache trusts only what this user wrote (issue 27, point 1): a directory or entry someone
else owns or may write is refused, symbolic links are never followed, each entry is bound to its key by an HMAC
with a per-user secret, and pruning touches only the cache's own entries.

The tests run as root, so "another user" is uid 12345 via chown."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import pytest

from argo_mcp import discovery
from tests.support.fake_argo import FakeArgo
from tests.support.stdio_session import INITIALIZED, start_stdio, stderr_log, tools_list
from tests.support.stdio_session import initialize as _initialize

OTHER_UID = 12345
PROTOCOL = "2025-11-25"


def _answers(tag: str) -> dict[str, str]:
    return {
        "initialize": json.dumps({"protocolVersion": PROTOCOL, "instructions": f"instructions {tag}"}),
        "tools/list": json.dumps({"tools": [{"name": "get_workflow", "description": f"tool {tag}"}]}),
    }


def _entry(directory: Path, *argv: str) -> Path:
    path = discovery.cache_path(["--stdio", *argv], {discovery.CACHE_VARIABLE: str(directory)})
    assert path is not None
    return path


def _private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700)
    path.chmod(0o700)
    return path


def _snapshot(directory: Path) -> dict[str, bytes | str]:
    return {
        p.name: (os.readlink(p) if p.is_symlink() else p.read_bytes()) for p in sorted(directory.iterdir())
    }


def test_a_stored_entry_is_served_and_the_secret_is_private(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    path = _entry(cache)
    assert discovery.store(path, PROTOCOL, _answers("real"))
    assert discovery.load(path) == {PROTOCOL: _answers("real")}
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    secret = cache / discovery.SECRET_FILE
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600 and not secret.is_symlink()
    assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0
    # A secret others can read protects nothing: the whole cache is refused.
    secret.chmod(0o644)
    with pytest.raises(discovery.CacheRefused, match=re.escape(str(cache))):
        discovery.load(path)
    assert not discovery.store(path, PROTOCOL, _answers("other"))


def test_an_entry_planted_by_another_user_is_not_served(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    path = _entry(cache, "--read-only")
    assert discovery.store(path, PROTOCOL, _answers("real"))
    # Even with a valid HMAC (root can read the secret; a co-tenant cannot), another user's file is refused.
    secret = bytes.fromhex((cache / discovery.SECRET_FILE).read_text())
    path.write_bytes(discovery.seal(secret, path.stem, {PROTOCOL: _answers("planted")}))
    os.chown(path, OTHER_UID, OTHER_UID)
    with pytest.raises(discovery.CacheRefused, match="owned by uid 12345") as refused:
        discovery.load(path)
    assert str(path) in str(refused.value) and not refused.value.whole_cache
    # Ours by ownership, but sealed without the secret (what a co-tenant who reads the code can compute).
    path.unlink()
    path.write_bytes(discovery.seal(b"guessed" * 4, path.stem, {PROTOCOL: _answers("planted")}))
    path.chmod(0o600)
    with pytest.raises(discovery.CacheRefused, match="HMAC"):
        discovery.load(path)
    # An entry valid for another key, copied under this key's name, does not verify either.
    other = _entry(cache, "--toolsets", "info")
    assert discovery.store(other, PROTOCOL, _answers("other key"))
    path.write_bytes(other.read_bytes())
    with pytest.raises(discovery.CacheRefused):
        discovery.load(path)
    # Storing replaces the refused entry with our own, which is then served.
    assert discovery.store(path, PROTOCOL, _answers("real"))
    assert discovery.load(path) == {PROTOCOL: _answers("real")}


@pytest.mark.parametrize("mode", [0o770, 0o707, 0o777, 0o1777], ids=oct)
def test_a_directory_writable_by_group_or_others_is_refused(tmp_path: Path, mode: int) -> None:
    cache = _private_dir(tmp_path / "cache")
    path = _entry(cache)
    assert discovery.store(path, PROTOCOL, _answers("real"))
    before = _snapshot(cache)
    cache.chmod(mode)
    with pytest.raises(
        discovery.CacheRefused, match=re.escape(f"{cache} is writable by group or others")
    ) as refused:
        discovery.load(path)
    assert f"chmod go-w {cache}" in str(refused.value) and refused.value.whole_cache
    assert not discovery.store(path, PROTOCOL, _answers("new"))
    assert not discovery.store(_entry(cache, "--read-only"), PROTOCOL, _answers("new"))
    assert _snapshot(cache) == before, "nothing in a refused directory is written or removed"


def test_a_directory_owned_by_another_user_is_refused(tmp_path: Path) -> None:
    cache = _private_dir(tmp_path / "cache")
    os.chown(cache, OTHER_UID, OTHER_UID)
    path = _entry(cache)
    assert not discovery.store(path, PROTOCOL, _answers("real"))
    assert list(cache.iterdir()) == []
    with pytest.raises(discovery.CacheRefused, match="owned by uid 12345"):
        (cache / path.name).write_text("{}")
        discovery.load(path)


def test_a_symlinked_directory_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    target = _private_dir(tmp_path / "victim")
    for index in range(20):
        (target / f"{index:032x}.json").write_text(f"victim {index}")
    before = _snapshot(target)
    link = tmp_path / "cache"
    link.symlink_to(target)
    for index in range(discovery.MAX_ENTRIES + 2):
        assert not discovery.store(_entry(link, f"--n={index}"), PROTOCOL, _answers("real"))
    with pytest.raises(discovery.CacheRefused, match="symbolic link") as refused:
        discovery.load(_entry(link))
    assert str(link) in str(refused.value)
    assert _snapshot(target) == before, "nothing in the link's target is written or removed"


def test_a_symlinked_entry_is_not_followed_and_its_target_untouched(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    path = _entry(cache)
    assert discovery.store(path, PROTOCOL, _answers("planted"))  # a valid entry, moved out and linked to
    victim = tmp_path / "victim.json"
    path.rename(victim)
    content = victim.read_bytes()
    path.symlink_to(victim)
    with pytest.raises(discovery.CacheRefused, match="symbolic link"):
        discovery.load(path)
    assert discovery.store(path, PROTOCOL, _answers("real"))
    assert not path.is_symlink() and victim.read_bytes() == content
    assert discovery.load(path) == {PROTOCOL: _answers("real")}


def test_pruning_leaves_unrelated_files_links_and_other_users_files_alone(tmp_path: Path) -> None:
    cache = _private_dir(tmp_path / "cache")
    old = 1_600_000_000
    unrelated = [cache / f"report-{index}.json" for index in range(30)]
    for index, file in enumerate(unrelated):
        file.write_text(f"report {index}")
        os.utime(file, (old, old))
    foreign = [_entry(cache, f"--foreign={index}") for index in range(2)]
    for file in foreign:
        file.write_text("someone else's")
        os.chown(file, OTHER_UID, OTHER_UID)
        os.utime(file, (old, old), follow_symlinks=False)
    victim = tmp_path / "victim.json"
    victim.write_text("outside")
    os.utime(victim, (old, old))
    linked = _entry(cache, "--linked")
    linked.symlink_to(victim)
    os.utime(linked, (old, old), follow_symlinks=False)
    ours = [_entry(cache, f"--n={index}") for index in range(discovery.MAX_ENTRIES + 4)]
    for path in ours:
        assert discovery.store(path, PROTOCOL, _answers(path.name))
    assert all(f.read_text() == f"report {i}" for i, f in enumerate(unrelated)), "unrelated files stay"
    assert all(f.exists() and f.read_text() == "someone else's" for f in foreign), "others' files stay"
    assert linked.is_symlink() and victim.read_text() == "outside", "a link and its target stay"
    kept = [path for path in ours if path.exists()]
    assert len(kept) == discovery.MAX_ENTRIES and kept == ours[-discovery.MAX_ENTRIES :]


async def test_a_planted_entry_is_not_served_by_a_real_server(
    argo: FakeArgo, argo_url: str, tmp_path: Path
) -> None:
    """End to end, the issue's case: a --read-only stdio server must not advertise what another user planted."""
    cache = tmp_path / "cache"

    async def discover() -> tuple[bytes, bytes]:
        session = await start_stdio(argo_url, cache, tmp_path, "--argo-auth-mode", "none", "--read-only")
        await session.send(_initialize(), INITIALIZED, tools_list(2))
        answers = await session.line(), await session.line()
        assert await session.close() == 0
        return answers

    real = await discover()
    (entry,) = cache.glob("*.json")
    secret = bytes.fromhex((cache / discovery.SECRET_FILE).read_text())
    tools = json.loads(real[1])["result"]
    tools["tools"].append({"name": "delete_workflow", "description": "INJECTED", "inputSchema": {}})
    init = json.loads(real[0])["result"] | {"instructions": "PLANTED instructions"}
    planted = {PROTOCOL: {"initialize": json.dumps(init), "tools/list": json.dumps(tools)}}
    entry.write_bytes(discovery.seal(secret, entry.stem, planted))
    os.chown(entry, OTHER_UID, OTHER_UID)

    second = await discover()
    assert second == real and b"INJECTED" not in second[1] and b"PLANTED" not in second[0]
    log = stderr_log(tmp_path)
    assert "discovery_answered_from_cache" not in log
    warnings = [json.loads(line) for line in log.splitlines() if "discovery_cache_refused" in line]
    assert len(warnings) == 1 and str(entry) in warnings[0]["message"], warnings
    assert warnings[0]["level"] == "warning" and "owned by uid 12345" in warnings[0]["message"]
    assert entry.stat().st_uid == os.geteuid(), "the refused entry was replaced by the server's own"
    assert await discover() == real and "discovery_answered_from_cache" in stderr_log(tmp_path)
