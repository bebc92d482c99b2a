"""The stdio discovery cache: a second start answers initialize and tools/list before loading the server, with
exactly the bytes the server sent the first time, and the session then works as if nothing had happened."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.fake_argo import FakeArgo
from tests.support.samples import VERSION
from tests.support.stdio_session import (
    INITIALIZED,
    Session,
    initialize,
    start_stdio,
    stderr_log,
    tools_list,
    version_call,
)

PROTOCOL = "2025-11-25"


async def _discover(
    argo_url: str, cache: Path, tmp_path: Path, *flags: str, env: dict[str, str] | None = None
) -> tuple[bytes, bytes]:
    session = await start_stdio(argo_url, cache, tmp_path, "--argo-auth-mode", "none", *flags, env=env)
    await session.send(initialize(), INITIALIZED, tools_list(2))
    answers = await session.line(), await session.line()
    assert await session.close() == 0
    return answers


async def _session_after_cached_discovery(argo: FakeArgo, argo_url: str, tmp_path: Path) -> Session:
    """A stdio session started once a first start has cached discovery: what it is asked next is served by the
    real server (Argo answers the version)."""
    argo.on("InfoService_GetVersion", VERSION)
    cache = tmp_path / "cache"
    await _discover(argo_url, cache, tmp_path)
    return await start_stdio(argo_url, cache, tmp_path, "--argo-auth-mode", "none")


async def test_a_second_start_answers_discovery_from_the_cache_with_the_same_bytes(
    argo: FakeArgo, argo_url: str, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    first = await _discover(argo_url, cache, tmp_path)
    assert "discovery_answered_from_cache" not in stderr_log(tmp_path)
    assert len(list(cache.glob("*.json"))) == 1, "the first start records its answers"
    second = await _discover(argo_url, cache, tmp_path)
    assert "discovery_answered_from_cache" in stderr_log(tmp_path)
    assert second == first
    assert json.loads(first[1])["id"] == 2 and len(json.loads(first[1])["result"]["tools"]) > 30


async def test_after_a_cached_discovery_the_session_serves_calls_and_other_requests(
    argo: FakeArgo, argo_url: str, tmp_path: Path
) -> None:
    session = await _session_after_cached_discovery(argo, argo_url, tmp_path)
    # tools/list and a call in one chunk: the call is read by the fast path and must reach the real server.
    await session.send(initialize("init"), INITIALIZED, tools_list(2), version_call(3))
    answers = [json.loads(await session.line()) for _ in range(3)]
    assert [a["id"] for a in answers] == ["init", 2, 3], "the replayed initialize is not answered twice"
    assert json.loads(answers[2]["result"]["content"][0]["text"])["version"] == VERSION["version"]
    await session.send({"jsonrpc": "2.0", "id": 4, "method": "prompts/list"})
    assert json.loads(await session.line())["result"]["prompts"]
    assert await session.close() == 0
    assert "discovery_answered_from_cache" in stderr_log(tmp_path)


async def test_a_call_instead_of_tools_list_is_served_by_the_real_server(
    argo: FakeArgo, argo_url: str, tmp_path: Path
) -> None:
    session = await _session_after_cached_discovery(argo, argo_url, tmp_path)
    await session.send(initialize(7))
    assert json.loads(await session.line())["id"] == 7
    await session.send(INITIALIZED, version_call(8))
    answer = json.loads(await session.line())
    assert answer["id"] == 8 and not answer["result"].get("isError"), answer
    assert await session.close() == 0


async def test_other_flags_are_another_entry_and_other_answers(
    argo: FakeArgo, argo_url: str, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    full = await _discover(argo_url, cache, tmp_path)
    read_only = await _discover(argo_url, cache, tmp_path, "--read-only")
    assert len(list(cache.glob("*.json"))) == 2
    assert "discovery_answered_from_cache" not in stderr_log(tmp_path)
    assert len(json.loads(read_only[1])["result"]["tools"]) < len(json.loads(full[1])["result"]["tools"])
    environment = await _discover(argo_url, cache, tmp_path, env={"ARGO_MCP_TOOLSETS": "workflows"})
    assert len(list(cache.glob("*.json"))) == 3 and environment != full


async def test_a_protocol_version_not_cached_is_answered_by_the_server_and_then_cached(
    argo: FakeArgo, argo_url: str, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    await _discover(argo_url, cache, tmp_path)
    for expected_hits in (0, 1):
        session = await start_stdio(argo_url, cache, tmp_path, "--argo-auth-mode", "none")
        await session.send(initialize(1, "2025-06-18"), INITIALIZED, tools_list(2))
        init = json.loads(await session.line())
        assert init["result"]["protocolVersion"] == "2025-06-18"
        assert json.loads(await session.line())["id"] == 2
        assert await session.close() == 0
        assert stderr_log(tmp_path).count("discovery_answered_from_cache") == expected_hits
    entry = json.loads(next(cache.glob("*.json")).read_text())
    assert set(entry["answers"]) == {PROTOCOL, "2025-06-18"}


async def test_the_cache_holds_no_token_and_off_writes_nothing(
    argo: FakeArgo, argo_url: str, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    token = "s3cr3t-token-value-never-stored"
    session = await start_stdio(
        argo_url, cache, tmp_path, "--argo-auth-mode", "bearer", env={"ARGO_TOKEN": token}
    )
    await session.send(initialize(), INITIALIZED, tools_list(2))
    await session.line(), await session.line()
    assert await session.close() == 0
    files = list(cache.iterdir())
    assert files and all(token not in f.read_text() and token not in f.name for f in files)
    assert not list(cache.glob("*.part")), "no partial file is left"
    off = tmp_path / "off"
    await _discover(argo_url, off, tmp_path, env={"ARGO_MCP_DISCOVERY_CACHE": "off"})
    assert not off.exists()


async def test_an_unwritable_cache_only_means_no_cache(argo: FakeArgo, argo_url: str, tmp_path: Path) -> None:
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("")
    first = await _discover(argo_url, blocked / "cache", tmp_path)
    second = await _discover(argo_url, blocked / "cache", tmp_path)
    assert first == second and "discovery_answered_from_cache" not in stderr_log(tmp_path)
