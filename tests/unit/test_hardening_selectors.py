"""Selector validation is linear in the input's length and keeps Kubernetes' selector grammar.

The adversarial inputs below made the former regular expressions backtrack for seconds to hours (a 3 KB
fieldSelector blocked the event loop for 37 s); here they are far longer and must still be answered at once.
pytest-timeout bounds the run, so a regression shows up as a failing test, never as a timed assertion.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from argo_mcp.tools.inputs import ListOptionsInput

BIG = 200_000


def _valid(**fields: str) -> bool:
    try:
        ListOptionsInput.model_validate(fields)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize(
    "selector",
    [
        "a=" + " " * BIG + "=",
        "a=" + " " * BIG + "!",
        "a" * BIG + "=" + " " * BIG + "b=",
        " " * BIG + "a" + " " * BIG + "!=" + "x" * BIG + "=",
    ],
)
def test_adversarial_field_selectors_are_refused(selector: str) -> None:
    assert not _valid(fieldSelector=selector)


@pytest.mark.parametrize(
    "selector",
    [
        "a" + "." * 40 + "0" * 20 + "!",  # the 57-byte reproduction's shape
        "a" * BIG + "!",
        ("a." * (BIG // 2)) + "/b=c",  # overlong prefix
        "a-" * BIG + "=b",
        "x in (" + "a," * BIG + "-)",
        "0" + "-0" * BIG + "/",
    ],
)
def test_adversarial_label_selectors_are_refused(selector: str) -> None:
    assert not _valid(labelSelector=selector)


def test_long_valid_selectors_are_accepted() -> None:
    assert _valid(fieldSelector=",".join(f"metadata.name!=wf-{i}" for i in range(20_000)))
    assert _valid(labelSelector=",".join(f"app{i}.example.com/k-{i}=v{i}" for i in range(20_000)))
    assert _valid(labelSelector="env in (" + ",".join(f"v{i}" for i in range(20_000)) + ")")


@pytest.mark.parametrize(
    ("selector", "valid"),
    [
        ("a=b", True),
        ("a==b", True),
        ("a!=b", True),
        ("!a", True),
        ("a", True),
        (" a = b ", True),
        ("x in (a,b)", True),
        ("x notin (a, b)", True),
        ("a in ()", True),
        ("a=", True),
        ("example.com/app=etl", True),
        ("workflows.argoproj.io/phase=Failed,app=etl", True),
        ("a=b=c", False),
        ("=b", False),
        ("a in", False),
        ("a in (b", False),
        ("a b", False),
        ("-a=b", False),
        ("a/=b", False),
        ("/a=b", False),
        ("A.b/c=d", False),
        ("a=-b", False),
        ("a=b c", False),
        ("a~=b", False),
        ("k=" + "v" * 64, False),
        ("k" * 64 + "=v", False),
    ],
)
def test_label_selector_grammar(selector: str, valid: bool) -> None:
    assert _valid(labelSelector=selector) is valid


@pytest.mark.parametrize(
    ("selector", "valid"),
    [
        ("metadata.name=my-wf", True),
        ("metadata.name==my-wf,status.phase!=Failed", True),
        ("spec.x[0]=1", True),
        ("metadata.name=", True),
        ("a=b=c", False),
        ("=b", False),
        ("a", False),
        ("a!b", False),
        ("a=b!", False),
    ],
)
def test_field_selector_grammar(selector: str, valid: bool) -> None:
    assert _valid(fieldSelector=selector) is valid


def test_refusal_names_the_requirement_and_the_fix() -> None:
    with pytest.raises(ValidationError) as error:
        ListOptionsInput.model_validate({"fieldSelector": "metadata.name=a=b"})
    message = str(error.value)
    assert "'metadata.name=a=b' is not a valid field selector requirement" in message
    assert "field=value" in message
