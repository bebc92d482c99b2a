"""Info tools: what the Argo server is and who argo-mcp is to it."""

from __future__ import annotations

from typing import Any

from argo_mcp.argo.version import VERSION_PATH, remember
from argo_mcp.policy import Scope
from argo_mcp.settings import ToolGroup
from argo_mcp.tools.inputs import NoInput
from argo_mcp.tools.registry import Handler, Tool, ToolContext, ToolKind


def _fetch(path: str) -> Handler[NoInput]:
    async def handler(ctx: ToolContext, _args: NoInput) -> dict[str, Any]:
        result: dict[str, Any] = await ctx.argo.request("GET", path)
        return result

    return handler


async def get_version(ctx: ToolContext, _args: NoInput) -> dict[str, Any]:
    """Argo's answer, also kept as the client's cached version (argo/version.py): the freshest word on it."""
    result: dict[str, Any] = await ctx.argo.request("GET", VERSION_PATH)
    remember(ctx.argo, result)
    return result


# Argo's own server info: no Kubernetes resource, no namespace (Scope.none, no permission).
TOOLS: list[Tool[Any]] = [
    Tool(
        name="get_argo_info",
        title="Argo server info",
        description=(
            "Return the Argo Workflows server-level info (executor image, default executor, links, navColor, etc.)."
        ),
        group=ToolGroup.INFO,
        kind=ToolKind.READ_ONLY,
        input_model=NoInput,
        handler=_fetch("/api/v1/info"),
        scope=Scope.none(),
    ),
    Tool(
        name="get_argo_version",
        title="Argo server version",
        description="Return the Argo Workflows server version (semantic version, git commit, build date, Go version).",
        group=ToolGroup.INFO,
        kind=ToolKind.READ_ONLY,
        input_model=NoInput,
        handler=get_version,
        scope=Scope.none(),
    ),
    Tool(
        name="get_user_info",
        title="Current Argo identity",
        description="Return the authenticated user identity as seen by the Argo server (issuer, subject, groups, email).",
        group=ToolGroup.INFO,
        kind=ToolKind.READ_ONLY,
        input_model=NoInput,
        handler=_fetch("/api/v1/userinfo"),
        scope=Scope.none(),
    ),
]
