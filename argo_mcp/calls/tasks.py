"""Tasks with Argo as the store: a task id names the Argo object whose state is the task's state.

A task id is sealed with authenticated encryption (AES-GCM, a key derived from `--task-key-file`, which every
replica shares): it carries the tool, the workflow (namespace, name, UID), the caller and the creation time, and
nothing else is kept anywhere. So any replica answers any poll, a task survives restarts, and a poll costs one
Argo GET. An id that does not open (forged, sealed with another key, damaged), that has expired, or that names
another caller is answered exactly as an unknown one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time
from dataclasses import dataclass, field
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from argo_mcp.sealing import Sealer

TTL_MS = 24 * 3600 * 1000
"""How long a task id is honoured: a day, longer than any wait (an hour at most) and a working day of polling."""
MIN_POLL_MS = 1000
_NONCE = 12
_AAD = b"argo-mcp/task/v1"


@dataclass(frozen=True)
class TaskRef:
    """What a task id stands for."""

    tool: str
    namespace: str
    name: str
    uid: str
    caller: str
    created: float
    poll_ms: int = 3000
    submitted: bool = False
    """The task started the workflow (a submit, resubmit or retry with `wait`): cancelling it stops the run."""
    then: str = ""
    """The tool whose answer completes the task once the workflow ended ("" : the wait's own answer)."""
    then_args: dict[str, Any] = field(default_factory=dict)
    target: str = ""
    """The target the task's workflow is on (several Argo servers); "" : the default target."""

    @property
    def expired(self) -> bool:
        return time.time() > self.created + TTL_MS / 1000


def _cipher(sealer: Sealer) -> AESGCM:
    # A key of its own for ids, derived from the shared secret (not the confirmations' MAC key itself).
    return AESGCM(hmac.new(sealer.key_material, b"argo-mcp task ids", hashlib.sha256).digest())


def seal_task(sealer: Sealer, ref: TaskRef) -> str:
    payload = orjson.dumps(
        {
            "t": ref.tool,
            "ns": ref.namespace,
            "n": ref.name,
            "u": ref.uid,
            "c": ref.caller,
            "at": round(ref.created, 3),
            "p": ref.poll_ms,
            "s": ref.submitted,
            **({"x": ref.then, "xa": ref.then_args} if ref.then else {}),
            **({"tg": ref.target} if ref.target else {}),
        }
    )
    nonce = os.urandom(_NONCE)
    sealed = nonce + _cipher(sealer).encrypt(nonce, payload, _AAD)
    return base64.urlsafe_b64encode(sealed).decode().rstrip("=")


def open_task(sealer: Sealer, task_id: str, caller: str) -> TaskRef | None:
    """The task `task_id` stands for, or None when it is not one of this caller's live tasks."""
    if not task_id or len(task_id) > 2048:
        return None
    try:
        raw = base64.urlsafe_b64decode(task_id + "=" * (-len(task_id) % 4))
        payload = orjson.loads(_cipher(sealer).decrypt(raw[:_NONCE], raw[_NONCE:], _AAD))
        ref = TaskRef(
            tool=str(payload["t"]),
            namespace=str(payload["ns"]),
            name=str(payload["n"]),
            uid=str(payload["u"]),
            caller=str(payload["c"]),
            created=float(payload["at"]),
            poll_ms=int(payload["p"]),
            submitted=bool(payload.get("s", False)),
            then=str(payload.get("x", "")),
            then_args=dict(payload.get("xa") or {}),
            target=str(payload.get("tg", "")),
        )
    except (ValueError, KeyError, TypeError, InvalidTag, orjson.JSONDecodeError):
        return None
    if ref.expired or not hmac.compare_digest(ref.caller.encode(), caller.encode()):
        return None
    return ref
