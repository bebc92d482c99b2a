"""Seals for state argo-mcp hands to clients and must recognise later, on any replica: a 2026-07-28
confirmation's `requestState`, and task ids (calls/tasks.py encrypts those with a key derived from this one).

A seal is an HMAC-SHA256 over what the state stands for, with a key every replica shares: the file named by
`--task-key-file` (the chart and the operator create it as a Secret). Without that file the key is random per
process, so state sealed by one replica is not recognised by another or after a restart (argo-mcp warns about
it at start when it serves HTTP). A seal carries its expiry, so a recorded state cannot be replayed forever.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
from pathlib import Path

from argo_mcp.settings import ConfigError

MIN_KEY_BYTES = 32
_EXPIRY = struct.Struct(">Q")


class Sealer:
    def __init__(self, key: bytes, *, shared: bool) -> None:
        self._key = hashlib.sha256(key).digest()
        self.key_material = self._key
        """The shared secret, for keys derived from it (task ids are encrypted with one of their own)."""
        self.shared = shared
        """Whether the key came from a file every replica reads (else it is this process's own)."""

    @classmethod
    def from_file(cls, path: Path | None) -> Sealer:
        if path is None:
            return cls(secrets.token_bytes(MIN_KEY_BYTES), shared=False)
        try:
            key = path.read_bytes().strip()
        except OSError as exc:
            raise ConfigError(
                f"cannot read the task key file {path}: {exc.strerror or exc} (check --task-key-file)"
            ) from None
        if len(key) < MIN_KEY_BYTES:
            raise ConfigError(
                f"the task key file {path} holds {len(key)} bytes; it needs at least {MIN_KEY_BYTES} random bytes "
                "(create one with: head -c 48 /dev/urandom | base64 > FILE)"
            )
        return cls(key, shared=True)

    def _mac(self, purpose: str, subject: bytes, expiry: bytes) -> bytes:
        return hmac.new(self._key, purpose.encode() + b"\0" + expiry + subject, hashlib.sha256).digest()

    def seal(self, purpose: str, subject: bytes, seconds: float) -> str:
        """A token standing for `subject` (which it does not reveal) until `seconds` from now."""
        expiry = _EXPIRY.pack(int(time.time() + seconds))
        return base64.urlsafe_b64encode(expiry + self._mac(purpose, subject, expiry)).decode().rstrip("=")

    def opens(self, purpose: str, subject: bytes, token: str | None) -> bool:
        """Whether `token` was sealed by this key for `subject` and `purpose`, and has not expired."""
        if not token or len(token) > 128:
            return False
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except ValueError:
            return False
        if len(raw) != _EXPIRY.size + hashlib.sha256().digest_size:
            return False
        expiry, mac = raw[: _EXPIRY.size], raw[_EXPIRY.size :]
        if _EXPIRY.unpack(expiry)[0] < time.time():
            return False
        return hmac.compare_digest(mac, self._mac(purpose, subject, expiry))
