"""The chart README's values table is generated from values.yaml (its staleness is test_generated_files')."""

from __future__ import annotations

import json

import yaml

from scripts.gen.chart_readme import CHART, END, START, render_readme, rows


def test_every_top_level_value_is_in_the_table() -> None:
    values_text = (CHART / "values.yaml").read_text()
    defaults = {row.path: row.default for row in rows(values_text)}
    for key, value in yaml.safe_load(values_text).items():
        assert key in defaults or any(p.startswith(f"{key}.") for p in defaults), key
        assert defaults.get(key, json.dumps(value)) == json.dumps(value)


def test_generator_reads_helm_docs_comments() -> None:
    text = "a:\n  # -- first line\n  # second line\n  b: 1\n# -- top\nc: [x]\nd: 2\n"
    assert [(r.path, r.type, r.default, r.description) for r in rows(text)] == [
        ("a.b", "int", "1", "first line second line"),
        ("c", "list", '["x"]', "top"),
    ]
    readme = f"intro\n{START}\nold\n{END}\noutro\n"
    out = render_readme(readme, text)
    assert out.startswith("intro\n") and out.endswith(f"{END}\noutro\n") and "| `a.b` | int | `1` |" in out
