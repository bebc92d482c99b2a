"""tests/e2e/supported-argo.json: which Argo Workflows versions the e2e suite passed on, and with which tests.

Written by the e2e session itself (tests/e2e/conftest.py) at its end, only when every selected test passed and the
run was one ./dev e2e declares as a record (ARGO_MCP_E2E_RECORD=full or compat), so a `-k` run never overwrites
it. `./dev gen` renders the README's "Supported Argo versions" table from it (scripts/gen/supported_argo.py), and
a unit test checks it names exactly the versions of versions.toml.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from . import versions as V

RECORD = Path(__file__).resolve().parents[1] / "supported-argo.json"
# ./dev e2e sets it for the runs that make the record: the whole suite, or the whole compatibility subset
RECORD_ENV = "ARGO_MCP_E2E_RECORD"
SUITES = {
    "full": "the whole e2e suite",
    "compat": "the compatibility subset (`pytest -m compat`)",
}
ABOUT = (
    "Written by the e2e session (tests/e2e/conftest.py) after a ./dev e2e run in which every test passed; "
    "one entry per Argo Workflows version of tests/e2e/stack/versions.toml. ./dev gen renders README.md's "
    "Supported Argo versions table from it."
)


def load(path: Path = RECORD) -> list[dict[str, Any]]:
    """The recorded entries, in versions.toml order; [] when nothing is recorded yet."""
    if not path.is_file():
        return []
    entries: list[dict[str, Any]] = json.loads(path.read_text())["versions"]
    return entries


def render(entries: list[dict[str, Any]]) -> str:
    """The file's exact text (stable key order, one entry per version)."""
    return json.dumps({"about": ABOUT, "versions": entries}, indent=2) + "\n"


def merged(
    entries: list[dict[str, Any]], entry: dict[str, Any], order: tuple[str, ...]
) -> list[dict[str, Any]]:
    """`entries` with `entry` replacing the one of its version, ordered as `order` (versions.toml); versions no
    longer pinned are dropped."""
    by_version = {e["argo"]: e for e in entries}
    by_version[entry["argo"]] = entry
    return [by_version[v] for v in order if v in by_version]


def record(argo: str, suite: str, tests: int, passed: int, date: str, path: Path = RECORD) -> None:
    """Record that `passed` of `tests` tests of `suite` passed on Argo `argo` (atomic: a reader never sees half)."""
    if suite not in SUITES:
        raise ValueError(f"{RECORD_ENV}={suite!r}: use one of {', '.join(SUITES)}")
    entry = {"argo": argo, "suite": suite, "tests": tests, "passed": passed, "date": date}
    text = render(merged(load(path), entry, V.argo_versions()))
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
