"""The two leak scenarios of inbound auth, end to end: the Kubernetes API unreachable under
`--auth-inbound kubernetes`, and OIDC errors. A real argo-mcp process gets planted tokens (its own Argo token,
the kubeconfig's token, the caller's token); after the failing calls, none of them is in any log line or answer."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import httpx2

from tests.support.processes import ServerProcess, closed_url, free_port, start_argo_mcp

ARGO_TOKEN = "argo-token-planted-5b0e7c91d2"
KUBE_TOKEN = "kubeconfig-token-planted-a8f31c"
CALLER_TOKEN = "caller-token-planted-44d1e09b7f"
# A JWT-shaped caller token whose header and payload carry a planted value too.
CALLER_JWT = (
    ".".join(
        base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()
        for part in ({"alg": "RS256", "kid": "k1"}, {"sub": "agent", "note": CALLER_TOKEN})
    )
    + ".c2lnbmF0dXJlLXBsYW50ZWQ"
)
PLANTED = (ARGO_TOKEN, KUBE_TOKEN, CALLER_TOKEN, CALLER_JWT)
CALL = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "tools/call",
    "params": {"name": "list_workflows", "arguments": {}},
}
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def _unreachable_kubeconfig(path: Path) -> Path:
    closed = free_port()
    path.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": f"https://127.0.0.1:{closed}"}}],
                "users": [{"name": "u", "user": {"token": KUBE_TOKEN}}],
                "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "x",
            }
        )
    )
    return path


async def _calls(url: str) -> list[str]:
    """The answers (status and body) to calls with the planted caller tokens."""
    answers = []
    async with httpx2.AsyncClient(timeout=30) as http:
        for token in (CALLER_TOKEN, CALLER_JWT):
            response = await http.post(
                url, json=CALL, headers={**HEADERS, "Authorization": f"Bearer {token}"}
            )
            answers.append(f"{response.status_code} {response.headers} {response.text}")
    return answers


async def _answers(tmp_path: Path, argo_url: str, *inbound: str) -> tuple[ServerProcess, list[str]]:
    """The answers to the planted-token calls of a server with its own Argo token and the `inbound` auth flags;
    the server is stopped, its log left to read."""
    server = await start_argo_mcp(
        tmp_path,
        "--argo-server-url", argo_url, "--argo-auth-mode", "bearer", *inbound,
        env={"ARGO_TOKEN": ARGO_TOKEN},
    )  # fmt: skip
    try:
        return server, await _calls(f"{server.base}/mcp")
    finally:
        await server.stop()


def _assert_nothing_planted(texts: list[str]) -> None:
    for text in texts:
        for secret in PLANTED:
            assert secret not in text, f"planted secret {secret[:12]}... leaked: {text[:300]}"


async def test_kubernetes_api_unreachable_leaks_no_token(tmp_path: Path, argo_url: str) -> None:
    kubeconfig = _unreachable_kubeconfig(tmp_path / "kubeconfig")
    server, answers = await _answers(
        tmp_path, argo_url, "--auth-inbound", "kubernetes", "--kubeconfig", str(kubeconfig)
    )
    # the TokenReview cannot be made: 503 with Retry-After, and the failure logged (with its traceback)
    assert all(answer.startswith("503") and "'retry-after': '5'" in answer for answer in answers), answers
    logs = server.stderr()
    assert any(event.get("level") in ("warning", "error") for event in server.logs()), logs[-2000:]
    _assert_nothing_planted([*answers, logs])


async def test_oidc_errors_leak_no_token(tmp_path: Path, argo_url: str) -> None:
    closed = closed_url()
    server, answers = await _answers(
        tmp_path,
        argo_url,
        "--auth-inbound",
        "oidc",
        "--oidc-issuer",
        closed,
        "--oidc-jwks-url",
        f"{closed}/keys",
    )
    # the opaque token is not a JWT (401); the JWT cannot be checked while the issuer is down (503)
    assert answers[0].startswith("401") and answers[1].startswith("503"), answers
    _assert_nothing_planted([*answers, server.stderr()])
