"""Budgets for answers: a token budget for answers that promise a size (diagnose_workflow: at most 4,000 tokens),
and a byte budget that refuses an answer over --max-answer-mib while it is being shaped, before its JSON is built.

No tokenizer ships with argo-mcp, so the count is an estimate built to stay above what byte-level BPE
tokenizers produce, whatever the text: 0.8 tokens per ASCII letter or digit (random alphanumerics measure 0.72
with cl100k_base, random printable ASCII 0.77), 0.85 per ASCII punctuation character, 0.6 per space, tab or
newline, one per other control character and one per UTF-8 byte of anything else (a byte-level BPE never makes
more tokens than bytes). Ordinary English
and JSON cost two to three times less than estimated; the bound holds for adversarial text (random hex and
base64, CJK, emoji), which the unit tests check against cl100k_base.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from typing import Any

import orjson

from argo_mcp.policy import ToolError
from argo_mcp.settings import describe_size

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


class AnswerTooLarge(ToolError):
    """An answer that would exceed --max-answer-mib, found out while it was shaped (before its JSON text exists).

    `size` is the estimated size of the whole answer in bytes, `cap` the limit, `fits` how many items would fit
    (a `limit` that would be answered). The message says how to narrow a list call; the call pipeline may
    render its own from `size` and `cap` (it knows the tool's arguments)."""

    def __init__(self, size: int, cap: int, fits: int) -> None:
        self.size, self.cap, self.fits = size, cap, fits
        super().__init__(
            f"The answer would be about {describe_size(size)}, more than the {describe_size(cap)} argo-mcp "
            f"returns (--max-answer-mib); narrow the request (about {fits} items fit) with a smaller limit (page "
            "on with continue), a labelSelector, a fieldSelector, full=false (the compact summary); or raise "
            "--max-answer-mib."
        )


def json_size(value: Any) -> int:
    """Bytes of `value` as compact JSON, as the answer will carry it (orjson; the standard library for what
    orjson refuses, as the renderer does)."""
    try:
        return len(orjson.dumps(value, default=str))
    except orjson.JSONEncodeError:
        return len(json.dumps(value, default=str, ensure_ascii=False, separators=(",", ":")).encode())


class ItemBudget:
    """Counts the bytes of a list answer item by item and raises AnswerTooLarge at the first item past `cap`.

    Only one item's JSON exists at a time, so a list that would be refused (500 full workflows: 13 MiB) is
    refused after measuring about `cap` bytes of it, without building its text; the size reported for the
    whole answer is extrapolated from the items measured."""

    OVERHEAD = 256  # the answer's own keys (count, continue, namespace) and brackets

    def __init__(self, cap: int | None, total: int) -> None:
        self.cap, self.total = cap, total
        self.used = self.OVERHEAD
        self.counted = 0

    def add(self, item: Any) -> None:
        if self.cap is None:
            return
        self.used += json_size(item) + 1  # and its comma
        self.counted += 1
        if self.used > self.cap:
            average = (self.used - self.OVERHEAD) / self.counted
            estimate = self.OVERHEAD + math.ceil(average * self.total)
            raise AnswerTooLarge(estimate, self.cap, fits=self.counted - 1)


_DECODER = json.JSONDecoder()
_BLANK = re.compile(r"[ \t\n\r]*")


def _after(text: str, pos: int, expected: str) -> int:
    """The position after `expected` (blanks skipped before and after), or ValueError."""
    pos = _BLANK.match(text, pos).end()  # type: ignore[union-attr]  # matches the empty string at worst
    if text[pos : pos + 1] != expected:
        raise ValueError(f"expected {expected!r} at {pos}")
    return _BLANK.match(text, pos + 1).end()  # type: ignore[union-attr]


def _next(text: str, pos: int, close: str) -> tuple[int, bool]:
    """After one member or element: the position of the next one and True, or after `close` and False."""
    pos = _BLANK.match(text, pos).end()  # type: ignore[union-attr]
    if text[pos : pos + 1] == ",":
        return _BLANK.match(text, pos + 1).end(), True  # type: ignore[union-attr]
    if text[pos : pos + 1] == close:
        return pos + 1, False
    raise ValueError(f"expected ',' or {close!r} at {pos}")


def list_items(text: str) -> Iterator[tuple[Any, int]]:
    """The elements of a JSON object's `items` array, decoded one at a time, each with the position after it.

    The standard library's decoder reads one value at a given position (`raw_decode`), so a list answer is read
    item by item and never held decoded whole. ValueError (or RecursionError) on what is not such an object."""
    pos = _after(text, 0, "{")
    more = text[pos : pos + 1] != "}"
    while more:
        key, pos = _DECODER.raw_decode(text, pos)
        pos = _after(text, pos, ":")
        if key == "items" and text[pos : pos + 1] == "[":
            pos = _BLANK.match(text, pos + 1).end()  # type: ignore[union-attr]
            element = text[pos : pos + 1] != "]"
            pos = pos if element else pos + 1
            while element:
                item, pos = _DECODER.raw_decode(text, pos)
                yield item, pos
                pos, element = _next(text, pos, "]")
        else:
            _value, pos = _DECODER.raw_decode(text, pos)
        pos, more = _next(text, pos, "}")


def check_list_body(shape_item: Callable[[Any], Any], cap: int) -> Callable[[bytes | bytearray], None]:
    """A check for ArgoClient.request's `check_body`: a list answer whose raw body is over `cap` bytes is read
    item by item, each item shaped (`shape_item`: a summary, or `clean` for full items) and measured, and
    refused with AnswerTooLarge as soon as the shaped items pass `cap`, before the answer is decoded whole.

    A 500-workflow full list (13 MiB) decoded whole takes ~100 MiB of Python objects that the allocator keeps
    after the refusal; read this way, only the body and one item are held. A body under the cap is left to
    the ordinary decoding (shaping cannot make an answer much larger than Argo's body; shape_list's own budget
    catches the rest); so is one this reader cannot follow, which the decoder then reports."""

    def check(raw: bytes | bytearray) -> None:
        if len(raw) <= cap:
            return
        try:
            text = raw.decode()
            used = ItemBudget.OVERHEAD
            for counted, (item, end) in enumerate(list_items(text)):
                used += json_size(shape_item(item)) + 1
                if used > cap:
                    estimate = math.ceil(used * len(text) / end)  # extrapolated over the rest of the body
                    raise AnswerTooLarge(estimate, cap, fits=counted)
        except (ValueError, RecursionError):
            return

    return check
