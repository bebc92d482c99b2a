"""Admission: how many calls may reach Argo at once, counted in one place for every road (tool calls, resource
reads and lists, completions, the UID lookups that place a call).

A call over the limit is refused at once rather than queued behind slow calls (a queue would hold its
connection open and time out anyway), with a message that names the limit and says when to retry. Calls are
counted per caller as well (the inbound identity; the peer address when callers are anonymous), so the counts
a fairness rule needs are already kept. Single event loop: plain counters are enough.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from argo_mcp.policy import ToolError


class Busy(ToolError):
    """The call was not admitted; the message names the limit and the retry."""


@dataclass
class Admission:
    """The in-flight budget (`--max-inflight-calls`) shared by every road into Argo."""

    limit: int
    running: int = 0
    by_caller: Counter[str] = field(default_factory=Counter)

    def enter(self, caller: str, what: str) -> Ticket:
        """A slot for one call of `caller`, or `Busy` naming `what` was not started."""
        if self.running >= self.limit:
            raise Busy(
                f"argo-mcp is busy: {self.limit} calls are already running (--max-inflight-calls), so {what} "
                "was not started and nothing was sent to Argo; retry in a few seconds"
            )
        self.running += 1
        self.by_caller[caller] += 1
        return Ticket(self, caller)


@dataclass
class Ticket:
    """One admitted call; `release` gives the slot back, once."""

    admission: Admission
    caller: str
    released: bool = False

    def release(self) -> None:
        if self.released:
            return
        self.released = True
        self.admission.running -= 1
        self.admission.by_caller[self.caller] -= 1
        if self.admission.by_caller[self.caller] <= 0:
            del self.admission.by_caller[self.caller]
