"""Helpers shared by the e2e tests that drive argo-mcp: MCP calls that assert, workflow templates, waits."""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import contextlib
import json
import os
import re
import signal
import ssl
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.e2e import workloads
from tests.e2e.stack.fixture import E2EStack
from tests.support.processes import ServerProcess, http_client, payload, start_argo_mcp, text_of

WF = "argoproj.io/v1alpha1"


async def start_with_token(stack: E2EStack, tmp: Path, token: str, *extra: str) -> ServerProcess:
    """argo-mcp as a process in bearer-file mode with `token` (the file is `tmp/token`, rewritable to rotate)."""
    token_file = tmp / "token"
    token_file.write_text(token)
    return await start_argo_mcp(
        tmp,
        "--argo-server-url", stack.argo_url, "--argo-auth-mode", "bearer-file", "--argo-token-file", str(token_file),
        "--argo-default-namespace", stack.namespace, *extra,
    )  # fmt: skip


def container(script: str = "true") -> dict[str, Any]:
    return workloads.container(script)


async def call(server: ServerProcess, tool: str, args: dict[str, Any]) -> dict[str, Any]:
    async with http_client(server.url) as client:
        result = await client.call_tool(tool, args)
    assert not result.is_error, f"{tool}: {text_of(result)}"
    return dict(payload(result))


async def call_text(server: ServerProcess, tool: str, args: dict[str, Any]) -> str:
    async with http_client(server.url) as client:
        result = await client.call_tool(tool, args)
    assert not result.is_error, f"{tool}: {text_of(result)}"
    return text_of(result)


async def call_error(server: ServerProcess, tool: str, args: dict[str, Any]) -> str:
    async with http_client(server.url) as client:
        result = await client.call_tool(tool, args)
    assert result.is_error, f"{tool} should have failed: {text_of(result)}"
    return text_of(result)


async def wait_phase(
    stack: E2EStack, name: str, phases: tuple[str, ...] = ("Succeeded", "Failed", "Error")
) -> dict[str, Any]:
    return await asyncio.to_thread(stack.wait_for_workflow, name, phases, None, 120)


async def wait_restarted(stack: E2EStack, name: str) -> None:
    """After a retry the workflow stays Failed until the controller picks it up; wait for that."""
    for _ in range(120):
        wf = stack.get_workflow(name) or {}
        if wf.get("status", {}).get("phase") not in ("Failed", "Error"):
            return
        await asyncio.sleep(0.5)
    raise AssertionError(f"{name} was not restarted")


def simple_template(
    stack: E2EStack, name: str, *, log: str | None = None, fail_once: bool = False, log_lines: int = 0
) -> str:
    """A WorkflowTemplate with one real step (`main`) that echoes its `message` parameter, then `log` and
    `log_lines` numbered lines; with `fail_once` it exits 1 on its first run in a workflow."""
    parts = ['echo "message: {{workflow.parameters.message}}"']
    if log is not None:
        parts.append(workloads.echo(log))
    if log_lines:
        parts.append(workloads.numbered_lines(log_lines))
    script = "; ".join(parts)
    spec: dict[str, Any] = {
        "entrypoint": "main",
        "arguments": {"parameters": [{"name": "message", "value": "default"}]},
        "templates": [
            {"name": "main", "container": workloads.fail_once(script) if fail_once else container(script)}
        ],
    }
    if fail_once:
        spec["volumes"] = [workloads.flags_volume(stack)]
    stack.create_workflow_template(
        {
            "apiVersion": WF,
            "kind": "WorkflowTemplate",
            "metadata": {"name": name, "namespace": stack.namespace},
            "spec": spec,
        }
    )
    return name


@contextlib.contextmanager
def port_forward(stack: E2EStack, namespace: str, target: str, port: int) -> Iterator[int]:
    """`kubectl port-forward` to a Service (through the apiserver and the real kubelet); yields the local port."""
    exe = stack.kubectl_path()
    proc = subprocess.Popen(
        [exe, "--kubeconfig", stack.kubeconfig, "-n", namespace, "port-forward", target, f":{port}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        m = re.search(r"127\.0\.0\.1:(\d+)", line)
        if not m:
            raise AssertionError(
                f"kubectl port-forward: {line!r} {proc.stderr.read() if proc.stderr else ''}"
            )
        yield int(m.group(1))
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def _initialize_status(url: str, headers: dict[str, str], context: ssl.SSLContext) -> int:
    """The HTTP status of a bare MCP initialize request."""
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "e2e", "version": "1"},
        },
    }
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            **headers,
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
        },
    )
    try:
        with urllib.request.urlopen(request, context=context, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def mcp_through_service(
    stack: E2EStack, namespace: str, fullname: str, tokens: dict[str, str]
) -> dict[str, Any]:
    """One MCP session per token through the in-cluster Service over verified TLS (the chart's CA): the answer
    of list_workflows, or the HTTP error."""
    secret = stack.kube.get(f"/api/v1/namespaces/{namespace}/secrets/{fullname}-tls")["data"]
    ca_pem = base64.b64decode(secret.get("ca.crt") or secret["tls.crt"]).decode()
    context = ssl.create_default_context(cadata=ca_pem)
    results: dict[str, Any] = {}
    with port_forward(stack, namespace, f"svc/{fullname}", 8081) as port:

        async def run() -> None:
            for who, token in tokens.items():
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                url = f"https://localhost:{port}/mcp"
                status = await asyncio.to_thread(_initialize_status, url, headers, context)
                if status != 200:  # the endpoint itself refused (e.g. 401): no MCP session
                    results[who] = ("refused", status)
                    continue
                async with http_client(url, headers=headers, verify=context) as client:
                    listed = await client.call_tool("list_workflows", {"limit": 1})
                    results[who] = ("error", text_of(listed)) if listed.is_error else payload(listed)

        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, run()).result()
    return results
