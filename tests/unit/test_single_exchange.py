"""The single-exchange fast path for plain handshake-era POSTs: which requests take it, and that it answers them
exactly as the SDK's own transport does (compared, over a live server, with the same request sent with a progress
token, which the SDK's streaming transport answers)."""

from __future__ import annotations

import json
from typing import Any

import httpx2
import pytest
from starlette.types import Message, Receive, Scope, Send

from argo_mcp.transport.response_mode import ResponseModeRouter
from argo_mcp.transport.single_exchange import SingleExchange, plain_request
from tests.support.fake_argo import FakeArgo
from tests.support.processes import ServerProcess
from tests.support.raw_mcp import ACCEPT, rpc_answer
from tests.support.samples import VERSION

HEADERS = [(b"accept", b"application/json, text/event-stream"), (b"content-type", b"application/json")]
CALL = {
    "jsonrpc": "2.0",
    "id": 3,
    "method": "tools/call",
    "params": {"name": "get_argo_version", "arguments": {}},
}


def _scope(headers: list[tuple[bytes, bytes]]) -> Scope:
    return {"type": "http", "method": "POST", "path": "/mcp", "headers": headers}


def _body(message: Any) -> bytes:
    return json.dumps(message).encode()


@pytest.mark.parametrize("version", [None, b"2025-03-26", b"2025-06-18", b"2025-11-25"])
def test_a_plain_request_of_every_handshake_version_qualifies(version: bytes | None) -> None:
    headers = [*HEADERS, *([(b"mcp-protocol-version", version)] if version else [])]
    plain = plain_request(_scope(headers), _body(CALL))
    assert plain is not None
    assert plain[0] == (version.decode() if version else "2025-03-26")
    assert plain[1] == CALL


@pytest.mark.parametrize(
    ("why", "headers", "message"),
    [
        ("2026-07-28 header", [*HEADERS, (b"mcp-protocol-version", b"2026-07-28")], CALL),
        ("unknown version", [*HEADERS, (b"mcp-protocol-version", b"1999-01-01")], CALL),
        (
            "two version headers",
            [*HEADERS, (b"mcp-protocol-version", b"2025-11-25"), (b"mcp-protocol-version", b"2025-06-18")],
            CALL,
        ),
        ("a session id", [*HEADERS, (b"mcp-session-id", b"abc")], CALL),
        ("only SSE in Accept", [(b"accept", b"text/event-stream"), HEADERS[1]], CALL),
        ("no Accept", [HEADERS[1]], CALL),
        ("form body", [HEADERS[0], (b"content-type", b"text/plain")], CALL),
        ("initialize", HEADERS, {**CALL, "method": "initialize"}),
        ("notification", HEADERS, {"jsonrpc": "2.0", "method": "notifications/initialized"}),
        ("batch", HEADERS, [CALL]),
        ("a response", HEADERS, {"jsonrpc": "2.0", "id": 3, "result": {}}),
        ("wrong jsonrpc", HEADERS, {**CALL, "jsonrpc": "1.0"}),
        ("boolean id", HEADERS, {**CALL, "id": True}),
        ("null id", HEADERS, {**CALL, "id": None}),
        ("list params", HEADERS, {**CALL, "params": []}),
        ("unknown key", HEADERS, {**CALL, "extra": 1}),
        (
            "2026-07-28 envelope",
            HEADERS,
            {**CALL, "params": {"_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28"}}},
        ),
        ("non-object _meta", HEADERS, {**CALL, "params": {"_meta": 5}}),
    ],
)
def test_everything_else_is_left_to_the_sdk(
    why: str, headers: list[tuple[bytes, bytes]], message: Any
) -> None:
    assert plain_request(_scope(headers), _body(message)) is None, why


@pytest.mark.parametrize("accept", [b"application/json", b"*/*", b"application/*;q=0.9, text/html"])
def test_what_the_sdks_json_mode_accepts_qualifies(accept: bytes) -> None:
    assert plain_request(_scope([(b"accept", accept), HEADERS[1]]), _body(CALL)) is not None


