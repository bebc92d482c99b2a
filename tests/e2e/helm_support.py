"""Helm in the e2e stack: the chart installed as users install it, its pods run for real (the locally built image
on the stack's real node), in namespaces that enforce the restricted Pod Security profile."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.e2e.stack import node as N
from tests.e2e.stack.fixture import E2EStack

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "argo-mcp"
RESTRICTED = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/enforce-version": "latest",
}


def helm_binary() -> str:
    proc = subprocess.run(
        [str(ROOT / "scripts" / "install-tools"), "--print-path", "helm"],
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"scripts/install-tools could not provide helm:\n{proc.stderr}")
    return proc.stdout.strip().splitlines()[-1]


def helm(stack: E2EStack, namespace: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [helm_binary(), "--kubeconfig", stack.kubeconfig, "--namespace", namespace, *args],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"helm {' '.join(args)} failed:\n{proc.stderr}\n{proc.stdout}")
    return proc


def real_pod_values(stack: E2EStack, *, argo_url: bool = True) -> list[str]:
    """Helm flags that run the chart's pods for real: the locally built image (never pulled), on the real node,
    with Argo as pods reach it (unless `argo_url` is false: the chart's default then)."""
    if not stack.argo_mcp_image:
        pytest.fail(
            "the stack built no argo-mcp image (images.PROVIDERS has no `argo-mcp` role)", pytrace=False
        )
    repository, tag = stack.argo_mcp_image.rsplit(":", 1)
    return [
        "--set", f"image.repository={repository}", "--set", f"image.tag={tag}", "--set", "image.pullPolicy=Never",
        "--set-json", f"nodeSelector={json.dumps(N.NODE_SELECTOR)}",
        "--set-json", f"tolerations={json.dumps(N.TOLERATIONS)}",
        *(["--set", f"argoServer.url={stack.pod_argo_url}"] if argo_url else []),
    ]  # fmt: skip


def restricted_namespace(stack: E2EStack, name: str) -> None:
    stack.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": RESTRICTED}})
