"""A stand-in OIDC issuer's signing side: RS256 tokens and the key as a JWK, for the inbound-auth tests."""

from __future__ import annotations

import base64
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.processes import serve_app


@dataclass
class Issuer:
    url: str
    key: rsa.RSAPrivateKey

    def token(self, **claims: Any) -> str:
        now = int(time.time())
        payload = {
            "iss": self.url,
            "aud": "argo-mcp",
            "sub": "alice",
            "email": "alice@example.com",
            "iat": now,
            "exp": now + 300,
            **claims,
        }
        return jwt.encode(payload, self.key, algorithm="RS256", headers={"kid": "k1"})


def b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@contextlib.asynccontextmanager
async def serve_issuer() -> AsyncIterator[Issuer]:
    """An issuer with a fresh RS256 key (kid `k1`) served on a free local port: its discovery document and its
    JWKS, which is all argo-mcp's OIDC mode fetches."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = key.public_key().public_numbers()
    jwk = {"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256", "n": b64(numbers.n), "e": b64(numbers.e)}

    url = ""  # bound below once the app is served; the handlers read it when they are called

    async def discovery(_r: web.Request) -> web.Response:
        return web.json_response({"issuer": url, "jwks_uri": f"{url}/keys"})

    async def keys(_r: web.Request) -> web.Response:
        return web.json_response({"keys": [jwk]})

    app = web.Application()
    app.router.add_get("/.well-known/openid-configuration", discovery)
    app.router.add_get("/keys", keys)
    async with serve_app(app) as served:
        url = served
        yield Issuer(url, key)