def test_malformed_json_is_left_to_the_sdk() -> None:
    assert plain_request(_scope(HEADERS), b'{"jsonrpc": "2.0", ') is None


class _Recorder:
    """An ASGI app standing in for one of the SDK's transports: records that it was chosen."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.calls += 1


class _CountingExchange(SingleExchange):
    def __init__(self) -> None:
        self.answered: list[tuple[str, dict[str, Any]]] = []

    async def answer(
        self, version: str, message: dict[str, Any], scope: Scope, receive: Receive, send: Send
    ) -> None:
        self.answered.append((version, message))


async def _route(message: Any, headers: list[tuple[bytes, bytes]] = HEADERS) -> tuple[int, int, int]:
    json_app, stream_app, single = _Recorder(), _Recorder(), _CountingExchange()
    router = ResponseModeRouter(json_app, stream_app, max_body=1 << 20, single=single)
    body = _body(message)

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(_message: Message) -> None:
        return None

    await router(_scope(headers), receive, send)
    return len(single.answered), json_app.calls, stream_app.calls


async def test_the_router_sends_plain_requests_to_the_fast_path_and_the_rest_to_the_sdk() -> None:
    assert await _route(CALL) == (1, 0, 0)
    progress = {**CALL, "params": {**CALL["params"], "_meta": {"progressToken": "p"}}}  # type: ignore[dict-item]
    assert await _route(progress) == (0, 0, 1)
    assert await _route({**CALL, "method": "initialize"}) == (0, 1, 0)
    assert await _route(CALL, [*HEADERS, (b"mcp-protocol-version", b"2026-07-28")]) == (0, 1, 0)


REQUESTS: list[tuple[str, dict[str, Any]]] = [
    ("tools/list", {}),
    ("ping", {}),
    ("tools/call", {"name": "get_argo_version", "arguments": {}}),
    ("tools/call", {"name": "no_such_tool", "arguments": {}}),
    ("tools/call", {"name": "get_workflow", "arguments": {"namespace": 5}}),
    ("tools/call", {"arguments": {}}),
    ("prompts/list", {}),
    ("resources/read", {"uri": "argo://nowhere"}),
    ("no/such/method", {}),
]


@pytest.mark.parametrize(
    ("method", "params"), REQUESTS, ids=[f"{m}:{i}" for i, (m, _) in enumerate(REQUESTS)]
)
async def test_the_fast_path_answers_what_the_sdk_answers(
    argo: FakeArgo, shared_server: ServerProcess, method: str, params: dict[str, Any]
) -> None:
    argo.on("InfoService_GetVersion", VERSION)
    headers = {**ACCEPT, "MCP-Protocol-Version": "2025-11-25"}
    streamed_params = {**params, "_meta": {"progressToken": "p-1"}}
    async with httpx2.AsyncClient() as http:
        fast = await http.post(
            shared_server.url,
            json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params},
            headers=headers,
        )
        sdk = await http.post(
            shared_server.url,
            json={"jsonrpc": "2.0", "id": 1, "method": method, "params": streamed_params},
            headers=headers,
        )
    assert fast.status_code == sdk.status_code == 200, (fast.text, sdk.text)
    assert fast.headers["content-type"] == "application/json"
    assert int(fast.headers["content-length"]) == len(fast.content)
    assert rpc_answer(fast.text) == rpc_answer(sdk.text)


async def test_a_malformed_request_still_gets_the_sdks_answer(shared_server: ServerProcess) -> None:
    async with httpx2.AsyncClient() as http:
        no_accept = await http.post(
            shared_server.url,
            json=CALL,
            headers={"Content-Type": "application/json", "Accept": "text/event-stream"},
        )
        broken = await http.post(shared_server.url, content=b'{"jsonrpc": "2.0", ', headers=ACCEPT)
    assert no_accept.status_code == 406
    assert broken.status_code == 400 and broken.json()["error"]["code"] == -32700
