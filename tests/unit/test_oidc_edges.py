"""OIDC edge cases: every bad token is a 401 with a well-formed challenge; an unreachable issuer is a 503.

The verifier and the auth middleware run in process (ASGI) against a real aiohttp issuer on loopback, so each
case checks the exact status and headers a client would see.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx2
import jwt
import pytest
import pytest_asyncio
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from starlette.types import Receive, Scope, Send

from argo_mcp.access.middleware import InboundAuth
from argo_mcp.access.oidc import OidcVerifier
from tests.support.processes import free_port


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class Issuer:
    url: str
    rsa_key: rsa.RSAPrivateKey
    keys_status: list[int] = field(default_factory=lambda: [200])

    def claims(self) -> dict[str, Any]:
        return {"iss": self.url, "aud": "argo-mcp", "sub": "alice", "exp": int(time.time()) + 300}


@pytest_asyncio.fixture
async def issuer() -> AsyncIterator[Issuer]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = key.public_key().public_numbers()
    port = free_port()
    state = Issuer(f"http://127.0.0.1:{port}", key)

    async def keys(_r: web.Request) -> web.Response:
        if state.keys_status[0] != 200:
            return web.json_response({"error": "boom"}, status=state.keys_status[0])
        jwk = {"kty": "RSA", "kid": "k1", "use": "sig", "n": _b64(numbers.n), "e": _b64(numbers.e)}
        return web.json_response({"keys": [jwk]})

    app = web.Application()
    app.router.add_get("/keys", keys)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield state
    await runner.cleanup()


async def _ok_app(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


async def _call(jwks_url: str, issuer_url: str, token: str, **headers: str) -> httpx2.Response:
    verifier = OidcVerifier(issuer=issuer_url, audience="argo-mcp", jwks_url=jwks_url, timeout=2)
    app = InboundAuth(_ok_app, verifier, resource=None)
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as http:
        return await http.post("/mcp", headers={"Authorization": f"Bearer {token}", **headers})


def _assert_well_formed_challenge(response: httpx2.Response) -> None:
    challenge = response.headers["www-authenticate"]
    challenge.encode("ascii")  # a header must be ASCII
    assert all(" " <= c <= "~" for c in challenge), challenge
    unescaped = challenge.replace("\\\\", "").replace('\\"', "")
    assert unescaped.count('"') % 2 == 0, challenge
    assert 'resource_metadata="http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp"' in challenge


def _forged_header(token: str, **header: Any) -> str:
    """Replace a signed token's header with `header` (keeps payload and signature)."""
    _, payload, signature = token.split(".")
    encoded = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=").decode()
    return f"{encoded}.{payload}.{signature}"


async def test_good_token_passes(issuer: Issuer) -> None:
    token = jwt.encode(issuer.claims(), issuer.rsa_key, algorithm="RS256", headers={"kid": "k1"})
    response = await _call(f"{issuer.url}/keys", issuer.url, token)
    assert response.status_code == 200, response.text


async def test_key_type_confusion_is_401(issuer: Issuer) -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    token = jwt.encode(issuer.claims(), ec_key, algorithm="ES256", headers={"kid": "k1"})
    response = await _call(f"{issuer.url}/keys", issuer.url, token)
    assert response.status_code == 401, response.text
    assert "does not match the issuer's key" in response.json()["error_description"]
    _assert_well_formed_challenge(response)


@pytest.mark.parametrize(
    "header",
    [
        {"alg": "RS256", "kid": "ключ\u2603"},
        {"alg": "RS256", "kid": 'k1", error="forged'},
        {"alg": "RS256", "kid": 7},
        {"alg": "RS\u00e9256\u2603", "kid": "k1"},
        {"alg": ["RS256"], "kid": "k1"},
    ],
)
async def test_hostile_header_values_are_401_with_an_escaped_challenge(
    issuer: Issuer, header: dict[str, Any]
) -> None:
    signed = jwt.encode(issuer.claims(), issuer.rsa_key, algorithm="RS256", headers={"kid": "k1"})
    response = await _call(f"{issuer.url}/keys", issuer.url, _forged_header(signed, **header))
    assert response.status_code == 401, response.text
    _assert_well_formed_challenge(response)


async def test_forwarded_host_is_not_reflected_unescaped(issuer: Issuer) -> None:
    response = await _call(
        f"{issuer.url}/keys", issuer.url, "not-a-jwt", **{"X-Forwarded-Host": 'evil.example", error="x'}
    )
    assert response.status_code == 401
    _assert_well_formed_challenge(response)
    assert "evil" not in response.headers["www-authenticate"]


@pytest.mark.parametrize("status", [500, 404])
async def test_jwks_error_is_503_with_retry_after(issuer: Issuer, status: int) -> None:
    issuer.keys_status[0] = status
    token = jwt.encode(issuer.claims(), issuer.rsa_key, algorithm="RS256", headers={"kid": "k1"})
    response = await _call(f"{issuer.url}/keys", issuer.url, token)
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"
    assert f"HTTP {status}" in response.json()["error_description"]


async def test_unreachable_issuer_is_503(issuer: Issuer) -> None:
    token = jwt.encode(issuer.claims(), issuer.rsa_key, algorithm="RS256", headers={"kid": "k1"})
    closed = f"http://127.0.0.1:{free_port()}"
    response = await _call(f"{closed}/keys", closed, token)
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"
