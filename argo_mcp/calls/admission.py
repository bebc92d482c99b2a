"""Admission: how many calls may reach Argo at once, decided in one place for every road (tool calls, resource
reads and lists, completions, the UID lookups that place a call).

Two budgets, so that long work can never starve short calls: short calls (`--max-inflight-calls`) and long ones
(`--max-long-calls`: waits, log follows, artifact downloads, which hold their slot for minutes). Each budget is
fair per caller (the inbound identity; the peer address when callers are anonymous): while other callers wait,
that is, were refused in the last few seconds and are retrying, no caller is admitted beyond its share, the
budget divided among the callers using or waiting for it; a long call is also capped per caller
(`--max-long-calls-per-caller`), since a slot it takes may not come back for an hour.

A call that is not admitted is refused at once rather than queued behind slow calls (a queue would hold its
connection open and time out anyway), with a message that names the limit and says when to retry. Single
event loop: plain counters are enough.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from argo_mcp.metrics import record_busy
from argo_mcp.policy import ToolError

WAITING_SECONDS = 10.0
"""How long a refused caller counts as waiting (clients retry within a few seconds)."""


class Busy(ToolError):
    """The call was not admitted; the message names the limit and the retry."""


@dataclass
class Budget:
    """One pool of slots: its limit, who holds how many, and who was refused lately."""

    limit: int
    flag: str
    kind: str
    per_caller: int | None = None
    name: str = "short"
    """The budget's label in the metrics (short, long)."""
    running: int = 0
    by_caller: Counter[str] = field(default_factory=Counter)
    waiting: dict[str, float] = field(default_factory=dict)

    def share(self, caller: str, now: float) -> int:
        """The most slots `caller` may hold now: the budget divided among the callers holding slots or waiting
        for one (itself included), and the per-caller cap where there is one."""
        for name, since in list(self.waiting.items()):
            if now - since > WAITING_SECONDS:
                del self.waiting[name]
        callers = set(self.by_caller) | set(self.waiting) | {caller}
        fair = math.ceil(self.limit / len(callers))
        return fair if self.per_caller is None else min(fair, self.per_caller)

    def refusal(self, caller: str, what: str, now: float) -> Busy | None:
        """Why `caller` may not take a slot now, or None."""
        held = self.by_caller[caller]
        if self.running >= self.limit:
            reason = "limit"
            message = (
                f"argo-mcp is busy: {self.limit} {self.kind} are already running ({self.flag}), so {what} was not "
                "started and nothing was sent to Argo; retry in a few seconds"
            )
        elif held >= (share := self.share(caller, now)):
            reason = "per_caller" if self.per_caller is not None and held >= self.per_caller else "share"
            message = (
                f"argo-mcp is busy for this caller: it already runs {held} {self.kind}, its share of the "
                f"{self.limit} ({self.flag}) while other callers wait for theirs, so {what} was not started and "
                f"nothing was sent to Argo; retry when one of its calls has finished (share now: {share})"
            )
        else:
            return None
        self.waiting[caller] = now
        record_busy(self.name, reason)
        return Busy(message)


@dataclass
class Admission:
    """The budgets shared by every road into Argo."""

    short: Budget
    long: Budget

    @classmethod
    def of(cls, limit: int, long_limit: int = 16, long_per_caller: int = 4) -> Admission:
        return cls(
            Budget(limit, "--max-inflight-calls", "calls"),
            Budget(
                long_limit,
                "--max-long-calls",
                "long calls (waits, log follows, downloads)",
                long_per_caller,
                name="long",
            ),
        )

    @property
    def limit(self) -> int:
        return self.short.limit

    @property
    def running(self) -> int:
        return self.short.running + self.long.running

    def readings(self) -> dict[str, tuple[Callable[[], float], Callable[[], float]]]:
        """Each budget's (calls in flight, limit), read when /metrics is scraped (metrics.watch_budgets)."""
        short, long = self.short, self.long
        return {
            "short": (lambda: short.running, lambda: short.limit),
            "long": (lambda: long.running, lambda: long.limit),
            "busiest_caller_long": (
                lambda: max(long.by_caller.values(), default=0),
                lambda: long.per_caller or long.limit,
            ),
        }

    def enter(self, caller: str, what: str, *, long: bool = False) -> Ticket:
        """A slot for one call of `caller`, or `Busy` saying which limit refused `what`."""
        budget = self.long if long else self.short
        refused = budget.refusal(caller, what, time.monotonic())
        if refused is not None:
            raise refused
        budget.waiting.pop(caller, None)
        budget.running += 1
        budget.by_caller[caller] += 1
        return Ticket(budget, caller)


@dataclass
class Ticket:
    """One admitted call; `release` gives the slot back, once."""

    budget: Budget
    caller: str
    released: bool = False

    def release(self) -> None:
        if self.released:
            return
        self.released = True
        self.budget.running -= 1
        self.budget.by_caller[self.caller] -= 1
        if self.budget.by_caller[self.caller] <= 0:
            del self.budget.by_caller[self.caller]
