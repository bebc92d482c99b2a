"""Argo's own example Workflows lint the same through argo-mcp as through Argo's API (issue 11, defect 14).

argo-mcp once trimmed every string input, so block scalars lost their final newline on the way to Argo and valid
examples were refused. Here every Workflow example that the pinned argo-workflows module ships is linted twice
against the real Argo Server: once through argo-mcp's `lint_workflow` with the file's text exactly as written, once
by a direct `POST /api/v1/workflows/{namespace}/lint` of the same parsed documents. The verdicts must be equal,
document by document; a difference names the file.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import yaml

from tests.e2e.mcp_support import call, start_with_token
from tests.e2e.stack import versions as V
from tests.e2e.stack.fixture import E2EStack
from tests.support.processes import ServerProcess

pytestmark = pytest.mark.local_only(
    reason="reads Argo's examples from the argo-workflows Go module that the local build downloads"
)


def _workflow_examples() -> list[tuple[Path, str, list[dict[str, Any]]]]:
    """(path, text, documents) of every example file whose YAML documents are all Workflows."""
    argo = V.load().argo
    examples = V.module_dir(argo.module, argo.version) / "examples"
    found = []
    for path in sorted(examples.rglob("*.yaml")):
        text = path.read_text()
        try:
            documents = [d for d in yaml.safe_load_all(text) if d is not None]
        except yaml.YAMLError:
            continue  # not a manifest (Argo ships a few templated files); Argo's API could not take it either
        if documents and all(isinstance(d, dict) and d.get("kind") == "Workflow" for d in documents):
            found.append((path, text, documents))
    return found


def _direct_verdict(stack: E2EStack, token: str, document: dict[str, Any]) -> bool:
    """Whether Argo's lint API accepts `document`, asked directly, in the namespace argo-mcp lints in."""
    metadata = {**(document.get("metadata") or {}), "namespace": stack.namespace}
    body = {"namespace": stack.namespace, "workflow": {**document, "metadata": metadata}}
    request = urllib.request.Request(
        f"{stack.argo_url}/api/v1/workflows/{stack.namespace}/lint",
        method="POST",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return bool(response.status == 200)
    except urllib.error.HTTPError as exc:
        if exc.code in (400, 404, 500):
            return False  # a finding (argo-mcp's lint_request reads these the same way)
        raise


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def mcp(stack: E2EStack, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ServerProcess]:
    server = await start_with_token(
        stack, tmp_path_factory.mktemp("mcp-lint"), stack.mint_token(stack.full_sa, seconds=3600)
    )
    yield server
    await server.stop()


async def test_argo_examples_lint_the_same_through_argo_mcp_as_through_argo(
    stack: E2EStack, mcp: ServerProcess
) -> None:
    examples = _workflow_examples()
    # The pinned module ships ~190 Workflow examples: far fewer means the examples were not found, not a pass.
    assert len(examples) >= 150, f"only {len(examples)} Workflow examples found in the pinned Argo module"
    token = stack.mint_token(stack.full_sa, seconds=3600)
    differences: list[str] = []
    accepted = 0
    for path, text, documents in examples:
        answer = await call(mcp, "lint_workflow", {"workflow": text})
        through_mcp = (
            [bool(d["valid"]) for d in answer["documents"]]
            if "documents" in answer
            else [bool(answer["valid"])]
        )
        direct = [await asyncio.to_thread(_direct_verdict, stack, token, d) for d in documents]
        accepted += sum(direct)
        if through_mcp != direct:
            differences.append(f"{path.name}: argo-mcp {through_mcp}, Argo {direct}: {str(answer)[:300]}")
    assert not differences, f"{len(differences)} of {len(examples)} examples differ:\n" + "\n".join(
        differences
    )
    # Most examples are valid on their own; if Argo refused nearly all, the comparison proved nothing.
    assert accepted >= len(examples) // 2, f"Argo accepted only {accepted} of {len(examples)} examples"
