"""URL paths of the Argo Server REST API (from Argo's swagger.json), with every segment escaped and checked.

Input models validate path arguments with `PathSegment` (naming the field); the check here is the last line:
a segment that would change which endpoint is called ("", ".", "..", anything with a slash) never reaches
the HTTP client, which would collapse dot segments (`podName=..` became `GET /api/v1/workflows/argo/log`).
"""

from __future__ import annotations

from urllib.parse import quote

from argo_mcp.policy import ToolError


def segment_problem(segment: str) -> str | None:
    """Why `segment` cannot be one path segment, or None if it can."""
    if segment in ("", ".", ".."):
        return "must not be empty, '.' or '..'"
    if "/" in segment or "\\" in segment:
        return "must not contain '/' or '\\'"
    if len(segment) > 253:
        return "must be at most 253 characters"
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in segment):
        return "must not contain control characters"
    return None


def _checked(segment: str) -> str:
    problem = segment_problem(segment)
    if problem is not None:
        raise ToolError(f"{segment!r} cannot be used in an Argo API path: it {problem}")
    return quote(segment, safe="")


def api(*segments: str) -> str:
    """`api("workflows", ns, name, "retry")` → `/api/v1/workflows/<ns>/<name>/retry`."""
    return "/api/v1/" + "/".join(_checked(segment) for segment in segments)


def raw(*segments: str) -> str:
    """Paths outside /api/v1 (artifact downloads)."""
    return "/" + "/".join(_checked(segment) for segment in segments)
