"""`--auth-inbound oidc` fuzzed on the surfaces beyond tools (resources/list, resources/read, completion/complete,
prompts/get), as the kubernetes mode is, through a real argo-mcp and raw JSON-RPC:

- a bad token (expired, another audience, another issuer, another key, HS256, alg none, opaque or random text,
  JWT-shaped garbage from hypothesis) is a 401 on every surface, its text in neither the body nor a header, and
  nothing reaches Argo;
- a valid caller gets exactly the answers an anonymous caller of a `--auth-inbound none` server gets, and Argo
  receives exactly the same requests for both;
- no bad token ends up in the server's log.

The issuer is a real JWKS endpoint on loopback. `Issuer` (the token maker) is test_access.py's; the JWKS server
is built here at module scope (test_access's `issuer` fixture is per test, and this module's servers live for
the module).
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import jwt
import pytest
import pytest_asyncio
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.support import fuzz
from tests.support.fake_argo import FakeArgo, Workflow
from tests.support.oidc_issuer import Issuer, serve_issuer
from tests.support.processes import ServerProcess, start_argo_mcp
from tests.support.raw_mcp import Answer
from tests.support.rpc import rpc

MANY = max(20, hypothesis_settings().max_examples)  # unit: 20 tokens (x 4 surfaces), soak: 150
assert fuzz.CUSTOM_FORMATS  # the suite's hypothesis profiles (unit / soak) are loaded by importing it

LISTING = {"metadata": {}, "items": [Workflow("hello-1").json(), Workflow("hello-2", phase="Failed").json()]}
DEBUG = {"type": "ref/prompt", "name": "debug_failed_workflow"}
# (method, params): the surfaces beyond tools, each reading Argo (but prompts/get) with the caller's answer.
SURFACES: list[tuple[str, dict[str, Any]]] = [
    ("resources/list", {}),
    ("resources/read", {"uri": "argo://workflows/argo/hello-1"}),
    (
        "completion/complete",
        {
            "ref": DEBUG,
            "argument": {"name": "name", "value": "hel"},
            "context": {"arguments": {"namespace": "argo"}},
        },
    ),
    ("prompts/get", {"name": "debug_failed_workflow", "arguments": {"name": "hello-1"}}),
]
SURFACE_IDS = [method for method, _ in SURFACES]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def issuer() -> AsyncIterator[Issuer]:
    async with serve_issuer() as served:
        yield served


class Rig:
    def __init__(self, oidc: ServerProcess, anonymous: ServerProcess, session: aiohttp.ClientSession) -> None:
        self.oidc, self.anonymous, self.session = oidc, anonymous, session
        self.refused: list[str] = []  # every bad token sent, for the log check at the end

    async def ask(
        self, server: ServerProcess, method: str, params: dict[str, Any], token: str | None = None
    ) -> tuple[Answer, dict[str, str]]:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else None
        return await rpc(self.session, server.url, method, params, headers=headers)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def rig(
    argo_fake: tuple[FakeArgo, str], issuer: Issuer, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Rig]:
    _, url = argo_fake
    tmp = tmp_path_factory.mktemp("robust-oidc")
    base = ("--argo-server-url", url, "--argo-auth-mode", "none", "--argo-default-namespace", "argo")
    oidc = await start_argo_mcp(tmp, *base, "--auth-inbound", "oidc", "--oidc-issuer", issuer.url)
    anonymous = await start_argo_mcp(tmp, *base, "--auth-inbound", "none")
    try:
        async with aiohttp.ClientSession() as session:
            rig = Rig(oidc, anonymous, session)
            yield rig
    finally:
        await oidc.stop()
        await anonymous.stop()
    log = oidc.stderr()
    assert "tool_failed_unexpectedly" not in log and "Traceback" not in log
    leaked = [token for token in rig.refused if len(token) >= 16 and token in log]
    assert not leaked, f"bad tokens in the server's log: {leaked[:3]}"


def _program(argo: FakeArgo) -> None:
    argo.on("WorkflowService_ListWorkflows", LISTING)
    argo.on("WorkflowService_GetWorkflow", Workflow("hello-1").json())


def _seen(argo: FakeArgo, since: int) -> list[tuple[str, str, list[tuple[str, str]]]]:
    return [(r.operation, r.path, sorted(r.query)) for r in argo.requests[since:]]


def _refused_cleanly(answer: Answer, headers: dict[str, str], token: str, what: str) -> None:
    assert answer.status == 401, f"{what}: HTTP {answer.status}: {answer.body[:300]}"
    challenge = headers.get("WWW-Authenticate", "")
    assert challenge.startswith("Bearer ") and 'error="invalid_token"' in challenge, (what, challenge)
    assert json.loads(answer.body)["error"] == "invalid_token", (what, answer.body[:300])
    if len(token) >= 12:  # a short token is a substring of any text; a real one is not
        assert token not in answer.body, f"{what}: the token is echoed in the body"
        assert all(token not in value for value in headers.values()), (
            f"{what}: the token is echoed in a header"
        )


def _segment(part: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


# ---- bad tokens ----------------------------------------------------------------------------------------------
def _hand_made(issuer: Issuer) -> dict[str, str]:
    now = int(time.time())
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    claims = {"iss": issuer.url, "aud": "argo-mcp", "sub": "mallory", "exp": now + 300}
    unsigned = ".".join(_segment(part) for part in ({"alg": "none", "typ": "JWT"}, claims)) + "."
    return {
        "expired": issuer.token(exp=now - 120, iat=now - 600),
        "not-yet-valid": issuer.token(nbf=now + 3600),
        "wrong-audience": issuer.token(aud="someone-else"),
        "wrong-issuer": issuer.token(iss="https://evil.example.com"),
        "wrong-key": jwt.encode(claims, other_key, algorithm="RS256", headers={"kid": "k1"}),
        "unknown-kid": jwt.encode(claims, other_key, algorithm="RS256", headers={"kid": "k2"}),
        "hs256": jwt.encode(claims, "s" * 32, algorithm="HS256", headers={"kid": "k1"}),
        "alg-none": unsigned,
        "signature-stripped": issuer.token().rsplit(".", 1)[0] + ".",
        "payload-swapped": ".".join(
            [
                issuer.token().split(".")[0],
                base64.urlsafe_b64encode(json.dumps({**claims, "sub": "admin"}).encode())
                .rstrip(b"=")
                .decode(),
                issuer.token().split(".")[2],
            ]
        ),
        "opaque": "sha256~kubernetes-style-opaque-token-0123456789",
        "garbage": "not-a-jwt-at-all-3f9a1c",
    }


@pytest.mark.parametrize(("method", "params"), SURFACES, ids=SURFACE_IDS)
async def test_each_bad_token_is_401_on_every_surface_and_reaches_nothing(
    argo: FakeArgo, rig: Rig, issuer: Issuer, method: str, params: dict[str, Any]
) -> None:
    _program(argo)
    for label, token in _hand_made(issuer).items():
        rig.refused.append(token)
        answer, headers = await rig.ask(rig.oidc, method, params, token)
        _refused_cleanly(answer, headers, token, f"{method} with a {label} token")
    for header in ({}, {"Authorization": "Basic YWxpY2U6cGFzc3dvcmQ="}, {"Authorization": "Bearer"}):
        answer, _ = await rpc(rig.session, rig.oidc.url, method, params, headers=header)
        assert answer.status == 401, (method, header, answer.body[:300])
    assert argo.requests == [], [r.operation for r in argo.requests]


_SEGMENT = st.from_regex(r"[A-Za-z0-9_-]{2,120}", fullmatch=True)
GARBAGE = st.one_of(
    st.from_regex(r"[!-~]{16,300}", fullmatch=True),  # any visible ASCII a header may carry
    st.tuples(_SEGMENT, _SEGMENT, _SEGMENT).map(".".join),  # JWT-shaped
    st.tuples(st.just("eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0"), _SEGMENT, _SEGMENT).map(
        ".".join
    ),  # real header
)


@hypothesis_settings(max_examples=MANY)
@given(token=GARBAGE)
async def test_random_tokens_are_401_everywhere_and_never_echoed(
    argo: FakeArgo, rig: Rig, token: str
) -> None:
    _program(argo)
    before = len(argo.requests)
    rig.refused.append(token)
    for method, params in SURFACES:
        answer, headers = await rig.ask(rig.oidc, method, params, token)
        _refused_cleanly(answer, headers, token, f"{method} with {token[:40]!r}")
    assert len(argo.requests) == before


# ---- a valid caller ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("method", "params"), SURFACES, ids=SURFACE_IDS)
async def test_a_valid_caller_gets_what_an_anonymous_one_gets(
    argo: FakeArgo, rig: Rig, issuer: Issuer, method: str, params: dict[str, Any]
) -> None:
    _program(argo)
    anonymous, _ = await rig.ask(rig.anonymous, method, params)
    sent_anonymous = _seen(argo, 0)
    authenticated, _ = await rig.ask(rig.oidc, method, params, issuer.token())
    sent_authenticated = _seen(argo, len(sent_anonymous))
    assert anonymous.status == authenticated.status == 200, (anonymous.body[:300], authenticated.body[:300])
    assert anonymous.message is not None and authenticated.message is not None
    assert "result" in authenticated.message, authenticated.body[:300]
    assert authenticated.message == anonymous.message
    assert sent_authenticated == sent_anonymous
    if method != "prompts/get":
        assert sent_authenticated, f"{method} read nothing from Argo: the comparison would prove nothing"
