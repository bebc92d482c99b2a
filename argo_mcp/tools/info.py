"""Info tools: what the Argo server is and who argo-mcp is to it."""

from __future__ import annotations

from typing import Any

from argo_mcp.settings import ToolGroup
from argo_mcp.tools.inputs import NoInput
from argo_mcp.tools.registry import Handler, Scope, Tool, ToolContext, ToolKind


def _fetch(path: str) -> Handler[NoInput]:
    async def handler(ctx: ToolContext, _args: NoInput) -> dict[str, Any]:
        result: dict[str, Any] = await ctx.argo.request("GET", path)
        return result

    return handler


def _info_tool(name: str, title: str, description: str, path: str) -> Tool[NoInput]:
    return Tool(
        name=name,
        title=title,
        description=description,
        group=ToolGroup.INFO,
        kind=ToolKind.READ_ONLY,
        input_model=NoInput,
        handler=_fetch(path),
        scope=Scope.none(),  # Argo's own server info: no Kubernetes resource, no namespace
    )


TOOLS: list[Tool[Any]] = [
    _info_tool(
        "get_argo_info",
        "Argo server info",
        "Return the Argo Workflows server-level info (executor image, default executor, links, navColor, etc.).",
        "/api/v1/info",
    ),
    _info_tool(
        "get_argo_version",
        "Argo server version",
        "Return the Argo Workflows server version (semantic version, git commit, build date, Go version).",
        "/api/v1/version",
    ),
    _info_tool(
        "get_user_info",
        "Current Argo identity",
        "Return the authenticated user identity as seen by the Argo server (issuer, subject, groups, email).",
        "/api/v1/userinfo",
    ),
]
