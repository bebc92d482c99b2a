"""Argo misbehaving and clients abusing the protocol, against one argo-mcp process on loopback: every fault is a
clean tool error or a clean HTTP refusal, /healthz stays prompt throughout, and the planted secrets (argo-mcp's
Argo token, a caller's token) appear in no answer and no log line. Every loop is bounded in count and time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from tests.support.chaos_argo import ChaosArgo, Mode
from tests.support.processes import ServerProcess, start_argo_mcp
from tests.support.raw_mcp import HEADERS, Answer, Prober, call_tool

ARGO_TOKEN = "planted-argo-token-9b1f4e77c2"
CALLER_TOKEN = "planted-caller-token-41d0aa93"
SECRETS = (ARGO_TOKEN, CALLER_TOKEN)
CALLER = {"Authorization": f"Bearer {CALLER_TOKEN}"}
ARGO_TIMEOUT = 2
HEALTHZ_WORST = 2.0  # seconds: /healthz must answer within this during every fault
INTERNAL = ("failed unexpectedly", "Traceback")

CALLS: list[tuple[str, dict[str, Any]]] = [
    ("get_workflow", {"name": "wf"}),
    ("list_workflows", {}),
    ("get_pod_logs", {"name": "wf", "podName": "wf-1", "timeLimitSeconds": 2}),
]


class Rig:
    def __init__(self, chaos: ChaosArgo, server: ServerProcess, session: aiohttp.ClientSession) -> None:
        self.chaos, self.server, self.session = chaos, server, session
        self.answers: list[str] = []

    async def call(self, name: str, arguments: dict[str, Any], timeout: float = 60) -> Answer:
        answer = await call_tool(
            self.session, self.server.url, name, arguments, headers=CALLER, timeout=timeout
        )
        self.answers.append(answer.body)
        return answer


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def rig(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Rig]:
    chaos = ChaosArgo(mode=Mode.OK)
    await chaos.start()
    server = await start_argo_mcp(
        tmp_path_factory.mktemp("robust"),
        "--argo-server-url",
        chaos.url,
        "--argo-auth-mode",
        "bearer",
        "--argo-timeout",
        str(ARGO_TIMEOUT),
        "--argo-max-response-mib",
        "1",
        "--http-header-timeout",
        "1",
        "--http-body-timeout",
        "2",
        "--http-idle-timeout",
        "2",
        "--max-connections",
        "200",
        env={"ARGO_TOKEN": ARGO_TOKEN},
    )
    try:
        async with aiohttp.ClientSession() as session:
            yield Rig(chaos, server, session)
    finally:
        await server.stop()
        await chaos.stop()
    # Across everything this module did: no planted secret in any log line or answer, no internal error.
    log = server.stderr()
    for secret in SECRETS:
        assert secret not in log
    assert "tool_failed_unexpectedly" not in log


# ---- faults from Argo ----------------------------------------------------------------------------------------
FAULTS = [
    Mode.DOWN,
    Mode.SLOW,
    Mode.ERROR_5XX,
    Mode.NOT_FOUND,
    Mode.RESET,
    Mode.MALFORMED,
    Mode.ODD_JSON,
    Mode.HUGE,
    Mode.ENDLESS,
]


@pytest.mark.parametrize("mode", FAULTS, ids=str)
async def test_each_argo_fault_is_a_clean_tool_error_and_healthz_stays_prompt(rig: Rig, mode: Mode) -> None:
    if mode is Mode.DOWN:
        await rig.chaos.stop()
    rig.chaos.mode = mode
    try:
        async with Prober(rig.server.base).running() as prober:
            for name, arguments in CALLS:
                started = time.monotonic()
                answer = await rig.call(name, arguments)
                took = time.monotonic() - started
                assert answer.status == 200 and answer.message is not None, answer.body[:300]
                assert "result" in answer.message, answer.message
                for marker in INTERNAL:
                    assert marker not in answer.text, (mode, name, answer.text)
                for secret in SECRETS:
                    assert secret not in answer.body
                # A log is text, line by line: a body that never ends, is huge or is not JSON is answered as
                # (capped) log lines, cut at timeLimitSeconds and the 64 KiB cap. Everything else is an error.
                as_log = name == "get_pod_logs" and mode in (Mode.ENDLESS, Mode.HUGE, Mode.MALFORMED)
                assert answer.tool_error or as_log, (mode, name, answer.text[:300])
                assert len(answer.text) < (70_000 if as_log else 2000), answer.text[:300]
                # Bounded: the Argo timeout, GET retries and the log time limit, never the 60 s fault itself.
                assert took < 20, (mode, name, took)
        assert prober.failures == 0 and prober.worst < HEALTHZ_WORST, (mode, prober)
    finally:
        if mode is Mode.DOWN:
            await rig.chaos.start()
        rig.chaos.mode = Mode.OK
    ok = await rig.call("get_workflow", {"name": "wf"})
    assert not ok.tool_error, ok.text  # and it recovers at once


# ---- protocol abuse ------------------------------------------------------------------------------------------
MALFORMED_BODIES: list[bytes] = [
    b"",
    b"{",
    b"null",
    b"[]",
    b"[1, 2]",
    b'"tools/call"',
    b'{"jsonrpc": "2.0"}',
    b'{"jsonrpc": "1.0", "id": 1, "method": "tools/list"}',
    b'{"jsonrpc": "2.0", "id": {"x": 1}, "method": "tools/list"}',
    b'{"jsonrpc": "2.0", "id": 1, "method": 7}',
    b'{"jsonrpc": "2.0", "id": 1, "method": "no/such/method"}',
    b'{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": "x"}',
    b'{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "get_workflow", "arguments": []}}',
    b'{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "no_such_tool", "arguments": {}}}',
    b'{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": 5}}',
    b'{"jsonrpc": "2.0", "id": ' + b"9" * 5000 + b', "method": "tools/list"}',
    b'{"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    b'{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "get_workflow", '
    b'"arguments": {"name": "\xff\xfe"}}}',
    b'{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "get_workflow", '
    b'"arguments": {"name": "a\\u0000b"}}}',
    b"\x00" * 1000,
    b'[{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}]' * 1,
]


async def _healthy(rig: Rig) -> None:
    async with rig.session.get(
        f"{rig.server.base}/healthz", timeout=aiohttp.ClientTimeout(total=3)
    ) as response:
        assert response.status == 200


@pytest.mark.parametrize("body", MALFORMED_BODIES, ids=lambda b: repr(b[:40]))
async def test_malformed_json_rpc_is_refused_cleanly(rig: Rig, body: bytes) -> None:
    before = len(rig.chaos.requests)
    async with rig.session.post(
        rig.server.url, data=body, headers=CALLER | HEADERS, timeout=aiohttp.ClientTimeout(total=10)
    ) as response:
        text = await response.text(errors="replace")
    rig.answers.append(text)
    assert response.status < 500, (response.status, text[:300])
    for marker in INTERNAL:
        assert marker not in text
    assert len(rig.chaos.requests) == before  # none of these reaches Argo
    await _healthy(rig)


async def test_a_big_body_is_refused_or_answered_without_harm(rig: Rig) -> None:
    before = len(rig.chaos.requests)
    huge = "x" * (20 * 1024 * 1024)
    answer = await rig.call("get_workflow", {"name": huge}, timeout=60)
    assert answer.status in (200, 413), answer.status
    if answer.status == 200:
        assert answer.tool_error and "Invalid arguments for get_workflow: 'name'" in answer.text
    assert len(rig.chaos.requests) == before
    await _healthy(rig)


async def _raw_exchange(port: int, data: bytes, wait: float = 5) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        return await asyncio.wait_for(reader.read(65536), wait)
    except (ConnectionError, TimeoutError):
        return b""
    finally:
        writer.close()


def _request(headers: bytes, body: bytes = b'{"jsonrpc":"2.0","id":1,"method":"tools/list"}') -> bytes:
    return b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers + b"\r\n" + body


BAD_HEADERS: list[bytes] = [
    b"Content-Type: text/plain\r\nAccept: application/json, text/event-stream\r\nContent-Length: 46\r\n",
    b"Content-Type: application/json\r\nAccept: image/png\r\nContent-Length: 46\r\n",
    b"Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: -1\r\n",
    b"Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: x\r\n",
    b"Content-Type: application/json\r\nContent-Length: 46\r\nContent-Length: 7\r\n",
    b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"X-Big: " + b"a" * 200_000 + b"\r\nContent-Length: 46\r\n",
    b"X-Bin: \xff\xfe\x00\r\nContent-Length: 46\r\n",
    b"Bad Header Line\r\nContent-Length: 46\r\n",
    b"MCP-Protocol-Version: 1999-01-01\r\nContent-Type: application/json\r\n"
    b"Accept: application/json, text/event-stream\r\nContent-Length: 46\r\n",
    b"Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
    b"Authorization: Bearer " + CALLER_TOKEN.encode() + b"\x00\r\nContent-Length: 46\r\n",
]


@pytest.mark.parametrize("headers", BAD_HEADERS, ids=lambda h: repr(h[:30]))
async def test_bad_headers_get_a_clean_refusal(rig: Rig, headers: bytes) -> None:
    answer = await _raw_exchange(rig.server.port, _request(headers))
    rig.answers.append(answer.decode(errors="replace"))
    if answer:  # closing the connection is a clean refusal too
        status = int(answer.split(b" ", 2)[1])
        assert status < 500 or status == 503, answer[:300]
        assert b"Traceback" not in answer
    await _healthy(rig)


async def test_slowloris_connections_are_cut_and_real_calls_go_on(rig: Rig) -> None:
    conns = [await asyncio.open_connection("127.0.0.1", rig.server.port) for _ in range(50)]
    cut = 0
    async with Prober(rig.server.base).running() as prober:
        ok = await rig.call("get_workflow", {"name": "wf"})
        deadline = time.monotonic() + 6
        for step in range(30):  # one header byte per connection every 0.2 s, at most 6 s
            if time.monotonic() > deadline:
                break
            for _, writer in conns:
                if not writer.is_closing():
                    writer.write(b"GET /healthz HTTP/1.1\r\nX: "[step % 28 : step % 28 + 1])
            await asyncio.sleep(0.2)
        for reader, writer in conns:
            try:
                data = await asyncio.wait_for(reader.read(4096), 1)
                cut += data == b"" or data.startswith(b"HTTP/1.1 408")
            except (ConnectionError, TimeoutError):
                cut += isinstance(reader.exception(), ConnectionError)
            writer.close()
    assert not ok.tool_error, ok.text
    assert cut == len(conns), f"{cut} of {len(conns)} slow connections were cut within the header timeout"
    assert prober.failures == 0 and prober.worst < HEALTHZ_WORST, prober


async def test_an_idle_flood_beyond_the_connection_limit_does_not_starve_calls(rig: Rig) -> None:
    conns = []
    for _ in range(3):  # 300 idle connections, 100 at a time, against --max-connections 200
        conns += await asyncio.gather(
            *[asyncio.open_connection("127.0.0.1", rig.server.port) for _ in range(100)]
        )
    try:
        started = time.monotonic()
        answers = await asyncio.gather(*[rig.call("get_workflow", {"name": f"wf-{i}"}) for i in range(10)])
        took = time.monotonic() - started
        assert all(answer.status == 200 and not answer.tool_error for answer in answers)
        assert took < 10, took
        await _healthy(rig)
    finally:
        for _, writer in conns:
            writer.close()


async def test_zz_no_planted_secret_in_any_answer(rig: Rig) -> None:
    """Runs last in the module (name): every answer collected above, every fault and abuse included."""
    assert len(rig.answers) > 40
    for body in rig.answers:
        for secret in SECRETS:
            assert secret not in body
