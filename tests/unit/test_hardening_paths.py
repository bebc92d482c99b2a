"""Values that become URL path segments are validated for what they are; none can change the endpoint."""

from __future__ import annotations

from typing import Any

import pytest

from argo_mcp.argo.client import ArgoClient
from argo_mcp.calls import run_tool
from argo_mcp.policy import ToolError
from argo_mcp.settings import ArgoSettings, AuthMode, Settings
from argo_mcp.tools import ALL_TOOLS
from argo_mcp.tools.paths import api, raw
from tests.support.processes import text_of

BY_NAME = {tool.name: tool for tool in ALL_TOOLS}
BAD_SEGMENTS = ["", ".", "..", "a/b", "../log", "a\\b", "a\nb", "x" * 254]
ARTIFACT = {"workflowName": "wf", "nodeId": "wf-1", "artifactName": "out", "destinationPath": "x.tgz"}
CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("get_pod_logs", "podName", {"name": "wf", "podName": "wf-1"}),
    ("get_workflow_output_artifact", "nodeId", ARTIFACT),
    ("get_workflow_output_artifact", "artifactName", ARTIFACT),
    ("get_workflow_input_artifact", "nodeId", ARTIFACT),
    ("get_workflow_input_artifact", "artifactName", ARTIFACT),
]


def _settings() -> Settings:
    # Port 9 (discard) on loopback: if a request were ever sent, the answer would be "Cannot reach".
    return Settings(argo=ArgoSettings(server_url="http://127.0.0.1:9", auth_mode=AuthMode.NONE))


@pytest.mark.parametrize("bad", BAD_SEGMENTS, ids=repr)
@pytest.mark.parametrize(("tool", "field", "good"), CASES, ids=lambda v: v if isinstance(v, str) else "")
async def test_bad_segments_are_refused_naming_the_field(
    tool: str, field: str, good: dict[str, Any], bad: str
) -> None:
    settings = _settings()
    argo = ArgoClient(settings.argo)
    try:
        result = await run_tool(BY_NAME[tool], {**good, field: bad}, argo=argo, settings=settings)
    finally:
        await argo.close()
    assert result.is_error
    message = text_of(result)
    assert message.startswith(f"Invalid arguments for {tool}: '{field}'"), message
    assert "Cannot reach" not in message


@pytest.mark.parametrize("bad", BAD_SEGMENTS, ids=repr)
def test_path_builders_refuse_bad_segments(bad: str) -> None:
    with pytest.raises(ToolError, match="cannot be used in an Argo API path"):
        api("workflows", "argo", bad, "log")
    with pytest.raises(ToolError, match="cannot be used in an Argo API path"):
        raw("artifact-files", "argo", bad)


def test_ordinary_segments_are_escaped_not_refused() -> None:
    assert (
        api("workflows", "argo", "wf", "a b%c?d#e", "log")
        == "/api/v1/workflows/argo/wf/a%20b%25c%3Fd%23e/log"
    )
    assert raw("input-artifacts", "argo", "wf", "wf-123", "...") == "/input-artifacts/argo/wf/wf-123/..."


def test_path_segment_fields_advertise_it_in_the_schema() -> None:
    schema = BY_NAME["get_pod_logs"].input_schema()["properties"]["podName"]
    assert schema["minLength"] == 1 and "pattern" in schema
