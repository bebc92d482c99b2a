"""Outbound auth modes (the Authorization header Argo receives, token rotation) and TLS on both sides."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import trustme
from aiohttp import web

from tests.support.fake_argo import FakeArgo
from tests.support.processes import ServerProcess, free_port, http_client, start_argo_mcp, text_of, tool_error
from tests.support.samples import VERSION


async def _version_call(server: ServerProcess, **kwargs: object) -> str:
    async with http_client(server.url, **kwargs) as client:  # type: ignore[arg-type]
        result = await client.call_tool("get_argo_version", {})
    assert not result.is_error, text_of(result)
    return str(text_of(result))


async def test_bearer_mode_sends_argo_token_and_never_logs_it(
    argo: FakeArgo, argo_url: str, tmp_path: Path
) -> None:
    argo.on("InfoService_GetVersion", VERSION)
    secret = "bearer-secret-0123456789"
    server = await start_argo_mcp(
        tmp_path, "--argo-server-url", argo_url, "--argo-auth-mode", "bearer", env={"ARGO_TOKEN": secret}
    )
    try:
        output = await _version_call(server)
        assert argo.last("InfoService_GetVersion").headers["Authorization"] == f"Bearer {secret}"
        assert secret not in output
    finally:
        await server.stop()
    assert secret not in server.stderr()


async def test_bearer_file_is_reread_on_every_request(argo: FakeArgo, argo_url: str, tmp_path: Path) -> None:
    argo.on("InfoService_GetVersion", VERSION)
    token_file = tmp_path / "token"
    token_file.write_text("first-token\n\n")
    server = await start_argo_mcp(
        tmp_path,
        "--argo-server-url",
        argo_url,
        "--argo-auth-mode",
        "bearer-file",
        "--argo-token-file",
        str(token_file),
    )
    try:
        await _version_call(server)
        assert argo.last("InfoService_GetVersion").headers["Authorization"] == "Bearer first-token"
        token_file.write_text("rotated-token  \n")
        await _version_call(server)
        assert argo.last("InfoService_GetVersion").headers["Authorization"] == "Bearer rotated-token"
        token_file.unlink()
        async with http_client(server.url) as client:
            result = await client.call_tool("get_argo_version", {})
        assert result.is_error
        assert f"cannot read the bearer-file token file {token_file}" in text_of(result)
    finally:
        await server.stop()
    assert "rotated-token" not in server.stderr() and "first-token" not in server.stderr()


async def test_service_account_mode_reads_the_projected_token_as_it_rotates(
    argo: FakeArgo, argo_url: str, tmp_path: Path
) -> None:
    argo.on("InfoService_GetVersion", VERSION)
    token_file = tmp_path / "sa" / "token"
    token_file.parent.mkdir()
    token_file.write_text("sa-token-1")
    server = await start_argo_mcp(
        tmp_path,
        "--argo-server-url",
        argo_url,
        "--argo-token-file",
        str(token_file),
        env={"KUBERNETES_SERVICE_HOST": "10.96.0.1"},  # in-cluster: k8s-service-account is the default mode
    )
    try:
        await _version_call(server)
        assert argo.last("InfoService_GetVersion").headers["Authorization"] == "Bearer sa-token-1"
        # The kubelet swaps the projected token with an atomic symlink/rename; do the same.
        new = token_file.with_name("token.new")
        new.write_text("sa-token-2")
        new.replace(token_file)
        await _version_call(server)
        assert argo.last("InfoService_GetVersion").headers["Authorization"] == "Bearer sa-token-2"
        starting = [r for r in server.logs() if r.get("event") == "starting"]
        assert starting and starting[0]["auth_mode"] == "k8s-service-account"
    finally:
        await server.stop()


async def test_none_mode_sends_no_authorization(argo: FakeArgo, shared_server: ServerProcess) -> None:
    argo.on("InfoService_GetVersion", VERSION)
    await _version_call(shared_server)
    assert "Authorization" not in argo.last("InfoService_GetVersion").headers


# ---- TLS ----------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest_asyncio.fixture(loop_scope="session")
async def tls_argo(ca: trustme.CA, tmp_path: Path) -> AsyncIterator[tuple[str, Path]]:
    """A minimal HTTPS Argo (version endpoint only) with a certificate from a private test CA."""
    cert = ca.issue_cert("127.0.0.1", "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    app = web.Application()

    async def version(_request: web.Request) -> web.Response:
        return web.json_response(VERSION)

    app.router.add_get("/api/v1/version", version)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port, ssl_context=context).start()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    yield f"https://127.0.0.1:{port}", ca_file
    await runner.cleanup()


async def test_private_ca_is_refused_with_the_x509_advice(tls_argo: tuple[str, Path], tmp_path: Path) -> None:
    url, _ = tls_argo
    server = await start_argo_mcp(tmp_path, "--argo-server-url", url, "--argo-auth-mode", "none")
    try:
        text = await tool_error(server.url, "get_argo_version", {})
        assert "TLS verification of the Argo server failed" in text
        assert "certificate signed by unknown authority" in text and "--argo-ca-file" in text
    finally:
        await server.stop()


@pytest.mark.parametrize("trust", ["ca-file", "insecure"])
async def test_private_ca_trusted_or_skipped(tls_argo: tuple[str, Path], tmp_path: Path, trust: str) -> None:
    url, ca_file = tls_argo
    extra = ["--argo-ca-file", str(ca_file)] if trust == "ca-file" else ["--argo-insecure-skip-tls-verify"]
    server = await start_argo_mcp(tmp_path, "--argo-server-url", url, "--argo-auth-mode", "none", *extra)
    try:
        assert '"version":"v3.7.6"' in await _version_call(server)
    finally:
        await server.stop()


async def test_https_listener_with_tls_cert_and_key(
    argo: FakeArgo, ca: trustme.CA, tmp_path: Path, server_with: Any
) -> None:
    argo.on("InfoService_GetVersion", VERSION)
    cert = ca.issue_cert("127.0.0.1")
    cert_file, key_file = tmp_path / "tls.crt", tmp_path / "tls.key"
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    server = await server_with(
        "--tls-cert",
        str(cert_file),
        "--tls-key",
        str(key_file),
        ca=client_context,
    )
    assert server.url.startswith("https://")
    await _version_call(server, verify=client_context)
