"""All tools, grouped as the reference groups them; `ALL_TOOLS` is the registry's input."""

from __future__ import annotations

from typing import Any

from argo_mcp.tools import (
    archive,
    artifacts,
    authoring,
    creation,
    diagnosis,
    events,
    info,
    lifecycle,
    templates,
    watch,
    workflows,
)
from argo_mcp.tools.registry import Tool, check_declarations, check_unique

ALL_TOOLS: list[Tool[Any]] = [
    *info.TOOLS,
    *workflows.TOOLS,
    *watch.TOOLS,
    *diagnosis.TOOLS,
    *lifecycle.TOOLS,
    *creation.TOOLS,
    *artifacts.TOOLS,
    *archive.TOOLS,
    *events.TOOLS,
    *templates.TOOLS,
    *authoring.TOOLS,
]
check_unique(ALL_TOOLS)
check_declarations(ALL_TOOLS)
