"""A token budget for answers that promise a size (diagnose_workflow: at most 4,000 tokens).

No tokenizer ships with argo-mcp, so the count is an estimate built to stay above what byte-level BPE
tokenizers produce, whatever the text: 0.8 tokens per ASCII letter or digit (random alphanumerics measure 0.72
with cl100k_base, random printable ASCII 0.77), 0.85 per ASCII punctuation character, 0.6 per space, tab or
newline, one per other control character and one per UTF-8 byte of anything else (a byte-level BPE never makes
more tokens than bytes). Ordinary English
and JSON cost two to three times less than estimated; the bound holds for adversarial text (random hex and
base64, CJK, emoji), which the unit tests check against cl100k_base.
"""

from __future__ import annotations

import math

import orjson

_ALNUM = 0.8
_PUNCT = 0.85
_SPACE = 0.6  # space, tab, newline; other control characters count as punctuation and more
_CONTROL = 1.0


def estimate_tokens(text: str) -> int:
    total = 0.0
    for char in text:
        if char.isascii():
            if char.isalnum():
                total += _ALNUM
            elif char in " \t\n":
                total += _SPACE
            elif char.isprintable():
                total += _PUNCT
            else:
                total += _CONTROL
        else:
            total += len(char.encode("utf-8", "surrogatepass"))
    return math.ceil(total)


def json_tokens(value: object) -> int:
    """The estimate for a value as it is sent: compact JSON, escapes included."""
    return estimate_tokens(orjson.dumps(value, default=str).decode())


def tail_within(text: str, tokens: int) -> tuple[str, bool]:
    """The longest end of `text` whose JSON string costs at most `tokens`, cut at a line start where one
    exists; and whether anything was cut."""
    if json_tokens(text) <= tokens:
        return text, False
    low, high = 0, len(text)  # the smallest start index that fits lies in (low, high]
    while low < high:
        middle = (low + high) // 2
        if json_tokens(text[middle:]) <= tokens:
            high = middle
        else:
            low = middle + 1
    start = low
    newline = text.find("\n", start, len(text) - 1)
    if newline >= 0:
        start = newline + 1
    return text[start:], True
