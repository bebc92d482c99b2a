"""Manifests cannot make argo-mcp do unbounded work: YAML aliases that expand past the request limit are refused
before anything is sent, and big manifests are parsed off the event loop, once per call."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from argo_mcp.tools import manifests
from argo_mcp.tools.inputs import OFF_LOOP_ARGUMENT_BYTES
from argo_mcp.tools.lifecycle import LintInput
from argo_mcp.tools.manifests import MAX_EXPANDED_BYTES, manifest_documents
from argo_mcp.tools.templates import ManifestInput
from tests.support.fake_argo import FakeArgo, Workflow
from tests.support.processes import ServerProcess, http_client, text_of


def alias_bomb(levels: int) -> str:
    """A Workflow whose parameter value is ten aliases of ten aliases of ... of a 10-character string:
    a few hundred bytes of YAML that serialise to 10 * 10**levels characters."""
    lines = ["a0: &a0 xxxxxxxxxx"]
    for level in range(1, levels + 1):
        refs = ", ".join(f"*a{level - 1}" for _ in range(10))
        lines.append(f"a{level}: &a{level} [{refs}]")
    anchors = "\n".join(f"    {line}" for line in lines)
    return (
        "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  generateName: bomb-\n"
        f"  annotations:\n    pad: x\nspec:\n  entrypoint: main\n  x-anchors:\n{anchors}\n"
        f"  arguments:\n    parameters:\n      - name: p\n        value: *a{levels}\n"
    )


def test_an_alias_bomb_is_refused_after_a_bounded_walk() -> None:
    text = alias_bomb(9)  # ~10**10 characters once expanded
    assert len(text) < 1024
    with pytest.raises(ValueError, match=r"YAML aliases .* split the manifest"):
        manifest_documents(text)


def test_aliases_that_stay_small_are_accepted_as_written() -> None:
    documents = manifest_documents(alias_bomb(2))  # 1,000 characters expanded, well under the limit
    value = documents[0]["spec"]["arguments"]["parameters"][0]["value"]
    assert len(value) == 10 and all(len(inner) == 10 for inner in value)
    assert MAX_EXPANDED_BYTES == 4 * 2**20


async def test_lint_of_an_alias_bomb_is_an_invalid_argument_and_sends_nothing(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    async with http_client(shared_server.url) as client:
        result = await client.call_tool("lint_workflow", {"workflow": alias_bomb(9)})
    assert result.is_error
    text = text_of(result)
    assert text.startswith("Invalid arguments for lint_workflow: 'workflow':"), text
    assert "YAML aliases" in text and "Traceback" not in text
    assert not argo.requests


def big_workflow_yaml(min_bytes: int) -> str:
    steps: list[str] = []
    index = 0
    while sum(map(len, steps)) < min_bytes:
        steps.append(
            f"    - name: step-{index}\n      container:\n        image: busybox\n        args: [echo, {index}]\n"
        )
        index += 1
    return (
        "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  generateName: big-\n"
        "spec:\n  entrypoint: step-0\n  templates:\n" + "".join(steps)
    )


@pytest.mark.parametrize("model", [LintInput, ManifestInput])
async def test_big_manifests_are_parsed_off_the_loop_and_only_there(
    model: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    field = "workflow" if model is LintInput else "manifest"
    text = big_workflow_yaml(OFF_LOOP_ARGUMENT_BYTES)
    parsed_in: list[int] = []
    real = manifests.manifest_documents

    def recording(value: Any, **kwargs: Any) -> Any:
        parsed_in.append(threading.get_ident())
        return real(value, **kwargs)

    monkeypatch.setattr(manifests, "manifest_documents", recording)
    monkeypatch.setattr("argo_mcp.tools.lifecycle.manifest_documents", recording)
    args = await model.parse_tool_arguments({field: text})
    loop_thread = threading.get_ident()
    assert parsed_in and loop_thread not in parsed_in, "a big manifest must be parsed in a worker thread"
    before = len(parsed_in)
    documents = args.manifests if model is LintInput else args.documents
    assert documents[0]["metadata"]["generateName"] == "big-"
    assert len(parsed_in) == before, "the call's own reads must reuse what validation parsed"


async def test_small_arguments_stay_on_the_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    real = LintInput.parse_json.__func__  # type: ignore[attr-defined]

    def recording(cls: Any, text: str) -> Any:
        seen.append(threading.get_ident())
        return real(cls, text)

    monkeypatch.setattr(LintInput, "parse_json", classmethod(recording))
    await LintInput.parse_tool_arguments({"workflow": Workflow("small-abc12").json()})
    assert seen == [threading.get_ident()]
