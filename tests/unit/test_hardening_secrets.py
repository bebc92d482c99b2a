"""Planted secrets never reach a log line or an answer: no frame locals in tracebacks, one scrubber for all."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import pytest

from argo_mcp.argo.auth import FileToken, StaticToken, TokenUnavailableError
from argo_mcp.argo.errors import error_from_response
from argo_mcp.calls import error_result
from argo_mcp.logging import stdlib_formatter, structlog_processors
from argo_mcp.redaction import remember_secret, request_secret, scrub
from argo_mcp.settings import AuthMode
from tests.support.processes import text_of

ARGO_TOKEN = "argo-mcp-own-secret-token-3c1d9f"
CALLER_TOKEN = "caller-opaque-token-77aa10"
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2EifQ.c2lnbmF0dXJlLWJ5dGVz"
PLANTED = (ARGO_TOKEN, CALLER_TOKEN, JWT)


def _render(event: dict[str, Any]) -> str:
    """Run an event through the exact structlog chain argo-mcp configures, returning the JSON line."""
    processors = structlog_processors()
    value: Any = event
    for processor in processors:
        value = processor(None, "error", value)
    assert isinstance(value, str)
    return value


def _failing_with_secrets_in_locals() -> None:
    token = ARGO_TOKEN  # noqa: F841 - the point: a local that a traceback with locals would print
    headers = {"Authorization": f"Bearer {JWT}"}  # noqa: F841
    raise RuntimeError("boom while parsing the answer")


def test_exception_logs_carry_no_frame_locals() -> None:
    remember_secret(ARGO_TOKEN)
    try:
        _failing_with_secrets_in_locals()
    except RuntimeError:
        line = _render({"event": "tool_failed_unexpectedly", "exc_info": sys.exc_info()})
    record = json.loads(line)
    assert record["exception"][0]["exc_type"] == "RuntimeError"
    assert '"locals"' not in json.dumps(record)
    for secret in PLANTED:
        assert secret not in line


def test_every_event_value_is_scrubbed_even_nested() -> None:
    remember_secret(ARGO_TOKEN)
    with request_secret(CALLER_TOKEN):
        line = _render(
            {
                "event": f"calling with {ARGO_TOKEN}",
                "headers": {"Authorization": f"Bearer {CALLER_TOKEN}", "nested": [f"jwt {JWT}"]},
                "reason": f"echo: authorization: Basic {CALLER_TOKEN}",
            }
        )
    for secret in PLANTED:
        assert secret not in line
    assert "[redacted]" in line


def test_standard_library_records_are_scrubbed_and_have_no_locals() -> None:
    remember_secret(ARGO_TOKEN)
    try:
        _failing_with_secrets_in_locals()
    except RuntimeError:
        record = logging.LogRecord(
            "uvicorn.error", logging.ERROR, __file__, 1, f"header Bearer {JWT}", None, sys.exc_info()
        )
    line = stdlib_formatter().format(record)
    assert '"locals"' not in line and "boom while parsing" in line
    for secret in PLANTED:
        assert secret not in line


def test_argo_error_text_echoing_the_authorization_header_is_scrubbed() -> None:
    remember_secret(ARGO_TOKEN)
    body = json.dumps(
        {"code": 16, "message": f"token not valid: Authorization: Bearer {ARGO_TOKEN} (from {JWT})"}
    ).encode()
    error = error_from_response(401, body, what="list workflows")
    for text in (str(error), error.argo_message, error.detail):
        for secret in PLANTED:
            assert secret not in text
    proxy_html = f"<pre>GET /api/v1/workflows\nauthorization: Bearer {ARGO_TOKEN}\n</pre>".encode()
    assert ARGO_TOKEN not in str(error_from_response(502, proxy_html, what="x"))


def test_tool_errors_are_scrubbed() -> None:
    remember_secret(ARGO_TOKEN)
    assert ARGO_TOKEN not in text_of(error_result(f"failed: {ARGO_TOKEN}"))


async def test_static_token_is_known_to_the_scrubber() -> None:
    secret = "static-argo-token-0a9b8c7d"
    assert await StaticToken(secret).token() == secret
    assert secret not in scrub(f"x {secret} y")


async def test_two_line_token_file_is_refused_without_showing_it(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("first-line-of-token-aaaa\nsecond-line-of-token-bbbb\n")
    with pytest.raises(TokenUnavailableError) as error:
        await FileToken(path, mode=AuthMode.BEARER_FILE).token()
    assert "more than one line" in str(error.value) and str(path) in str(error.value)
    assert "first-line" not in str(error.value)
    leaked = scrub("header value first-line-of-token-aaaa / second-line-of-token-bbbb")
    assert "first-line-of-token-aaaa" not in leaked and "second-line-of-token-bbbb" not in leaked


def test_ordinary_text_is_left_alone() -> None:
    text = "workflow argo/hello-abc12 Failed: exit code 1; bearer-file mode; basic information"
    assert scrub(text) == text
