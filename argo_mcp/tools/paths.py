"""URL paths of the Argo Server REST API (from Argo's swagger.json), with every segment escaped."""

from __future__ import annotations

from urllib.parse import quote


def api(*segments: str) -> str:
    """`api("workflows", ns, name, "retry")` → `/api/v1/workflows/<ns>/<name>/retry`."""
    return "/api/v1/" + "/".join(quote(segment, safe="") for segment in segments)


def raw(*segments: str) -> str:
    """Paths outside /api/v1 (artifact downloads)."""
    return "/" + "/".join(quote(segment, safe="") for segment in segments)
