"""A live update on the real stack (issue 25, point 5): a client listening (`subscriptions/listen`, 2026-07-28) to a
real workflow's resource is told when it finishes, through argo-mcp's watch of the real Argo server, and reading
the resource then shows the finished phase."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx2

from tests.e2e.mcp_support import WF, container, start_with_token
from tests.e2e.stack.fixture import E2EStack
from tests.support.raw_mcp import rpc_answer

META = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": {},
}


def _headers(method: str) -> dict[str, str]:
    return {
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": "2026-07-28",
        "Mcp-Method": method,
    }


async def _updates(url: str, uri: str, frames: list[dict[str, Any]]) -> None:
    body = {
        "jsonrpc": "2.0",
        "id": 3,
        "method": "subscriptions/listen",
        "params": {"notifications": {"resourceSubscriptions": [uri]}, "_meta": META},
    }
    async with (
        httpx2.AsyncClient(timeout=httpx2.Timeout(10, read=180)) as http,
        http.stream("POST", url, json=body, headers=_headers("subscriptions/listen")) as answer,
    ):
        async for line in answer.aiter_lines():
            if line.startswith("data:"):
                frames.append({**json.loads(line[5:]), "received": time.time()})


async def _phase(url: str, uri: str) -> str:
    body = {"jsonrpc": "2.0", "id": 4, "method": "resources/read", "params": {"uri": uri, "_meta": META}}
    headers = {**_headers("resources/read"), "Mcp-Name": uri}
    async with httpx2.AsyncClient(timeout=30) as http:
        answer = rpc_answer((await http.post(url, json=body, headers=headers)).text)
    return str(json.loads(answer["result"]["contents"][0]["text"])["phase"])


async def test_a_listener_is_told_when_a_real_workflow_finishes(stack: E2EStack, tmp_path: Path) -> None:
    server = await start_with_token(stack, tmp_path, stack.mint_token(stack.full_sa, seconds=3600))
    try:
        name = stack.submit_workflow(
            {
                "apiVersion": WF,
                "kind": "Workflow",
                "metadata": {"generateName": "listened-", "namespace": stack.namespace},
                "spec": {
                    "entrypoint": "main",
                    "templates": [{"name": "main", "container": container("sleep 8")}],
                },
            }
        )
        uri = f"argo://workflows/{stack.namespace}/{name}"
        frames: list[dict[str, Any]] = []
        listener = asyncio.create_task(_updates(server.url, uri, frames))
        try:
            final = await asyncio.to_thread(stack.wait_for_workflow, name, timeout=120)
            finished = datetime.fromisoformat(
                final["status"]["finishedAt"].replace("Z", "+00:00")
            ).timestamp()
            for _ in range(100):  # an update sent for the finishing write itself, not only earlier ones
                if any(f["received"] >= finished for f in frames[1:]):
                    break
                await asyncio.sleep(0.2)
        finally:
            listener.cancel()
        assert final["status"]["phase"] == "Succeeded"
        assert frames and frames[0]["method"] == "notifications/subscriptions/acknowledged", frames
        assert frames[0]["params"]["notifications"]["resourceSubscriptions"] == [uri]
        updates = frames[1:]
        assert updates and all(
            f["method"] == "notifications/resources/updated" and f["params"]["uri"] == uri for f in updates
        ), frames
        assert any(f["received"] >= finished for f in updates), "no update arrived when the workflow finished"
        assert await _phase(server.url, uri) == "Succeeded", "reading the resource after the update shows it"
    finally:
        await server.stop()
