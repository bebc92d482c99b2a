"""Why an HTTP request was refused, noted on its ASGI scope by whichever layer refused it (the Host/Origin guard,
inbound auth), for the one access-log line transport/access_log.py writes. It lives below both layers so that
neither imports the other."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

REFUSAL_KEY = "argo_mcp.refusal"
REFUSAL_KIND_KEY = "argo_mcp.refusal_kind"


def refuse(scope: MutableMapping[str, Any], reason: str, kind: str | None = None) -> None:
    """Note why this request is refused (call it before sending the answer): `reason` for the log line, `kind`
    (one word of a fixed set: host, origin, token_check...) for the metrics' reason label, whose cardinality
    must stay bounded; without it the label is the status's usual name."""
    scope[REFUSAL_KEY] = reason
    if kind is not None:
        scope[REFUSAL_KIND_KEY] = kind
