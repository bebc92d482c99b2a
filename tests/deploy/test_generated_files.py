"""The committed files made from something beyond Python and the repository are current.

Generated (`./dev gen`): the Kustomize base (the chart's render with helm), image-requirements.txt (uv.lock's
export with uv) and every pinned Argo swagger.json (tests/data/argo-swagger-<version>.json, which the unit
suite's stand-in reads): byte for byte what the Argo Workflows Go module of that version holds.
Copied: the behaviour contract tests/data/argo-workflows-mcp-reference.txt, from ../shared beside the
repository, so that tests/unit reads nothing outside the repository.
"""

from __future__ import annotations

import pytest

from scripts.gen.targets import Target, difference, tool_targets
from tests.support.processes import REPO

REFERENCE_COPY = REPO / "tests" / "data" / "argo-workflows-mcp-reference.txt"
SHARED_REFERENCE = REPO.parent / "shared" / "seed" / "argo-workflows-mcp-reference.txt"


@pytest.mark.parametrize("target", tool_targets(), ids=lambda t: t.path)
def test_generated_file_is_current(target: Target) -> None:
    assert difference(target) is None, difference(target)


def test_the_reference_contract_copy_is_the_shared_contract() -> None:
    if not SHARED_REFERENCE.is_file():
        pytest.fail(
            f"the behaviour contract {SHARED_REFERENCE} is missing: this check runs with ../shared beside the "
            "repository (as CI has it); tests/unit reads the copy in tests/data"
        )
    assert REFERENCE_COPY.read_bytes() == SHARED_REFERENCE.read_bytes(), (
        f"tests/data's contract differs from {SHARED_REFERENCE}: copy it with "
        f"`cp {SHARED_REFERENCE} {REFERENCE_COPY.relative_to(REPO)}` and fix what the unit tests then report"
    )
