"""Argo failures as typed errors whose messages tell an agent what to do next.

The Argo Server is a gRPC gateway: errors come back as an HTTP status and a JSON body such as
`{"code": 5, "message": "workflows.argoproj.io \"x\" not found"}`. `error_from_response` keeps Argo's own
message (it is the most precise thing we have) and adds the status-specific advice of the reference's
troubleshooting section. Nothing here ever includes a token.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from argo_mcp.redaction import scrub

# gRPC status codes that the gateway puts in "code" (google.golang.org/grpc/codes).
GRPC_CODE_NAMES = {
    1: "Canceled",
    2: "Unknown",
    3: "InvalidArgument",
    4: "DeadlineExceeded",
    5: "NotFound",
    6: "AlreadyExists",
    7: "PermissionDenied",
    8: "ResourceExhausted",
    9: "FailedPrecondition",
    10: "Aborted",
    12: "Unimplemented",
    13: "Internal",
    14: "Unavailable",
    16: "Unauthenticated",
}


class ArgoError(Exception):
    """Base class; `str(error)` is the full agent-facing message."""

    status: int | None = None
    label: ClassVar[str] = "Argo request failed"
    advice: ClassVar[str] = ""

    def __init__(
        self, detail: str, *, status: int | None = None, grpc_code: int | None = None, argo_message: str = ""
    ) -> None:
        # Argo's text (or a proxy's) may echo the request's Authorization header: scrub before anyone sees it.
        self.detail = scrub(detail)
        self.argo_message = scrub(argo_message)
        if status is not None:
            self.status = status
        self.grpc_code = grpc_code
        super().__init__(self.render())

    def render(self) -> str:
        head = f"{self.label}: {self.detail}" if self.detail else self.label
        return f"{head}. {self.advice}" if self.advice else head


class ArgoBadRequest(ArgoError):
    status = 400
    label = "Argo rejected the request (400 Bad Request)"
    advice = "Fix the arguments named in the message and call the tool again."


class ArgoUnauthorized(ArgoError):
    status = 401
    label = "401 Unauthorized from the Argo server"
    advice = (
        "The bearer token expired or has no RBAC permissions. In bearer-file mode, refresh the token "
        "(e.g. re-run `argo auth token` or `kubectl create token`) and overwrite the token file; no server "
        "restart is needed. In bearer mode, restart argo-mcp with a fresh ARGO_TOKEN. In k8s-service-account "
        "mode, check that the Pod's projected token is mounted and the ServiceAccount exists."
    )


class ArgoForbidden(ArgoError):
    status = 403
    label = "403 Forbidden: the identity argo-mcp uses may not do this"
    advice = (
        "Kubernetes RBAC refused it. Grant the missing verb on the resource named above to argo-mcp's "
        "ServiceAccount (a Role/RoleBinding in that namespace), or use a read-only tool instead."
    )


class ArgoNotFound(ArgoError):
    status = 404
    label = "Not found"
    advice = "Check the name and the namespace (list the resources first to see what exists)."


class ArgoConflict(ArgoError):
    status = 409
    label = "Conflict (409)"
    advice = (
        "The resource already exists or changed since it was read. Pick another name, or get the current "
        "object and retry the change on top of it."
    )


class ArgoServerError(ArgoError):
    label = "The Argo server failed"
    advice = "This is on the server's side: retry shortly; if it persists, check the Argo server's logs."


class ArgoUnavailable(ArgoError):
    label = "Cannot reach the Argo server"
    advice = (
        "Check --argo-server-url / ARGO_SERVER_URL and that the Argo server is running and reachable from "
        "argo-mcp (for a local cluster: kubectl -n argo port-forward svc/argo-server 2746:2746)."
    )


class ArgoTimeout(ArgoError):
    label = "The Argo server did not answer in time"
    advice = "Retry; narrow the request (a label selector, a smaller limit); or raise --argo-timeout."


class ArgoTLSError(ArgoError):
    label = "TLS verification of the Argo server failed"
    advice = (
        "x509: certificate signed by unknown authority means the Argo server uses a private CA: pass its CA "
        "bundle with --argo-ca-file (production), or --argo-insecure-skip-tls-verify for local debugging only."
    )


class ArgoPlainHTTP(ArgoTLSError):
    """An https:// URL whose server answered the TLS handshake in plain HTTP (argo-helm's `server.secure: false`).

    Why its own message: OpenSSL only says "wrong version number", which reads like a certificate problem and
    sends people after CA bundles, while the fix is the URL's scheme or the server's TLS switch."""

    label = "The Argo server speaks plain HTTP, not TLS"

    def __init__(self, what: str, url: str) -> None:
        self.url = url
        self.plain_url = "http://" + url.removeprefix("https://")
        super().__init__(what)

    def render(self) -> str:
        return (
            f"{self.detail}: Argo at {self.url} answered plain HTTP; use {self.plain_url} (--argo-server-url) "
            "or enable TLS on the Argo server (argo-helm: server.secure=true)"
        )


# OpenSSL's reasons for a TLS record that is really the start of an HTTP answer ("HTTP/1.1 400 ..."):
# WRONG_VERSION_NUMBER up to OpenSSL 3.1, RECORD_LAYER_FAILURE from 3.2, HTTP_REQUEST/HTTPS_PROXY_REQUEST.
PLAIN_HTTP_SSL_REASONS = frozenset(
    {"WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "HTTP_REQUEST", "HTTPS_PROXY_REQUEST"}
)
_PLAIN_HTTP_SSL_TEXT = ("wrong version number", "record layer failure", "http request")


def is_plain_http_answer(exc: BaseException) -> bool:
    """Whether a TLS handshake failed because the server answered in plain HTTP (any wrapped ssl.SSLError)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        reason = getattr(current, "reason", None)
        if isinstance(reason, str) and reason.upper() in PLAIN_HTTP_SSL_REASONS:
            return True
        if isinstance(current, OSError) and any(t in str(current).lower() for t in _PLAIN_HTTP_SSL_TEXT):
            return True
        os_error = getattr(current, "os_error", None)
        current = (
            os_error if isinstance(os_error, BaseException) else current.__cause__ or current.__context__
        )
    return False


