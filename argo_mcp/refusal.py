"""Why an HTTP request was refused, noted on its ASGI scope by whichever layer refused it (the Host/Origin guard,
inbound auth), for the one access-log line transport/access_log.py writes. It lives below both layers so that
neither imports the other."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

REFUSAL_KEY = "argo_mcp.refusal"


def refuse(scope: MutableMapping[str, Any], reason: str) -> None:
    """Note why this request is refused (call it before sending the answer)."""
    scope[REFUSAL_KEY] = reason
