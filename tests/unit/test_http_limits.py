"""Connection exhaustion (issue 11, defect 5): idle and slow connections are closed, their number is capped,
tool calls in flight are capped, and with 2,000 idle connections held open (twice the default
--max-connections) real calls still answer."""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx2

from argo_mcp.transport.connections import FD_HEADROOM, ensure_fd_headroom
from tests.support.fake_argo import FakeArgo
from tests.support.processes import ServerProcess, http_client, start_without_argo_auth, text_of
from tests.support.samples import VERSION

Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def _open_idle(server: ServerProcess, count: int) -> list[Conn]:
    """`count` connections that connect and then send nothing (bounded: opened in batches on loopback)."""
    conns: list[Conn] = []
    for start in range(0, count, 100):
        batch = [
            asyncio.open_connection("127.0.0.1", server.port) for _ in range(start, min(count, start + 100))
        ]
        conns += await asyncio.gather(*batch)
    return conns


async def _closed_by_server(conn: Conn, within: float) -> bool:
    """Whether the server closes the connection (EOF) within `within` seconds."""
    try:
        return await asyncio.wait_for(conn[0].read(1024), within) == b""
    except TimeoutError:
        return False
    except ConnectionError:
        return True


def _close_all(conns: list[Conn]) -> None:
    for _, writer in conns:
        writer.close()


@contextlib.asynccontextmanager
async def _serving(
    tmp_path: Path, argo_url: str, *flags: str
) -> AsyncIterator[tuple[ServerProcess, list[Conn]]]:
    """A server started with `flags` and a list for the raw connections the test opens: all are closed, and the
    server stopped, when the block ends."""
    server = await start_without_argo_auth(tmp_path, argo_url, *flags)
    conns: list[Conn] = []
    try:
        yield server, conns
    finally:
        _close_all(conns)
        await server.stop()


async def _version_call_seconds(server: ServerProcess) -> float:
    started = time.perf_counter()
    async with http_client(server.url) as client:
        result = await client.call_tool("get_argo_version", {})
    assert not result.is_error, text_of(result)
    return time.perf_counter() - started


async def test_2000_idle_connections_do_not_starve_real_calls_and_are_closed(
    argo: FakeArgo, argo_url: str, tmp_path: Path
) -> None:
    argo.on("InfoService_GetVersion", VERSION)
    async with _serving(tmp_path, argo_url, "--http-header-timeout", "3") as (server, conns):
        conns.extend(await _open_idle(server, 2000))
        seconds = await _version_call_seconds(server)
        assert seconds < 5, f"a real call took {seconds:.1f}s with 2000 idle connections open"
        async with httpx2.AsyncClient() as http:
            assert (await http.get(f"{server.base}/healthz", timeout=5)).status_code == 200
        # Nothing was ever sent on them: the header timeout closes every one.
        closed = await asyncio.gather(*(_closed_by_server(c, 10) for c in conns))
        assert all(closed), f"{closed.count(False)} idle connections were left open"


async def test_slow_headers_idle_keep_alive_and_get_streams_are_cut(
    argo: FakeArgo, argo_url: str, tmp_path: Path
) -> None:
    timeouts = ("--http-header-timeout", "2", "--http-idle-timeout", "1")
    async with _serving(tmp_path, argo_url, *timeouts) as (server, _):
        # Slowloris: one header byte every 0.25 s never completes a request; it is cut at the header timeout.
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"POST /mcp HTTP/1.1\r\nHost: localhost\r\n")
        started, sent = time.perf_counter(), 0
        with contextlib.suppress(ConnectionError):
            while time.perf_counter() - started < 8 and not reader.at_eof():
                writer.write(b"X")
                await writer.drain()
                sent += 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(reader.read(1024), 0.25)
        elapsed = time.perf_counter() - started
        writer.close()
        assert sent > 4 and elapsed < 4, f"slow headers were held {elapsed:.1f}s ({sent} bytes)"

        # Keep-alive: after an answer, an idle connection is closed after --http-idle-timeout.
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        answer = await asyncio.wait_for(reader.readuntil(b'{"status":"ok"}'), 5)
        assert answer.startswith(b"HTTP/1.1 200")
        assert await _closed_by_server((reader, writer), 4)
        writer.close()

        # GET /mcp would open an SSE stream a stateless server can never use: 405, not an endless stream.
        async with httpx2.AsyncClient() as http:
            response = await http.get(server.url, headers={"Accept": "text/event-stream"}, timeout=5)
        assert response.status_code == 405


