"""Connection hygiene for the HTTP listener: no client can hold the server's sockets (issue 11, defect 5).

uvicorn closes a keep-alive connection only after it answered a request on it, and only until the first next
byte arrives: a connection that never sends anything, or sends its headers one byte at a time (slowloris), is
kept forever, and nothing caps how many there are. With 21,000 of them every file descriptor was in use and
real calls timed out. This protocol (uvicorn's h11 one, plus three rules) keeps the listener usable:

- idle timeout: a keep-alive connection with no request for `idle_timeout` seconds is closed (uvicorn's own
  keep-alive timer, with argo-mcp's value);
- header timeout: a request's headers must be complete `header_timeout` seconds after the connection opened
  or the next request's first byte arrived, however slowly they trickle;
- body timeout: its body must then be complete within `body_timeout` seconds (a body trickled byte by byte
  would hold the connection and its request task forever, the same attack one step later);
- connection limit: at `max_connections`, a new connection evicts the connection idle the longest (a client
  reconnects cheaply); when none is idle, the oldest connection still sending its request body, of the peer
  that holds the most connections (more than the newcomer's peer holds), so a peer trickling bodies cannot
  lock other peers out; only when every connection is running a request, or the newcomer's own peer is the one
  holding the most, is the new one answered 503.
"""

from __future__ import annotations

import asyncio
import resource
from collections import Counter
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import h11
import structlog
from uvicorn.protocols.http.h11_impl import H11Protocol

from argo_mcp.transport.access_log import log_refusal, peer_of

log = structlog.get_logger("argo_mcp.http")

_BUSY_BODY = b"argo-mcp: every connection is busy; retry shortly\n"
BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\nretry-after: 1\r\n"
    b"connection: close\r\ncontent-length: " + str(len(_BUSY_BODY)).encode() + b"\r\n\r\n" + _BUSY_BODY
)
"""The answer to a connection over the limit when none can be evicted."""


@dataclass(frozen=True)
class ConnectionLimits:
    idle_timeout: float
    header_timeout: float
    body_timeout: float
    max_connections: int


FD_HEADROOM = 256  # descriptors besides client connections: Argo's pool, files, artifact downloads, logs


def ensure_fd_headroom(max_connections: int) -> None:
    """Raise the soft open-files limit (up to the hard one) so `max_connections` clients cannot use every file
    descriptor; warn when even the hard limit is too low, since then the connection limit cannot protect."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = max_connections + FD_HEADROOM
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    if soft != resource.RLIM_INFINITY and soft < needed:
        log.warning(
            "http_connection_limit_above_fd_limit",
            max_connections=max_connections,
            open_files_limit=soft,
            message=f"lower --max-connections to {max(1, soft - FD_HEADROOM)} or raise the open-files limit",
        )


class _Guarded(Protocol):
    """What the eviction rule reads of a connection."""

    idle_since: float
    sending_since: float
    conn: h11.Connection

    def _is_idle(self) -> bool: ...

    def _peer(self) -> str: ...


G = TypeVar("G", bound=_Guarded)


def _victim(newcomer: G, others: list[G]) -> G | None:
    """The connection to close for `newcomer`: the one idle the longest; else the oldest one still sending its
    body, of the peer holding the most connections (more than the newcomer's peer); else none."""
    idle = [c for c in others if c._is_idle()]
    if idle:
        return min(idle, key=lambda c: c.idle_since)
    held = Counter(c._peer() for c in others)
    mine = newcomer._peer()
    sending = [
        c
        for c in others
        if c.conn.their_state is h11.SEND_BODY and c._peer() != mine and held[c._peer()] > held[mine]
    ]
    return min(sending, key=lambda c: (-held[c._peer()], c.sending_since)) if sending else None


def _refuse(transport: asyncio.Transport, max_connections: int) -> None:
    """Answer 503 to a connection over the limit when none can make room, and log the refusal."""
    log_refusal(
        status=503,
        reason=f"connection limit: all {max_connections} connections are busy with requests (--max-connections)",
        peer=peer_of(transport.get_extra_info("peername")),
        method=None,
        path=None,
        kind="connection_limit",
    )
    transport.write(BUSY)
    transport.close()


def guarded_protocol(limits: ConnectionLimits) -> type[H11Protocol]:
    """uvicorn's h11 protocol with `limits` applied (uvicorn's `Config(http=...)` takes the class)."""

    class GuardedProtocol(H11Protocol):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.timeout_keep_alive = limits.idle_timeout  # type: ignore[assignment]
            self.header_deadline: asyncio.TimerHandle | None = None
            self.body_deadline: asyncio.TimerHandle | None = None
            self.idle_since = 0.0
            self.sending_since = 0.0

        # ---- connection limit ----------------------------------------------------------------------------
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self.idle_since = self.loop.time()
            if len(self.connections) > limits.max_connections and not self._evict_one():
                _refuse(transport, limits.max_connections)
                return
            self._arm_header_deadline()

        def _is_idle(self) -> bool:
            return (self.cycle is None or self.cycle.response_complete) and self.conn.their_state is h11.IDLE

        def _peer(self) -> str:
            return str(self.client[0]) if self.client else ""

        def _evict_one(self) -> bool:
            """Close the connection idle the longest (not this one), else a body-trickling connection of the
            peer holding the most; False when none may go."""
            others = [c for c in self.connections if isinstance(c, GuardedProtocol) and c is not self]
            victim = _victim(self, others)
            if victim is None:
                return False  # the caller answers 503 and logs the refusal
            if not victim._is_idle():
                log.warning("http_connection_evicted", reason="body still arriving", peer=victim._peer())
            victim.close_now()
            return True

        def close_now(self) -> None:
            if not self.transport.is_closing():
                self.transport.close()

        # ---- header timeout ------------------------------------------------------------------------------
        def _arm_header_deadline(self) -> None:
            if self.header_deadline is None:
                self.header_deadline = self.loop.call_later(limits.header_timeout, self._headers_too_slow)

        def _disarm_header_deadline(self) -> None:
            if self.header_deadline is not None:
                self.header_deadline.cancel()
                self.header_deadline = None

        def _headers_too_slow(self) -> None:
            self.header_deadline = None
            if self.conn.their_state is h11.IDLE:
                self.close_now()

        # ---- body timeout --------------------------------------------------------------------------------
        def _body_too_slow(self) -> None:
            self.body_deadline = None
            if self.conn.their_state is h11.SEND_BODY:
                self.close_now()

        def _track_request(self) -> None:
            """After each batch of bytes: headers done → body due; body done → nothing due."""
            state = self.conn.their_state
            if state is not h11.IDLE:
                self._disarm_header_deadline()
            if state is h11.SEND_BODY and self.body_deadline is None:
                self.sending_since = self.loop.time()
                self.body_deadline = self.loop.call_later(limits.body_timeout, self._body_too_slow)
            elif state is not h11.SEND_BODY and self.body_deadline is not None:
                self.body_deadline.cancel()
                self.body_deadline = None

        def data_received(self, data: bytes) -> None:
            if self.conn.their_state is h11.IDLE:
                self._arm_header_deadline()  # the next request's first bytes: its headers are now due
            super().data_received(data)
            self._track_request()

        def on_response_complete(self) -> None:
            self.idle_since = self.loop.time()
            super().on_response_complete()  # arms the idle (keep-alive) timer

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm_header_deadline()
            if self.body_deadline is not None:
                self.body_deadline.cancel()
                self.body_deadline = None
            super().connection_lost(exc)

    return GuardedProtocol
