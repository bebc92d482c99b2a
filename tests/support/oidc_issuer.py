"""A stand-in OIDC issuer's signing side: RS256 tokens and the key as a JWK, for the inbound-auth tests."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa


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