async def test_connection_limit_evicts_the_longest_idle(
    argo: FakeArgo, argo_url: str, tmp_path: Path
) -> None:
    argo.on("InfoService_GetVersion", VERSION)
    limits = ("--max-connections", "20", "--http-header-timeout", "60")
    async with _serving(tmp_path, argo_url, *limits) as (server, conns):
        for _ in range(40):  # one by one, so the server sees them in this order
            conns.append(await asyncio.open_connection("127.0.0.1", server.port))
            await asyncio.sleep(0.01)
        closed = await asyncio.gather(*(_closed_by_server(c, 3) for c in conns))
        # The first 20 were evicted by the next 20 (well before the 60 s header timeout); the newest stay.
        assert closed[:20] == [True] * 20 and closed[20:] == [False] * 20, closed
        assert await _version_call_seconds(server) < 5


async def test_calls_beyond_the_in_flight_limit_are_refused_before_argo(
    argo: FakeArgo, argo_url: str, tmp_path: Path
) -> None:
    async def slow_version() -> AsyncIterator[bytes]:
        await asyncio.sleep(2)
        yield json.dumps(VERSION).encode()

    argo.on("InfoService_GetVersion", stream=slow_version)
    server = await start_without_argo_auth(tmp_path, argo_url, "--max-inflight-calls", "1")
    try:
        async with http_client(server.url) as first, http_client(server.url) as second:
            slow = asyncio.create_task(first.call_tool("get_argo_version", {}))
            await asyncio.sleep(0.8)
            refused = await second.call_tool("get_argo_version", {})
            done = await slow
    finally:
        await server.stop()
    assert not done.is_error, text_of(done)
    assert refused.is_error
    assert "argo-mcp is busy: 1 calls are already running (--max-inflight-calls)" in text_of(refused)
    assert len(argo.calls("InfoService_GetVersion")) == 1


SLOW_BODY = (
    b"POST /mcp HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
    b'Accept: application/json, text/event-stream\r\nContent-Length: 100\r\n\r\n{"jsonrpc"'
)


async def test_slow_bodies_are_cut_and_busy_connections_are_never_evicted(
    argo: FakeArgo, argo_url: str, tmp_path: Path
) -> None:
    server = await start_without_argo_auth(
        tmp_path, argo_url, "--http-body-timeout", "1.5", "--max-connections", "2"
    )
    busy: list[Conn] = []
    try:
        for _ in range(2):  # two requests whose bodies never finish: both connections are busy, not idle
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(SLOW_BODY)
            await writer.drain()
            busy.append((reader, writer))
        await asyncio.sleep(0.3)
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        refused = await asyncio.wait_for(reader.read(), 5)
        writer.close()
        assert refused.startswith(b"HTTP/1.1 503 ") and b"every connection is busy" in refused, refused
        # The body timeout then cuts both slow requests, and the listener is usable again.
        assert all(await asyncio.gather(*(_closed_by_server(c, 4) for c in busy)))
        argo.on("InfoService_GetVersion", VERSION)
        assert await _version_call_seconds(server) < 5
    finally:
        _close_all(busy)
        await server.stop()


def test_the_open_files_limit_is_raised_to_fit_the_connection_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (512, hard))
        ensure_fd_headroom(1000)
        assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == min(1000 + FD_HEADROOM, hard)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


async def test_a_peer_trickling_bodies_cannot_lock_other_peers_out(
    argo: FakeArgo, argo_url: str, tmp_path: Path
) -> None:
    """Another loopback address (127.0.0.2) fills --max-connections with bodies that never finish and reopens
    each one it loses; a client from 127.0.0.1 still gets every answer, as the trickler's connections are the
    ones closed to make room."""
    argo.on("InfoService_GetVersion", VERSION)
    server = await start_without_argo_auth(
        tmp_path, argo_url, "--max-connections", "4", "--http-body-timeout", "60"
    )
    held: list[Conn] = []
    stop = asyncio.Event()

    async def trickle() -> None:
        while not stop.is_set():
            held[:] = [conn for conn in held if not conn[0].at_eof()]
            while len(held) < 4 and not stop.is_set():
                conn = await asyncio.open_connection("127.0.0.1", server.port, local_addr=("127.0.0.2", 0))
                conn[1].write(SLOW_BODY)
                await conn[1].drain()
                held.append(conn)
            await asyncio.sleep(0.05)

    attacker = asyncio.create_task(trickle())
    try:
        await asyncio.sleep(0.5)
        answered = 0
        for _ in range(10):
            with contextlib.suppress(Exception):
                answered += await _version_call_seconds(server) < 10
        assert answered == 10, f"{answered} of 10 calls were answered while another peer trickled bodies"
    finally:
        stop.set()
        attacker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await attacker
        _close_all(held)
        await server.stop()
    records = [r for r in server.logs() if r.get("event") == "http_connection_evicted"]
    assert records and all(r["peer"] == "127.0.0.2" for r in records), records
