"""Small artifacts come back in the answer (text as text, binary as an embedded blob) with bytes and sha256;
larger ones, or any with destinationPath, are saved under --artifact-dir in one request."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import mcp_types as types

from tests.support.fake_argo import FakeArgo
from tests.support.processes import ServerProcess, http_client, payload, start_argo_mcp, text_of
from tests.support.samples import chunks

KIB = 1024
ARGS = {"workflowName": "wf", "nodeId": "wf-1", "artifactName": "report"}


async def test_a_small_text_artifact_comes_back_as_text(
    argo: FakeArgo, shared_server: ServerProcess, session_tmp: Path
) -> None:
    report = "résumé: 3 passed, 0 failed\n" * 40
    data = report.encode()
    argo.on("ArtifactService_GetInputArtifact", stream=chunks(data, 100), content_type="text/plain")
    async with http_client(shared_server.url) as client:
        result = await client.call_tool("get_workflow_input_artifact", ARGS)
    assert not result.is_error, text_of(result)
    assert text_of(result) == report
    assert len(result.content) == 1
    assert payload(result) == {
        "artifact": "report",
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "encoding": "utf-8",
    }
    assert argo.last("ArtifactService_GetInputArtifact").path == "/input-artifacts/argo/wf/wf-1/report"
    assert not (session_tmp / "artifacts" / "argo" / "wf").exists(), "an inline artifact was written to disk"


async def test_a_small_binary_artifact_comes_back_as_an_embedded_blob(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    data = bytes(range(256)) * 64  # 16 KiB, not UTF-8
    argo.on(
        "ArtifactService_GetArtifactFile", stream=chunks(data, 5000), content_type="application/octet-stream"
    )
    async with http_client(shared_server.url) as client:
        result = await client.call_tool("get_workflow_output_artifact", ARGS)
    assert not result.is_error, text_of(result)
    meta = json.loads(text_of(result))
    uri = "argo://workflows/argo/wf/nodes/wf-1/outputs/report"
    assert meta == {
        "artifact": "report",
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "encoding": "base64",
        "uri": uri,
    }
    assert len(result.content) == 2
    block = result.content[1]
    assert isinstance(block, types.EmbeddedResource)
    assert isinstance(block.resource, types.BlobResourceContents)
    assert str(block.resource.uri) == uri
    assert block.resource.mime_type == "application/octet-stream"
    assert base64.b64decode(block.resource.blob) == data


async def test_an_artifact_over_the_limit_is_saved_in_one_request(
    argo: FakeArgo, shared_server: ServerProcess, session_tmp: Path
) -> None:
    data = b"line of a large report\n" * (300 * KIB // 23)  # ~300 KiB of text, over the 256 KiB default
    argo.on("ArtifactService_GetArtifactFile", stream=chunks(data), content_type="application/octet-stream")
    target = session_tmp / "artifacts" / "argo" / "big-wf" / "wf-1" / "output" / "report"
    async with http_client(shared_server.url) as client:
        result = await client.call_tool("get_workflow_output_artifact", {**ARGS, "workflowName": "big-wf"})
        assert not result.is_error, text_of(result)
        assert payload(result) == {
            "path": str(target),
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "note": (
                "larger than 256 KiB (--inline-artifact-kib, within --max-answer-mib), so saved under --artifact-dir"
            ),
        }
        assert target.read_bytes() == data
        assert len(argo.calls("ArtifactService_GetArtifactFile")) == 1, "the artifact was requested twice"
        again = await client.call_tool("get_workflow_output_artifact", {**ARGS, "workflowName": "big-wf"})
        assert again.is_error and "overwrite=true" in text_of(again), text_of(again)
    assert not list(target.parent.glob(".*.part")), "a partial file was left behind"
    target.unlink()


async def test_a_destination_path_always_saves_even_a_small_artifact(
    argo: FakeArgo, shared_server: ServerProcess, session_tmp: Path
) -> None:
    data = b"tiny"
    argo.on("ArtifactService_GetArtifactFile", stream=chunks(data), content_type="application/octet-stream")
    async with http_client(shared_server.url) as client:
        result = await client.call_tool(
            "get_workflow_output_artifact", {**ARGS, "destinationPath": "t/tiny.txt"}
        )
    assert not result.is_error, text_of(result)
    target = session_tmp / "artifacts" / "t" / "tiny.txt"
    assert payload(result) == {"path": str(target), "bytes": 4, "sha256": hashlib.sha256(data).hexdigest()}
    assert target.read_bytes() == data
    target.unlink()


async def test_the_inline_limit_stays_within_the_answer_cap(
    argo: FakeArgo, argo_url: str, tmp_path: Path
) -> None:
    """With --max-answer-mib 0.0625 (64 KiB), a 60 KiB binary artifact (80 KiB as base64) is saved, not refused."""
    data = bytes(range(256)) * 240
    argo.on("ArtifactService_GetArtifactFile", stream=chunks(data), content_type="application/octet-stream")
    artifacts = tmp_path / "artifacts"
    server = await start_argo_mcp(
        tmp_path,
        *("--argo-server-url", argo_url, "--argo-auth-mode", "none", "--artifact-dir", str(artifacts)),
        *("--max-answer-mib", "0.0625"),
    )
    try:
        async with http_client(server.url) as client:
            result = await client.call_tool("get_workflow_output_artifact", ARGS)
    finally:
        await server.stop()
    assert not result.is_error, text_of(result)
    saved = payload(result)
    assert saved["bytes"] == len(data) and saved["note"].startswith("larger than 47 KiB"), saved
    assert Path(saved["path"]).read_bytes() == data
