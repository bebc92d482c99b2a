"""list_targets: the Argo servers one endpoint reaches, as far as the caller may use them (nothing secret)."""

from __future__ import annotations

import asyncio
from typing import Any

from argo_mcp.argo.version import server_version
from argo_mcp.policy import Scope
from argo_mcp.settings import Settings, ToolGroup
from argo_mcp.tools.inputs import NoInput
from argo_mcp.tools.registry import Tool, ToolContext, ToolKind

VERSION_TIMEOUT_SECONDS = 5.0


def _mode(settings: Settings) -> str:
    if settings.scope.read_only:
        return "read-only"
    return "operate" if settings.scope.disable_destructive else "full"


async def _version(target: Any) -> str:
    """The target's Argo version from the per-client cache the version checks use (one request at most)."""
    try:
        version = await asyncio.wait_for(server_version(target.argo), VERSION_TIMEOUT_SECONDS)
    except TimeoutError:
        return "unreachable"
    return version.text


async def _list_targets(ctx: ToolContext, _args: NoInput) -> dict[str, Any]:
    usable = await ctx.usable_targets()
    versions = await asyncio.gather(*(_version(target) for target in usable))
    items = []
    for target, version in zip(usable, versions, strict=True):
        settings: Settings = target.settings
        items.append(
            {
                "name": target.name,
                "argoVersion": version,
                "mode": _mode(settings),
                "namespaces": list(settings.scope.namespaces) or "any",
                "defaultNamespace": settings.argo.default_namespace,
                **({"default": True} if target.name == ctx.targets_default else {}),
            }
        )
    return {"targets": items}


LIST_TARGETS: Tool[NoInput] = Tool(
    name="list_targets",
    title="Argo targets",
    description=(
        "List the Argo servers (targets) you may use: name, Argo version, mode, namespaces. Every tool takes "
        "`target` (default: the one marked default)."
    ),
    group=ToolGroup.INFO,
    kind=ToolKind.READ_ONLY,
    input_model=NoInput,
    handler=_list_targets,
    scope=Scope.none(),
)
"""Offered only when a targets file names more than one target (one target: today's tools/list, unchanged)."""
