"""A stalled artifact download gives up after --argo-timeout seconds of silence, and leaves no partial file.

--argo-timeout bounds how long argo-mcp waits for Argo; for a download that is the wait for the next bytes
(a large artifact may take longer than that in total, as long as data keeps arriving).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from tests.support.fake_argo import FakeArgo
from tests.support.processes import http_client, text_of


async def test_stalled_download_times_out_on_idle_and_leaves_nothing(
    argo: FakeArgo, server_with: Any, tmp_path: Path
) -> None:
    async def stalls() -> AsyncIterator[bytes]:
        yield b"a" * 1024
        await asyncio.sleep(60)
        yield b"never sent"

    async def trickles() -> AsyncIterator[bytes]:
        for _ in range(4):  # 2 s in total, never 1.5 s without data
            await asyncio.sleep(0.5)
            yield b"b" * 1024

    artifacts = tmp_path / "artifacts"
    server = await server_with(
        "--artifact-dir",
        str(artifacts),
        "--argo-timeout",
        "1.5",
    )
    args = {"workflowName": "wf", "nodeId": "n1", "artifactName": "out"}
    argo.on("ArtifactService_GetArtifactFile", stream=stalls, content_type="application/octet-stream")
    async with http_client(server.url) as client:
        started = time.monotonic()
        result = await asyncio.wait_for(
            client.call_tool("get_workflow_output_artifact", {**args, "destinationPath": "s/out.bin"}),
            timeout=30,
        )
        waited = time.monotonic() - started
        assert result.is_error
        assert "no data" in text_of(result) and "1.5s" in text_of(result), text_of(result)
        assert "--argo-timeout" in text_of(result)
        assert waited < 20, f"the stalled download was only abandoned after {waited:.0f}s"
        assert not list((artifacts / "s").glob("*")), "a partial download was left behind"

        inline = await asyncio.wait_for(client.call_tool("get_workflow_output_artifact", args), timeout=30)
        assert inline.is_error, "a stalled artifact read for the answer must give up too"
        assert "no data" in text_of(inline) and "1.5s" in text_of(inline), text_of(inline)
        assert not artifacts.exists() or not list(artifacts.rglob("*out*")), "the stalled read left a file"

        argo.on("ArtifactService_GetArtifactFile", stream=trickles, content_type="application/octet-stream")
        slow = await client.call_tool(
            "get_workflow_output_artifact", {**args, "destinationPath": "t/out.bin"}
        )
        assert not slow.is_error, text_of(slow)
        assert (artifacts / "t" / "out.bin").stat().st_size == 4096
