"""One tool call and the exact Argo request it must cause (the table-driven tool tests share this form).

It lives here rather than in one test module so that no test module imports another.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.support.fake_argo import FakeArgo


@dataclass
class Case:
    tool: str
    args: dict[str, Any]
    operation: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    body: Any = None
    answer: Any = None
    check: Callable[[dict[str, Any]], object] | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # other operations' canned answers

    @property
    def id(self) -> str:
        return self.tool


def program(argo: FakeArgo, case: Case) -> None:
    """Give the stand-in the answers `case` needs: its own operation's and the others' in `case.extra`."""
    for operation, answer in case.extra.items():
        if operation == "stream":
            argo.on(case.operation, stream=answer)
        elif operation == "stream_raw":
            records = answer

            async def chunks(records: list[dict[str, Any]] = records) -> Any:
                for record in records:
                    yield (json.dumps(record) + "\n").encode()

            argo.on(case.operation, stream=chunks)
        else:
            argo.on(operation, answer)
    if case.answer is not None:
        argo.on(case.operation, case.answer)
