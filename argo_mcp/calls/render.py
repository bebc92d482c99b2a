"""What a call's data becomes on the wire: compact JSON, MCP tool results, and the messages for arguments that do
not validate or answers that are too large. The pipeline renders once, at its last stage; every road reads that
one rendering (a resource's text, a completion's items) instead of rendering and parsing again."""

from __future__ import annotations

import json
from typing import Any

import mcp_types as types
import orjson
from pydantic import ValidationError

from argo_mcp.redaction import scrub
from argo_mcp.settings import describe_size
from argo_mcp.tools.registry import ContentOutput, Output, TextOutput, Tool


def compact_json(value: Any) -> str:
    """Plain compact JSON (no spaces, UTF-8 kept) with orjson: ~5-10x faster than json.dumps on large answers.

    orjson refuses what valid JSON from Argo may still hold (integers beyond 64 bits, nesting past 255 levels);
    the standard library writes those, so such an answer is still returned, only slower."""
    try:
        return orjson.dumps(value, default=str).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value, default=str, ensure_ascii=False, separators=(",", ":"))


def render_output(output: Output) -> types.CallToolResult:
    """One payload per answer, never the same one twice: a JSON answer is one compact JSON text block (what
    every MCP client shows the model; no `structuredContent` copy, as no tool declares an outputSchema); a text
    answer (logs, graphs) is its text plus only small metadata as structured content."""
    if isinstance(output, TextOutput):
        return types.CallToolResult(
            content=[types.TextContent(text=output.text)], structured_content=output.data or None
        )
    if isinstance(output, ContentOutput):
        return types.CallToolResult(
            content=[types.TextContent(text=compact_json(output.data)), *output.blocks]
        )
    return types.CallToolResult(content=[types.TextContent(text=compact_json(output))])


def error_result(message: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(text=scrub(message))], is_error=True)


def _block_size(block: Any) -> int:
    if isinstance(block, types.TextContent):
        return len(block.text.encode())
    if isinstance(block, types.EmbeddedResource):
        inner = block.resource
        return len(inner.blob) if isinstance(inner, types.BlobResourceContents) else len(inner.text.encode())
    return 0


def answer_size(result: types.CallToolResult) -> int:
    """Bytes of the answer's text and embedded resources (what the agent would receive; structured metadata is
    small)."""
    return sum(_block_size(block) for block in result.content)


def first_text(result: types.CallToolResult) -> str:
    """The answer's main text block (the JSON of a JSON answer, the text of a text answer)."""
    block = result.content[0] if result.content else None
    return block.text if isinstance(block, types.TextContent) else ""


_NARROWING = {
    "limit": "a smaller limit (page on with continue)",
    "label_selector": "a labelSelector",
    "field_selector": "a fieldSelector",
    "fields": "fields (only what you need)",
    "full": "full=false (the compact summary)",
    "tail_lines": "tailLines",
}


def too_large_message(tool: Tool[Any], size: int, cap: int) -> str:
    """Why the answer is refused, and the arguments of this tool that make it smaller."""
    ways = [hint for field_name, hint in _NARROWING.items() if field_name in tool.input_model.model_fields]
    narrow = f"narrow the request with {', '.join(ways)}" if ways else "narrow the request"
    return (
        f"The answer of {tool.name} would be {describe_size(size)}, more than the {describe_size(cap)} argo-mcp "
        f"returns (--max-answer-mib); {narrow}; or raise --max-answer-mib."
    )


def _shown(value: Any) -> str:
    """The start of a bad value as JSON; orjson refuses some (integers past 64 bits), which are named instead."""
    try:
        return orjson.dumps(value, default=str).decode()[:80]
    except (TypeError, orjson.JSONEncodeError):
        return f"a {type(value).__name__} argo-mcp cannot show"


def validation_message(tool: str, error: ValidationError) -> str:
    """One line per bad field, naming the field and the fix."""
    problems = []
    for item in error.errors(include_url=False):
        where = ".".join(str(part) for part in item["loc"]) or "arguments"
        if item["type"] == "missing":
            problems.append(f"'{where}' is required")
        elif item["type"] == "extra_forbidden":
            problems.append(f"'{where}' is not an argument of {tool} (see the tool's input schema)")
        else:
            message = str(item["msg"]).removeprefix("Value error, ")
            if item["type"].endswith(("_type", "_parsing")):
                # Strict inputs: say what was sent, so "yes" for a boolean is obviously the problem.
                message += f" (got {_shown(item['input'])})"
            problems.append(f"'{where}': {message}")
    return f"Invalid arguments for {tool}: " + "; ".join(problems)
