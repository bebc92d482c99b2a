"""Every regular expression argo-mcp runs over text it does not control scans in linear time.

Log lines, Argo messages and manifests are written by whoever writes workflows; a pattern that backtracks
quadratically turns one 64 KiB log line into seconds of CPU on the event loop (a CI run once saw /healthz stall for
5 s on a huge log record). Each check compares the time of one input with that of an input eight times longer,
both measured in this run as this thread's CPU time: linear work grows about 8 times, quadratic work 64 times. The
ratio, not a duration, is asserted, so a slow or loaded machine does not change the verdict.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import time
from collections.abc import Callable

import pytest

import argo_mcp
from argo_mcp import redaction
from argo_mcp.tools import shaping

# Inputs built from the pieces the patterns look for, repeated: each one made some earlier pattern quadratic.
FRAGMENTS = (
    "x",
    "a1",
    "a.",
    "a-",
    "1",
    " ",
    "=",
    "eyJ",
    "-eyJ",
    "eyJa.",
    "a://",
    "a://b:",
    "token",
    "token=",
    'token="',
    "password: ",
    "bearer ",
    "authorization ",
    "ghp_",
    "sk-",
    "-----BEGIN RSA PRIVATE KEY-----\n",
    "-----BEGIN ",
    "\u00e9",
    "{",
    "${",
    "*",
    "..",
    "\\",
)
SMALL, LARGE = 2_000, 16_000  # characters; LARGE is 8 times SMALL
GROWTH_LIMIT = 24  # linear is about 8, quadratic about 64
NOISE_FLOOR = 0.002  # seconds: below this on the large input the work is too small to matter or to measure


def _patterns() -> dict[str, re.Pattern[str]]:
    """Every module-level compiled pattern (alone or in a list or tuple) in the argo_mcp package."""
    found: dict[str, re.Pattern[str]] = {}
    for module_info in pkgutil.walk_packages(argo_mcp.__path__, "argo_mcp."):
        if module_info.name.endswith("__main__"):
            continue
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            candidates = value if isinstance(value, list | tuple) else [value]
            for index, candidate in enumerate(candidates):
                if isinstance(candidate, re.Pattern) and isinstance(candidate.pattern, str):
                    found.setdefault(f"{module_info.name}.{name}[{index}]", candidate)
    return found


def _best_time(work: Callable[[str], object], text: str) -> float:
    """The least CPU time of this thread over five runs: other processes' load on the host does not count."""
    best = float("inf")
    for _ in range(5):
        started = time.thread_time()
        work(text)
        best = min(best, time.thread_time() - started)
    return best


def _growth(work: Callable[[str], object]) -> tuple[float, str, float]:
    """The largest time ratio (large input over small) among the fragments, with its fragment and large time."""
    worst = (0.0, "", 0.0)
    for fragment in FRAGMENTS:
        small = fragment * (SMALL // len(fragment))
        large = fragment * (LARGE // len(fragment))
        large_time = _best_time(work, large)
        if large_time < NOISE_FLOOR:
            continue
        ratio = large_time / max(_best_time(work, small), 1e-7)
        worst = max(worst, (ratio, fragment, large_time))
    return worst


PATTERNS = _patterns()


def test_the_pattern_census_found_the_redaction_patterns() -> None:
    """The walk really reaches the modules that matter (a broken walk would make every check below vacuous)."""
    names = set(PATTERNS)
    assert any(name.startswith("argo_mcp.redaction._URL_PASSWORD") for name in names)
    assert any(name.startswith("argo_mcp.tools.shaping._STANDALONE_SECRETS") for name in names)
    assert len(PATTERNS) >= 30, sorted(names)


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_each_pattern_searches_and_matches_in_linear_time(name: str) -> None:
    pattern = PATTERNS[name]

    def work(text: str) -> None:
        pattern.search(text)
        pattern.fullmatch(text)

    ratio, fragment, took = _growth(work)
    assert ratio < GROWTH_LIMIT, (
        f"{name} ({pattern.pattern!r}) grows {ratio:.0f}x on {fragment!r}, {took:.3f}s"
    )


TEXT_FUNCTIONS: dict[str, Callable[[str], object]] = {
    "shaping.redact_text": shaping.redact_text,
    "redaction.scrub": redaction.scrub,
    "redaction.is_secret_value": redaction.is_secret_value,
    "redaction.redact_url_passwords": redaction.redact_url_passwords,
}


@pytest.mark.parametrize("name", sorted(TEXT_FUNCTIONS))
def test_each_redaction_over_free_text_is_linear(name: str) -> None:
    """These run pattern.sub/finditer over whole log lines and messages: every match position counts."""
    ratio, fragment, took = _growth(TEXT_FUNCTIONS[name])
    assert ratio < GROWTH_LIMIT, f"{name} grows {ratio:.0f}x on {fragment!r}, {took:.3f}s"


def test_a_huge_log_record_is_redacted_in_milliseconds_not_seconds() -> None:
    """The CI failure itself: one 64 KiB record of a single repeated character (the log cap's largest line)."""
    line = "x" * 65_536
    small = _best_time(shaping.redact_text, line[:8_192])
    assert _best_time(shaping.redact_text, line) / max(small, 1e-7) < GROWTH_LIMIT


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("a=token=s3cr3tvalue", "a=token=[redacted]"),
        ('password="two words" user=me', "password=[redacted] user=me"),
        ("my.api-key: abc123def", "my.api-key: [redacted]"),
        ("Authorization: Bearer abcdefghijkl", "Authorization: Bearer [redacted]"),
        ("url=https://me:hunter22@git.example.com/x", "url=https://me:[redacted]@git.example.com/x"),
        ("cut: -----BEGIN RSA PRIVATE KEY-----\nMIIEow", "cut: [redacted]"),
        (
            "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY----- after",
            "[redacted] after",
        ),
        (
            "replicas=3 image=alpine:3.20 tokens_used: 12",
            "replicas=3 image=alpine:3.20 tokens_used: [redacted]",
        ),
        ("nothing to see, status: open", "nothing to see, status: open"),
    ],
)
def test_the_linear_rules_still_mask_what_the_old_ones_did(text: str, shown: str) -> None:
    assert shaping.redact_text(text) == shown
