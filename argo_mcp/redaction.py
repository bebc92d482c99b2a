"""Secrets never leave argo-mcp: one scrubber for every log line, every Argo error text and every tool error.

Tokens are kept out of logs and answers by construction (they are never passed to a logger or put into a
message); this is the second line of defence for what we do not control: an Argo or proxy that echoes the
Authorization header in its error text, an exception message from a library, a token that reaches a traceback.
It masks bearer/basic credentials, Authorization header values, JWT-looking strings and the exact tokens
argo-mcp knows (its own Argo token, and the caller's token during a request).
"""

from __future__ import annotations

import contextvars
import re
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

REDACTED = "[redacted]"
_MIN_SECRET = 8
_KNOWN_LIMIT = 16

_PATTERNS = [
    # Authorization: <scheme> <credentials> (as a header line, a JSON key or a Python dict repr)
    re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)[^\r\n\"',;}]+"),
    re.compile(r"(?i)\b(bearer)(\s+)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"),  # JWT (header.payload.signature)
]

_known: deque[str] = deque(maxlen=_KNOWN_LIMIT)
_request_secrets: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar(
    "argo_mcp_request_secrets", default=()
)


def remember_secret(secret: str | None) -> None:
    """Mask this exact value everywhere from now on (argo-mcp's own token; the last few rotations of it)."""
    if secret and len(secret) >= _MIN_SECRET and secret not in _known:
        _known.append(secret)


@contextmanager
def request_secret(secret: str) -> Iterator[None]:
    """Mask `secret` (a caller's token) in whatever is logged or answered while this request runs."""
    token = _request_secrets.set((*_request_secrets.get(), secret))
    try:
        yield
    finally:
        _request_secrets.reset(token)


def _replace(match: re.Match[str]) -> str:
    if match.re is _PATTERNS[0]:
        return f"{match.group(1)}{REDACTED}"
    if match.re is _PATTERNS[1]:
        return f"{match.group(1)}{match.group(2)}{REDACTED}"
    return REDACTED


def scrub(text: str) -> str:
    """`text` with every secret masked."""
    for secret in (*_known, *_request_secrets.get()):
        if len(secret) >= _MIN_SECRET:
            text = text.replace(secret, REDACTED)
            for line in secret.splitlines():  # a multi-line token file shows up line by line
                if len(line.strip()) >= _MIN_SECRET:
                    text = text.replace(line.strip(), REDACTED)
    for pattern in _PATTERNS:
        text = pattern.sub(_replace, text)
    return text


def scrub_value(value: Any, _depth: int = 0) -> Any:
    """Scrub strings inside nested dicts/lists/tuples (log events, exception dicts); other values as they are."""
    if isinstance(value, str):
        return scrub(value)
    if _depth > 32:
        return value
    if isinstance(value, dict):
        return {key: scrub_value(item, _depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_value(item, _depth + 1) for item in value]
    return value
