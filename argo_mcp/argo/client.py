"""`ArgoClient`: every request argo-mcp makes to the Argo Server goes through here.

One aiohttp session per process (connection pool, keep-alive), created lazily inside the running event loop;
aiohttp itself is imported then too (it is ~15 % of start-up, and listing tools needs no Argo request).
TLS is verified unless `--argo-insecure-skip-tls-verify`, which only affects this session's connector. Reads
(GET) are retried a couple of times on connection failures and 502/503/504, since they are idempotent;
writes are never retried, so a submit cannot run twice.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import orjson

from argo_mcp import __version__
from argo_mcp.argo.auth import TokenSource, TokenUnavailableError, token_source_for
from argo_mcp.argo.buffers import AnswerBudget, ArgoBuffersFull, Held
from argo_mcp.argo.errors import (
    ArgoAnswerTooLarge,
    ArgoAuthConfigError,
    ArgoError,
    ArgoPlainHTTP,
    ArgoProtocolError,
    ArgoTimeout,
    ArgoTLSError,
    ArgoUnavailable,
    error_from_response,
    is_plain_http_answer,
)
from argo_mcp.metrics import operation_of, record_argo_request
from argo_mcp.settings import ArgoSettings, describe_size
from argo_mcp.telemetry import argo_span

if TYPE_CHECKING:
    import aiohttp

QueryValue = str | int | bool | None | Sequence[str]
Query = Mapping[str, QueryValue]
BodyCheck = Callable[[bytes | bytearray], None]
"""Looks at an answer's raw body before it is decoded, and may refuse it by raising (a tool's answer cap)."""

RETRYABLE_STATUSES = frozenset({502, 503, 504})
READ_CHUNK = 64 * 1024
ERROR_BODY_CAP = 64 * 1024  # an error answer's message is in its first bytes
RETRY_DELAYS = (0.2, 0.8)


def _ssl_for(settings: ArgoSettings) -> ssl.SSLContext | bool:
    if settings.insecure_skip_tls_verify:
        return False
    context = ssl.create_default_context()
    if settings.ca_file is not None:
        context.load_verify_locations(cafile=str(settings.ca_file))
    return context


def encode_query(query: Query | None) -> list[tuple[str, str]]:
    """Drop unset values, render booleans as Argo expects (`true`/`false`), repeat list values."""
    pairs: list[tuple[str, str]] = []
    for key, value in (query or {}).items():
        if value is None:
            continue
        if isinstance(value, bool):
            pairs.append((key, "true" if value else "false"))
        elif isinstance(value, str | int):
            pairs.append((key, str(value)))
        else:
            pairs.extend((key, str(item)) for item in value)
    return pairs


def _failure_code(error: ArgoError, code: str) -> str:
    """The metrics code of a request that got no complete answer: tls, timeout, or unreachable (no status yet)."""
    if isinstance(error, ArgoTLSError):
        return "tls"
    if isinstance(error, ArgoTimeout):
        return "timeout"
    return code


async def _read_capped(response: aiohttp.ClientResponse, cap: int, held: Held) -> bytearray | None:
    """The body, read chunk by chunk, or None as soon as it is known to exceed `cap` bytes (a Content-Length
    over the cap stops before reading anything); the connection is then closed, so the rest is never read.
    Memory stays bounded by the cap, whatever Argo (or a proxy in front of it) sends, and by the budget of all
    answers held at once (`held` grows with the body, or raises before the connection is read further); the
    buffer is returned as is (a copy to `bytes` would hold a large answer twice)."""
    if response.content_length is not None and response.content_length > cap:
        response.close()
        return None
    try:
        if response.content_length is not None:
            held.grow(response.content_length)
        body = bytearray()
        async for chunk in response.content.iter_chunked(READ_CHUNK):
            body += chunk
            if len(body) > held.size:
                held.grow(len(body) - held.size)
            if len(body) > cap:
                response.close()
                return None
    except ArgoBuffersFull:
        response.close()
        raise
    return body


_JSON_KINDS = {
    list: "array",
    str: "string",
    int: "number",
    float: "number",
    bool: "boolean",
    type(None): "null",
}


# 20 digits in a row: possibly an integer beyond 64 bits (or just a long number or digit string: then the only
# cost is the slower parser). Found by mapping every ASCII digit to "0" and every other byte to "." and searching
# for twenty "0"s: ~0.1 ms on a 50 KB workflow, where the regular expression `\d{20}` took ~1.5 ms, the largest
# single cost of a get_workflow call (it tries a match at every byte).
_DIGITS_AS_ZEROS = bytes(0x30 if 0x30 <= byte <= 0x39 else 0x2E for byte in range(256))
_TWENTY_DIGITS = b"0" * 20


def has_long_digit_run(raw: bytes | bytearray) -> bool:
    return _TWENTY_DIGITS in raw.translate(_DIGITS_AS_ZEROS)


def _decode_object(raw: bytes | bytearray, what: str) -> dict[str, Any]:
    """Argo's gRPC gateway answers every operation with a JSON object ({} for an empty body); anything else
    (an array, a bare string, nesting deeper than the parser's recursion limit) is a clear protocol error,
    never an internal failure further on."""
    if not raw or raw.isspace():
        return {}
    if has_long_digit_run(raw):
        value = _decode_slowly(raw, what)  # orjson would read an integer beyond 64 bits as a rounded float
    else:
        try:
            value = orjson.loads(raw)  # ~3x faster than json.loads on a large workflow
        except ValueError:
            value = _decode_slowly(raw, what)  # what orjson refuses (deep nesting, junk), with clear errors
    if not isinstance(value, dict):
        kind = _JSON_KINDS.get(type(value), type(value).__name__)
        raise ArgoProtocolError(f"{what}: expected a JSON object, got a JSON {kind}")
    return value


def _decode_slowly(raw: bytes | bytearray, what: str) -> Any:
    """The standard library's reading of what orjson refused, with the errors an agent can act on."""
    try:
        return json.loads(raw)
    except RecursionError:
        raise ArgoProtocolError(
            f"{what}: the JSON answer is nested too deeply to read; ask for less of the object (fields)"
        ) from None
    except ValueError:
        snippet = raw[:120].decode("utf-8", errors="replace")
        raise ArgoProtocolError(f"{what}: expected JSON, got {snippet!r}") from None


def _refusal(check_body: BodyCheck, raw: bytes | bytearray) -> Exception | None:
    """What `check_body` raised, without its traceback: the traceback's frames hold the body (and whatever the
    check made of it), and a refusal kept by a reference cycle (the caller's frame holds the exception) would
    keep them until the next full collection, tens of MiB per refused call on a server whose collector runs
    rarely (runtime.py)."""
    try:
        check_body(raw)
    except Exception as exc:
        return exc.with_traceback(None)
    return None


async def _read_head(response: aiohttp.ClientResponse, size: int) -> bytes:
    """At most the first `size` bytes of the body (an error's message); the rest is never read."""
    head = bytearray()
    async for chunk in response.content.iter_chunked(READ_CHUNK):
        head += chunk
        if len(head) >= size:
            response.close()
            break
    return bytes(head[:size])


class ArgoClient:
    """A thin, typed-error client for the Argo Server REST API."""

    def __init__(
        self,
        settings: ArgoSettings,
        token_source: TokenSource | None = None,
        *,
        answers: AnswerBudget | None = None,
    ) -> None:
        self.answers = answers or AnswerBudget(settings.max_buffered_bytes)
        """The bytes of answers held at once across concurrent calls (--max-buffered-mib), shared by the
        clients of every target."""
        self.settings = settings
        self.base_url = settings.server_url.rstrip("/")
        self._tokens = token_source or token_source_for(settings)
        self._session: aiohttp.ClientSession | None = None
        self._ssl = _ssl_for(settings)

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            import aiohttp  # noqa: PLC0415 - imported on the first Argo request, not at start-up

            connector = aiohttp.TCPConnector(ssl=self._ssl, limit=64, keepalive_timeout=30)
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": f"argo-mcp/{__version__}", "Accept": "application/json"},
                timeout=aiohttp.ClientTimeout(
                    total=self.settings.request_timeout, connect=self.settings.connect_timeout
                ),
                raise_for_status=False,
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def _headers(self) -> dict[str, str]:
        try:
            token = await self._tokens.token()
        except TokenUnavailableError as exc:
            raise ArgoAuthConfigError(str(exc)) from None
        return {"Authorization": f"Bearer {token}"} if token else {}

    def _translate(self, exc: BaseException, what: str) -> ArgoError:
        import aiohttp  # noqa: PLC0415 - loaded by now: only a session's requests raise its errors

        if isinstance(exc, aiohttp.ClientSSLError) and is_plain_http_answer(exc):
            return ArgoPlainHTTP(what, self.base_url)
        if isinstance(exc, aiohttp.ClientConnectorCertificateError | aiohttp.ClientSSLError):
            return ArgoTLSError(f"{what} to {self.base_url}: {exc}")
        if isinstance(exc, aiohttp.ClientConnectorError):
            reason = exc.os_error.strerror if exc.os_error and exc.os_error.strerror else str(exc)
            return ArgoUnavailable(f"{what} to {self.base_url}: {reason}")
        if isinstance(exc, TimeoutError | aiohttp.ServerTimeoutError):
            return ArgoTimeout(
                f"{what} to {self.base_url} took longer than {self.settings.request_timeout:g}s"
            )
        if isinstance(exc, aiohttp.ClientPayloadError | aiohttp.ServerDisconnectedError):
            return ArgoUnavailable(f"{what} to {self.base_url}: the connection broke ({exc})")
        return ArgoUnavailable(f"{what} to {self.base_url}: {exc.__class__.__name__}: {exc}")

    async def request(
        self,
        method: str,
        path: str,
        *,
        query: Query | None = None,
        body: Any = None,
        what: str | None = None,
        check_body: BodyCheck | None = None,
    ) -> Any:
        """Send one request and return the decoded JSON answer ({} for an empty body); `check_body` sees the
        raw body first and may refuse it before it is decoded (what it raises is raised here)."""
        label = what or f"{method} {path}"
        attempts = len(RETRY_DELAYS) + 1 if method == "GET" else 1
        for attempt in range(attempts):
            try:
                return await self._request_once(
                    method, path, query=query, body=body, what=label, check_body=check_body
                )
            except ArgoError as exc:
                retryable = isinstance(exc, ArgoUnavailable) or exc.status in RETRYABLE_STATUSES
                if not retryable or attempt == attempts - 1:
                    raise
                await asyncio.sleep(RETRY_DELAYS[attempt])
        raise AssertionError("unreachable")  # pragma: no cover

    async def _request_once(
        self,
        method: str,
        path: str,
        *,
        query: Query | None,
        body: Any,
        what: str,
        check_body: BodyCheck | None,
    ) -> Any:
        import aiohttp  # noqa: PLC0415 - see _get_session

        headers = await self._headers()
        data: bytes | None = None
        if body is not None:
            data = orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS)
            headers["Content-Type"] = "application/json"
        operation = operation_of(method, path)
        held = self.answers.hold(what)
        try:
            with argo_span(operation, self.base_url, headers) as span:
                started, code = time.perf_counter(), "unreachable"
                try:
                    async with self._get_session().request(
                        method, self.base_url + path, params=encode_query(query), data=data, headers=headers
                    ) as response:
                        code = str(response.status)
                        if response.status >= 400:
                            head = await _read_head(response, ERROR_BODY_CAP)
                            raise error_from_response(response.status, head, what=what)
                        raw = await _read_capped(response, self.settings.max_response_bytes, held)
                        if raw is None:
                            code = "too_large"
                            raise ArgoAnswerTooLarge(
                                f"{what}: more than {describe_size(self.settings.max_response_bytes)}"
                            )
                except ArgoError:
                    raise
                except (aiohttp.ClientError, TimeoutError) as exc:
                    error = self._translate(exc, what)
                    code = _failure_code(error, code)
                    raise error from None
                except asyncio.CancelledError:
                    # The caller left before Argo answered: says nothing about Argo (not "unreachable").
                    code = "cancelled" if code == "unreachable" else code
                    raise
                finally:
                    record_argo_request(
                        operation,
                        code,
                        time.perf_counter() - started,
                        None if code == "cancelled" else self.base_url,
                    )
                    span.finish(code)
            if check_body is not None and (refusal := _refusal(check_body, raw)) is not None:
                del raw
                raise refusal
            return _decode_object(raw, what)
        finally:
            held.release()

    @asynccontextmanager
    async def stream(
        self, path: str, *, query: Query | None = None, what: str | None = None, timeout: float | None = None
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """Open a streaming GET; the caller reads `response.content` and leaves early to close the connection.

        `timeout` bounds the whole exchange (a follow stream must never hang a tool call); leaving the
        context releases the connection without reading the rest of the body.
        """
        import aiohttp  # noqa: PLC0415 - see _get_session

        label = what or f"GET {path}"
        headers = await self._headers()
        headers["Accept"] = "*/*"
        client_timeout = aiohttp.ClientTimeout(
            total=timeout, connect=self.settings.connect_timeout, sock_read=self.settings.request_timeout
        )
        started, operation = time.perf_counter(), operation_of("GET", path)
        # The span covers opening the stream (until the answer's headers), like the duration metric.
        with argo_span(operation, self.base_url, headers) as span:
            try:
                response = await self._get_session().get(
                    self.base_url + path, params=encode_query(query), headers=headers, timeout=client_timeout
                )
            except (aiohttp.ClientError, TimeoutError) as exc:
                error = self._translate(exc, label)
                code = _failure_code(error, "unreachable")
                record_argo_request(operation, code, time.perf_counter() - started, self.base_url)
                span.finish(code)
                raise error from None
            record_argo_request(operation, str(response.status), time.perf_counter() - started, self.base_url)
            span.finish(str(response.status))
        try:
            if response.status >= 400:
                raise error_from_response(
                    response.status, await _read_head(response, ERROR_BODY_CAP), what=label
                )
            yield response
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise self._translate(exc, label) from None
        finally:
            # close() (not release()) drops the socket, so an unread remainder is never downloaded.
            response.close()
