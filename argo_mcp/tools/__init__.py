"""All tools, grouped as the reference groups them; `ALL_TOOLS` is the registry's input."""

from __future__ import annotations

from typing import Any

from argo_mcp.tools import info
from argo_mcp.tools.registry import Tool, check_unique

ALL_TOOLS: list[Tool[Any]] = [*info.TOOLS]
check_unique(ALL_TOOLS)
