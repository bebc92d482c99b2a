"""The call pipeline: the one road every request that may reach Argo takes (see pipeline.py for the stages).

Adapters turn an MCP request into a `Call` and the pipeline's `Outcome` into the MCP answer (`outcome.result` is
the `tools/call` one); `run_tool` runs a call in process without a server (the tests' entry point).
"""

from __future__ import annotations

from typing import Any

import mcp_types as types

from argo_mcp.argo.client import ArgoClient
from argo_mcp.calls.admission import Admission, Busy
from argo_mcp.calls.pipeline import (
    Answer,
    Call,
    CallPipeline,
    Confirmer,
    InputNeeded,
    Outcome,
    Refusal,
)
from argo_mcp.calls.render import compact_json, error_result
from argo_mcp.policy import Authorizer, Caller
from argo_mcp.settings import Settings
from argo_mcp.tools.registry import Tool

__all__ = [
    "Admission",
    "Answer",
    "Busy",
    "Call",
    "CallPipeline",
    "Confirmer",
    "InputNeeded",
    "Outcome",
    "Refusal",
    "compact_json",
    "error_result",
    "run_tool",
]


async def run_tool(
    tool: Tool[Any],
    arguments: dict[str, Any] | None,
    *,
    argo: ArgoClient,
    settings: Settings,
    caller: Caller | None = None,
    authorize: Authorizer | None = None,
) -> types.CallToolResult:
    """One call through the whole pipeline, in process (no confirmation: there is no client to ask)."""
    outcome = await CallPipeline(settings, argo, authorize=authorize).run(
        Call(tool, arguments, caller=caller)
    )
    assert not isinstance(outcome, InputNeeded), "no confirmer was given, so nothing is asked"
    return outcome.result
