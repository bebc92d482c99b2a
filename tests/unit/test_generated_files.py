"""The committed generated files that Python alone can make are what their generators make now (`./dev gen`).

The README's tool reference, the CRD (in deploy/crds and in the chart), the chart's generated helpers and its
README values table. The files whose generator needs helm, uv or Go are compared by tests/deploy.
"""

from __future__ import annotations

import pytest

from scripts.gen.targets import COMMAND, Target, difference, hermetic_targets, splice, targets, tool_targets


@pytest.mark.parametrize("target", hermetic_targets(), ids=lambda t: t.path)
def test_generated_file_is_current(target: Target) -> None:
    assert difference(target) is None, difference(target)


def test_every_generated_file_has_a_generator() -> None:
    """The CRD goes to both of its places and the Kustomize base, the image's requirements and the pinned Argo
    swagger are generated too (compared where their tools are)."""
    paths = {t.path for t in targets()}
    assert {
        "README.md",
        "deploy/crds/argo-mcp.io_argomcpservers.yaml",
        "deploy/helm/argo-mcp/files/argo-mcp.io_argomcpservers.yaml",
        "deploy/helm/argo-mcp/templates/_generated.tpl",
        "deploy/helm/argo-mcp/README.md",
        "deploy/kustomize/base/deployment.yaml",
        "image-requirements.txt",
    } <= paths
    assert any(p.startswith("tests/data/argo-swagger-v") for p in paths)
    assert len(paths) == len(targets()), "two generators write the same file"
    assert {t.path for t in hermetic_targets()} | {t.path for t in tool_targets()} == paths
    assert not {t.path for t in hermetic_targets()} & {t.path for t in tool_targets()}


def test_splice_replaces_only_the_marked_section_and_names_a_lost_marker() -> None:
    text = "intro\n<!-- s -->\nold\n<!-- e -->\noutro\n"
    assert splice(text, "<!-- s -->\n", "<!-- e -->", "new\n", where="X") == (
        "intro\n<!-- s -->\nnew\n\n<!-- e -->\noutro\n"
    )
    with pytest.raises(ValueError, match=r"X lost its generated-section markers"):
        splice("no markers\n", "<!-- s -->\n", "<!-- e -->", "new\n", where="X")


def test_a_stale_file_names_the_command_and_shows_the_diff() -> None:
    small = "deploy/crds/kustomization.yaml"  # six lines: the whole diff is shown
    target = Target(small, "a test", lambda: "kind: Kustomization\n")
    message = difference(target)
    assert message is not None and message.startswith(
        f"{small} is stale (generated from a test): run `{COMMAND}`"
    )
    assert f"--- {small} (committed)" in message and "-apiVersion: kustomize.config.k8s.io/v1beta1" in message
    assert "more lines" not in message
    long = difference(Target("README.md", "a test", lambda: "not the README\n"), limit=5)
    assert long is not None and long.splitlines()[-1].endswith("more lines")
    missing = Target("no/such/file.txt", "a test", lambda: "x")
    assert difference(missing) == f"no/such/file.txt is missing (generated from a test): run `{COMMAND}`"
