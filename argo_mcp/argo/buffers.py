"""A global budget for the bytes of Argo answers held at once, across every concurrent call.

Each answer is capped on its own (`--argo-max-response-mib`), but 64 calls each reading a 32 MiB answer would
still hold 2 GiB. The client reserves an answer's bytes here as they arrive (all at once when Argo sends a
Content-Length) and gives them back once the answer is decoded; a read that would pass the budget stops at
once, its connection closed, and the call is refused as busy with a retry hint. Single event loop: a counter.
"""

from __future__ import annotations

from dataclasses import dataclass

from argo_mcp.argo.errors import ArgoError
from argo_mcp.settings import describe_size


class ArgoBuffersFull(ArgoError):
    label = "argo-mcp is busy"
    advice = "Nothing of this answer was kept; retry in a few seconds, or narrow the request so its answer is smaller."


@dataclass
class AnswerBudget:
    limit: int
    held: int = 0

    def hold(self, what: str) -> Held:
        return Held(self, what)


@dataclass
class Held:
    """The bytes one answer holds; `release` gives them back, once."""

    budget: AnswerBudget
    what: str
    size: int = 0

    def grow(self, size: int) -> None:
        """Account `size` more bytes of this answer, or raise `ArgoBuffersFull` (nothing is added then)."""
        budget = self.budget
        if budget.held + size > budget.limit:
            raise ArgoBuffersFull(
                f"{self.what}: the answers argo-mcp is reading from Argo for concurrent calls already hold "
                f"{describe_size(budget.held)} of {describe_size(budget.limit)} (--max-buffered-mib)"
            )
        budget.held += size
        self.size += size

    def release(self) -> None:
        self.budget.held -= self.size
        self.size = 0