class ArgoProtocolError(ArgoError):
    label = "The Argo server sent an answer argo-mcp cannot read"
    advice = "Check that --argo-server-url points at the Argo Server (not the UI proxy or another service)."


class ArgoAnswerTooLarge(ArgoError):
    label = "Argo's answer is too large"
    advice = (
        "argo-mcp stopped reading it. Narrow the request: a smaller limit (and continue to page), a "
        "labelSelector or fieldSelector, or fields to ask only for what you need; or raise "
        "--argo-max-response-mib."
    )


class ArgoAuthConfigError(ArgoError):
    label = "argo-mcp cannot authenticate to Argo"


_BY_STATUS: dict[int, type[ArgoError]] = {
    400: ArgoBadRequest,
    401: ArgoUnauthorized,
    403: ArgoForbidden,
    404: ArgoNotFound,
    409: ArgoConflict,
}


def _message_from_body(body: bytes) -> tuple[str, int | None]:
    """Argo's message and gRPC code from a gateway error body, or a short excerpt of a non-JSON body."""
    text = body.decode("utf-8", errors="replace").strip()
    try:
        parsed: Any = json.loads(text)
    except ValueError:
        return text[:300], None
    if isinstance(parsed, dict):
        message = parsed.get("message") or parsed.get("error")
        code = parsed.get("code")
        grpc_code = code if isinstance(code, int) else None
        if isinstance(message, str) and message:
            return message, grpc_code
        if isinstance(message, dict) and isinstance(message.get("message"), str):
            return str(message["message"]), grpc_code
    return text[:300], None


def error_from_response(status: int, body: bytes, *, what: str) -> ArgoError:
    """Map an HTTP error answer from Argo to a typed error; `what` says which request it was."""
    message, grpc_code = _message_from_body(body)
    detail = f"{what}: {message}" if message else what
    if status in _BY_STATUS:
        return _BY_STATUS[status](detail, status=status, grpc_code=grpc_code, argo_message=message)
    if status >= 500:
        return ArgoServerError(
            f"HTTP {status} for {detail}", status=status, grpc_code=grpc_code, argo_message=message
        )
    return ArgoError(f"HTTP {status} for {detail}", status=status, grpc_code=grpc_code, argo_message=message)
