"""`--auth-inbound oidc`: callers present a JWT from an OpenID Connect issuer.

The signature is checked against the issuer's JWKS (discovered from its openid-configuration unless
`--oidc-jwks-url` is given, cached, re-fetched when an unknown key id appears), and `iss`, `aud` and `exp` are
enforced. Only asymmetric algorithms are accepted, so a token signed with a public key as an HMAC secret fails.
"""

from __future__ import annotations

import time
from typing import Any

import aiohttp
import jwt

from argo_mcp.access.caller import Caller, InvalidToken, IssuerUnavailable

ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
ALGORITHMS_BY_KEY_TYPE = {
    "RSA": ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"],
    "EC": ["ES256", "ES384", "ES512"],
    "OKP": ["EdDSA"],
}
"""A key verifies only its own family's algorithms, so an ES256 header naming an RSA key id is a bad token."""
JWKS_TTL_SECONDS = 600.0
REFETCH_AT_MOST_EVERY_SECONDS = 30.0


class OidcVerifier:
    def __init__(
        self, *, issuer: str, audience: str, jwks_url: str | None = None, timeout: float = 10.0
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.jwks_url = jwks_url
        self.timeout = timeout
        self._keys: dict[str, Any] = {}
        self._declared_algs: dict[str, Any] = {}
        self._fetched_at = 0.0

    def authorization_servers(self) -> list[str]:
        return [self.issuer]

    async def _get_json(self, session: aiohttp.ClientSession, url: str) -> Any:
        async with session.get(url) as response:
            if response.status != 200:
                raise IssuerUnavailable(f"the OIDC issuer answered HTTP {response.status} for {url}")
            return await response.json(content_type=None)

    async def _refresh(self) -> None:
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session:
                url = self.jwks_url
                if url is None:
                    discovery = await self._get_json(
                        session, f"{self.issuer.rstrip('/')}/.well-known/openid-configuration"
                    )
                    url = str(discovery["jwks_uri"])
                document = await self._get_json(session, url)
                keys = jwt.PyJWKSet.from_dict(document)
                declared = {
                    str(jwk.get("kid") or ""): jwk.get("alg")
                    for jwk in document["keys"]
                    if isinstance(jwk, dict)
                }
        except (aiohttp.ClientError, TimeoutError, ValueError, KeyError, TypeError, jwt.PyJWTError) as exc:
            raise IssuerUnavailable(
                f"cannot load the OIDC issuer's signing keys: {exc.__class__.__name__}"
            ) from None
        self._keys = {key.key_id or "": key for key in keys.keys}
        self._declared_algs = declared
        self._fetched_at = time.monotonic()

    async def _key_for(self, kid: str) -> Any:
        age = time.monotonic() - self._fetched_at
        if (
            not self._keys
            or age > JWKS_TTL_SECONDS
            or (kid not in self._keys and age > REFETCH_AT_MOST_EVERY_SECONDS)
        ):
            await self._refresh()
        key = self._keys.get(kid) or (
            next(iter(self._keys.values())) if len(self._keys) == 1 and not kid else None
        )
        if key is None:
            raise InvalidToken(f"unknown signing key id {_shown(kid)}")
        return key

    async def verify(self, token: str) -> Caller:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise InvalidToken("not a JWT") from None
        alg, kid = header.get("alg"), header.get("kid")
        if not isinstance(alg, str) or alg not in ALGORITHMS:
            raise InvalidToken(f"signing algorithm {_shown(alg)} is not accepted")
        if kid is not None and not isinstance(kid, str):
            raise InvalidToken("the token's key id (kid) is not a string")
        key = await self._key_for(kid or "")
        allowed = ALGORITHMS_BY_KEY_TYPE.get(str(key.key_type), [])
        declared = self._declared_algs.get(key.key_id or "")
        if alg not in allowed or (declared is not None and declared != alg):
            raise InvalidToken(f"signing algorithm {alg} does not match the issuer's key {_shown(kid)}")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key.key,
                algorithms=[alg],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iss", "aud", "sub"]},
                leeway=30,
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("token expired") from None
        except jwt.InvalidAudienceError:
            raise InvalidToken(f"token is not for audience {self.audience!r}") from None
        except jwt.InvalidIssuerError:
            raise InvalidToken(f"token was not issued by {self.issuer}") from None
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise InvalidToken(f"invalid token: {exc}") from None
        groups = claims.get("groups") or []
        return Caller(
            username=str(claims.get("email") or claims["sub"]),
            uid=str(claims["sub"]),
            groups=tuple(str(g) for g in groups) if isinstance(groups, list) else (),
        )


def _shown(value: object) -> str:
    """An attacker-chosen header value, quoted, ASCII only and short, for an error message."""
    text = repr(value).encode("ascii", "backslashreplace").decode()
    return text if len(text) <= 64 else text[:61] + "..."
