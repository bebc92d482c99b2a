"""README.md's "Supported Argo versions" table, from what the e2e runs recorded (tests/e2e/supported-argo.json).

The record is written by the e2e session only after a run in which every test passed (tests/e2e/stack/supported.py),
so the table states what was run against each pinned Argo, not what is hoped for.
"""

from __future__ import annotations

from tests.e2e.stack import supported
from tests.e2e.stack import versions as V

START = "<!-- supported-argo:start (./dev gen, from tests/e2e/supported-argo.json) -->\n"
END = "<!-- supported-argo:end -->"
SOURCE = "tests/e2e/supported-argo.json"


def table() -> str:
    """The Markdown table: one row per recorded Argo version, in versions.toml order (the default first)."""
    default = V.argo_versions()[0]
    rows = [
        "| Argo Workflows | e2e tests run against it | Result | Last passed |",
        "| --- | --- | --- | --- |",
    ]
    for e in supported.load():
        name = f"{e['argo']} (default)" if e["argo"] == default else e["argo"]
        rows.append(
            f"| {name} | {supported.SUITES[e['suite']]} | {e['passed']} of {e['tests']} passed | {e['date']} |"
        )
    return "\n".join(rows)
