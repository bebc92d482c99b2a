"""Where the bearer token for each outbound Argo request comes from.

One `TokenSource` per auth mode. File-backed sources re-read the file on every request so that a rotated
token (a refresher writing the file, the kubelet renewing a projected service-account token) is used at once,
with no restart. Tokens are never logged and never appear in error messages.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Protocol

from argo_mcp.redaction import remember_secret
from argo_mcp.settings import ArgoSettings, AuthMode


class TokenUnavailableError(Exception):
    """The token could not be read; the message names the file and the fix, never the token."""


class TokenSource(Protocol):
    async def token(self) -> str | None:
        """The current token, or None to send no Authorization header."""
        ...


class NoToken:
    async def token(self) -> str | None:
        return None


class StaticToken:
    """`bearer` mode: ARGO_TOKEN, read once at boot."""

    def __init__(self, token: str) -> None:
        self._token = token
        remember_secret(token)

    async def token(self) -> str | None:
        return self._token

    def __repr__(self) -> str:
        return "StaticToken(<redacted>)"


class FileToken:
    """`bearer-file` and `k8s-service-account` modes: the file is re-read on every request."""

    def __init__(self, path: Path, *, mode: AuthMode) -> None:
        self.path = path
        self.mode = mode

    async def token(self) -> str | None:
        try:
            # Token files are tiny; a thread keeps a slow network filesystem off the event loop.
            raw = await asyncio.to_thread(self.path.read_text, encoding="utf-8")
        except OSError as exc:
            raise TokenUnavailableError(
                f"cannot read the {self.mode.value} token file {self.path}: {exc.strerror or exc}; "
                "restore the file (or fix --argo-token-file)"
            ) from None
        token = raw.strip()
        remember_secret(token)
        if not token:
            raise TokenUnavailableError(
                f"the {self.mode.value} token file {self.path} is empty; write a token into it"
            )
        if any(char.isspace() for char in token):
            for line in token.split():
                remember_secret(line)
            raise TokenUnavailableError(
                f"the {self.mode.value} token file {self.path} holds more than one line or word; a token file "
                "must contain just the token (e.g. `kubectl create token NAME > FILE`)"
            )
        return token


def token_source_for(settings: ArgoSettings) -> TokenSource:
    if settings.auth_mode is AuthMode.BEARER:
        assert settings.token is not None, "cli validates that bearer mode has a token"
        return StaticToken(settings.token)
    if settings.auth_mode in (AuthMode.BEARER_FILE, AuthMode.K8S_SERVICE_ACCOUNT):
        assert settings.token_file is not None, "cli resolves the token file"
        return FileToken(settings.token_file, mode=settings.auth_mode)
    return NoToken()
