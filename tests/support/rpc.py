"""Any MCP method as one raw JSON-RPC post, in either protocol era, for the robustness suite: what is checked is the
server's own wire behaviour (status, headers, body), not what an SDK client makes of it.

A 2025-11-25 request is a plain stateless post. A 2026-07-28 request carries the version, the client's info and
its capabilities in `_meta` on every request (no handshake), which is how a confirmation's `requestState` and
`inputResponses` travel back to the server.
"""

from __future__ import annotations

from typing import Any

import aiohttp

from tests.support.raw_mcp import HEADERS, Answer, rpc_answer

MODERN = "2026-07-28"
ELICITING: dict[str, Any] = {"elicitation": {"form": {}}}


def modern_meta(capabilities: dict[str, Any] | None = None) -> dict[str, Any]:
    """The `_meta` a 2026-07-28 client sends with each request (here: declaring form elicitation)."""
    return {
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientInfo": {"name": "robust", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": ELICITING if capabilities is None else capabilities,
    }


async def rpc(
    session: aiohttp.ClientSession,
    url: str,
    method: str,
    params: dict[str, Any] | None = None,
    *,
    headers: dict[str, str] | None = None,
    modern: bool = False,
    request_id: int = 1,
    timeout: float = 60,
) -> tuple[Answer, dict[str, str]]:
    """(the answer, the response headers) of one JSON-RPC request."""
    body: dict[str, Any] = dict(params or {})
    sent = dict(HEADERS)
    if modern:
        body["_meta"] = modern_meta()
        sent["MCP-Protocol-Version"] = MODERN
        sent["Mcp-Method"] = method  # a 2026-07-28 request names its method (and tool) in headers too
        if method == "tools/call" and isinstance(body.get("name"), str):
            sent["Mcp-Name"] = body["name"]
    message = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": body}
    async with session.post(
        url,
        json=message,
        headers={**sent, **(headers or {})},
        timeout=aiohttp.ClientTimeout(total=timeout),
    ) as response:
        text = await response.text()
        parsed = rpc_answer(text) if response.status == 200 else None
        return Answer(response.status, text, parsed), dict(response.headers)


async def confirm_call(
    session: aiohttp.ClientSession,
    url: str,
    name: str,
    arguments: dict[str, Any],
    *,
    state: str | None = None,
    confirmed: bool = True,
    headers: dict[str, str] | None = None,
) -> Answer:
    """A 2026-07-28 tools/call; with `state`, the retry that answers the confirmation (accepted when `confirmed`)."""
    params: dict[str, Any] = {"name": name, "arguments": arguments}
    if state is not None:
        params["requestState"] = state
        params["inputResponses"] = {"confirm": {"action": "accept", "content": {"confirm": confirmed}}}
    answer, _ = await rpc(session, url, "tools/call", params, headers=headers, modern=True)
    return answer


def input_required(answer: Answer) -> str | None:
    """The requestState of an `input_required` answer (the server asks its question), else None."""
    result = (answer.message or {}).get("result") or {}
    if result.get("resultType") != "input_required":
        return None
    state = result.get("requestState")
    assert isinstance(state, str) and state, result
    assert "confirm" in (result.get("inputRequests") or {}), result
    return state
