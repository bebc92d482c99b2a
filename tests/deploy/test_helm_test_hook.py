"""The `helm test` hook's script, run against a real MCP server (the MCP SDK's streamable HTTP app)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator

import pytest

from .bundle import helm_template, one

SERVER = textwrap.dedent(
    """
    import sys
    import uvicorn
    from mcp.server.mcpserver import MCPServer

    server = MCPServer(name="argo-mcp-standin", version="9.9.9")
    app = server.streamable_http_app(json_response=sys.argv[2] == "json")
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
    """
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(params=["sse", "json"])
def mcp_url(request: pytest.FixtureRequest) -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(port), request.param])
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None, "stand-in MCP server exited"
                time.sleep(0.2)
        else:
            pytest.fail("stand-in MCP server did not listen in 30 s")
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_hook_script_initializes_a_real_mcp_server(mcp_url: str) -> None:
    pod = one(helm_template(values={"tls": {"mode": "disabled"}, "inboundAuth": {"mode": "none"}}), "Pod")
    command = pod["spec"]["containers"][0]["command"]
    assert command[:2] == ["python3", "-c"]
    proc = subprocess.run(
        [sys.executable, "-c", command[2]],
        env={**os.environ, "MCP_URL": mcp_url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("initialize OK: argo-mcp-standin 9.9.9 protocol "), proc.stdout


def test_hook_script_fails_when_nothing_answers() -> None:
    pod = one(helm_template(values={"tls": {"mode": "disabled"}}), "Pod")
    script = pod["spec"]["containers"][0]["command"][2].replace("time.sleep(3)", "time.sleep(0)")
    proc = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "MCP_URL": f"http://127.0.0.1:{_free_port()}/mcp"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode != 0
    assert "did not answer initialize" in proc.stderr
