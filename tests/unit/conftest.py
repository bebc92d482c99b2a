"""Shared fixtures: the swagger-driven Argo stand-in and argo-mcp processes pointed at it."""

from __future__ import annotations

import json
import ssl
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web

from tests.support.fake_argo import FakeArgo
from tests.support.kube_auth import FakeKubeAuth
from tests.support.processes import ServerProcess, free_port, start_argo_mcp


@pytest.fixture(scope="session")
def session_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("argo-mcp")


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def argo_fake() -> AsyncIterator[tuple[FakeArgo, str]]:
    fake = FakeArgo()
    runner = web.AppRunner(fake.app, shutdown_timeout=1.0)
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    yield fake, f"http://127.0.0.1:{port}"
    await runner.cleanup()


@pytest.fixture
def argo(argo_fake: tuple[FakeArgo, str]) -> Iterator[FakeArgo]:
    """The stand-in, reset for this test; any request that breaks Argo's swagger.json fails the test."""
    fake, _ = argo_fake
    fake.requests.clear()
    fake.canned.clear()
    fake.violations.clear()
    fake.stream_stats.clear()
    fake.sequences.clear()
    fake.sequence_status.clear()
    yield fake
    assert not fake.violations, (
        "argo-mcp sent requests that do not follow Argo's swagger.json, or that this test did not program:\n"
        + "\n".join(fake.violations)
    )


@pytest.fixture
def argo_url(argo_fake: tuple[FakeArgo, str]) -> str:
    return argo_fake[1]


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def shared_server(argo_fake: tuple[FakeArgo, str], session_tmp: Path) -> AsyncIterator[ServerProcess]:
    """One argo-mcp (HTTP, auth none) for the tool tests; artifacts confined to session_tmp/artifacts."""
    _, url = argo_fake
    server = await start_argo_mcp(
        session_tmp,
        "--argo-server-url",
        url,
        "--argo-auth-mode",
        "none",
        "--artifact-dir",
        str(session_tmp / "artifacts"),
    )
    yield server
    await server.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def server_with(argo_url: str, tmp_path: Path) -> AsyncIterator[Any]:
    """`await server_with(*flags)`: argo-mcp with these flags against the stand-in, stopped after the test
    (`ca=` the context that trusts its certificate, when the flags make it serve TLS)."""
    started: list[ServerProcess] = []

    async def start(*flags: str, ca: ssl.SSLContext | None = None) -> ServerProcess:
        server = await start_argo_mcp(
            tmp_path, "--argo-server-url", argo_url, "--argo-auth-mode", "none", *flags, ca=ca
        )
        started.append(server)
        return server

    yield start
    for server in started:
        await server.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def kube(tmp_path: Path) -> AsyncIterator[tuple[FakeKubeAuth, Path]]:
    """The kube-apiserver stand-in and a kubeconfig pointing at it (argo-mcp's own token in it)."""
    fake = FakeKubeAuth()
    runner = web.AppRunner(fake.app(), shutdown_timeout=0.5)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": f"http://127.0.0.1:{port}"}}],
                "users": [{"name": "argo-mcp", "user": {"token": "argo-mcp-own-token"}}],
                "contexts": [{"name": "c", "context": {"cluster": "c", "user": "argo-mcp"}}],
                "current-context": "c",
            }
        )
    )
    yield fake, kubeconfig
    await runner.cleanup()


@pytest_asyncio.fixture(loop_scope="session")
async def k8s_server(
    kube: tuple[FakeKubeAuth, Path], argo_url: str, tmp_path: Path
) -> AsyncIterator[ServerProcess]:
    """argo-mcp with inbound kubernetes auth against the kube stand-in."""
    _, kubeconfig = kube
    server = await start_argo_mcp(
        tmp_path,
        "--argo-server-url",
        argo_url,
        "--argo-auth-mode",
        "none",
        "--auth-inbound",
        "kubernetes",
        "--kubeconfig",
        str(kubeconfig),
    )
    yield server
    await server.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def one_slot(server_with: Any) -> ServerProcess:
    """argo-mcp admitting one call at a time (--max-inflight-calls 1): what the admission tests fill and wait on."""
    server: ServerProcess = await server_with("--max-inflight-calls", "1")
    return server
