"""Naming what exists when an agent asks for something that does not: the names it can pass, and the closest.

An agent that misspells a parameter, an artifact or a pod fixes its call from the answer alone when the answer
names the right spelling; a silent empty answer (or Argo's 500) sends it guessing instead.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

LISTED = 20
"""Names listed in one answer; the rest are counted."""


def closest(wanted: str, names: Iterable[str]) -> str | None:
    """The name most like `wanted` (difflib's ratio, at least 0.6), or None when none is close."""
    matches = difflib.get_close_matches(wanted, list(names), n=1, cutoff=0.6)
    return matches[0] if matches else None


def name_list(names: Iterable[str]) -> str:
    """`a, b, c` (sorted, unique), at most LISTED of them and a count of the rest."""
    unique = sorted(set(names))
    shown = ", ".join(unique[:LISTED])
    return shown + (f" and {len(unique) - LISTED} more" if len(unique) > LISTED else "")


def unknown_name(what: str, wanted: str, names: Iterable[str], *, where: str) -> str:
    """`<where> has no <what> 'x' (did you mean 'y'?); its <what>s: a, b` — or that it has none."""
    known = list(names)
    if not known:
        return f"{where} has no {what} {wanted!r}; it has no {what}s"
    hint = closest(wanted, known)
    guess = f" (did you mean {hint!r}?)" if hint else ""
    return f"{where} has no {what} {wanted!r}{guess}; its {what}s: {name_list(known)}"
