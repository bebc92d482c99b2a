"""Packaging: LICENSE, project metadata, the MCP registry manifest and image labels agree (the README's client
snippets and server.json's defaults: tests/unit/test_client_snippets.py)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib

import jsonschema

from .bundle import ROOT, tool

SERVER_JSON = ROOT / "server.json"
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_license_file_is_the_declared_license() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert PROJECT["license"] == "Apache-2.0"
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text


def test_project_metadata_is_complete() -> None:
    assert PROJECT["authors"] and PROJECT["keywords"]
    assert {"Homepage", "Source", "Issues"} <= set(PROJECT["urls"])
    assert any(c.startswith("Programming Language :: Python :: 3.11") for c in PROJECT["classifiers"])
    assert PROJECT["scripts"]["argo-mcp-operator"] == "argo_mcp_operator.__main__:main"


def test_server_json_is_valid_against_the_registry_schema() -> None:
    schema = json.loads(tool("mcp-server-schema").read_text())
    manifest = json.loads(SERVER_JSON.read_text())
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(manifest), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)
    # The validator really rejects: a name without the namespace slash and a too-long description.
    bad = {**manifest, "name": "argo-mcp", "description": "x" * 101}
    assert len(list(validator.iter_errors(bad))) >= 2
    assert manifest["version"] == PROJECT["version"]
    versions = {p.get("version") or p["identifier"].rsplit(":", 1)[1] for p in manifest["packages"]}
    assert versions == {PROJECT["version"]}
    assert {p["identifier"].split(":")[0] for p in manifest["packages"]} >= {PROJECT["name"]}


def test_image_labels_name_the_source_and_the_registry_entry() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    name = json.loads(SERVER_JSON.read_text())["name"]
    assert f'io.modelcontextprotocol.server.name="{name}"' in dockerfile
    source = re.search(r'org\.opencontainers\.image\.source="([^"]+)"', dockerfile)
    assert source and source[1] == PROJECT["urls"]["Source"]


def test_operator_without_its_extra_fails_with_one_clear_line() -> None:
    script = (
        "import sys; sys.modules['kopf'] = None\n"
        "from argo_mcp_operator.__main__ import main\n"
        "main(['--log-level', 'info'])\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False,
        env={"PYTHONPATH": f"{ROOT}:{ROOT / 'operator'}", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "argo-mcp-operator: the operator's dependencies are not installed (kopf is missing); "
        "install them with: pip install 'argo-mcp[operator]'"
    ], proc.stderr


def _requirement_key(text: str, extra: str | None) -> tuple[str, str, str, str | None]:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    req = Requirement(text)
    return (
        canonicalize_name(req.name),
        ",".join(sorted(str(s) for s in req.specifier)),
        ",".join(sorted(req.extras)),
        extra,
    )


def test_lock_file_matches_the_project_requirements() -> None:
    """uv.lock is what ./dev (and so CI) installs; it must be locked from the current pyproject.toml."""
    from packaging.utils import canonicalize_name

    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    (project,) = [p for p in lock["package"] if p["name"] == PROJECT["name"]]
    locked = set()
    for dist in project["metadata"]["requires-dist"]:
        marker = dist.get("marker", "")
        extra = re.fullmatch(r"extra == '([a-z-]+)'", marker)
        # an extra's marker, or a platform marker of a base dependency (uvloop: not on Windows)
        assert marker == "" or extra or ("extra" not in marker and "platform" in marker), marker
        spec = ",".join(sorted(dist.get("specifier", "").split(","))) if dist.get("specifier") else ""
        extras = ",".join(sorted(dist.get("extras", [])))
        locked.add((canonicalize_name(dist["name"]), spec, extras, extra[1] if extra else None))
    declared = {_requirement_key(r, None) for r in PROJECT["dependencies"]}
    for extra_name, reqs in PROJECT["optional-dependencies"].items():
        declared |= {_requirement_key(r, extra_name) for r in reqs}
    assert locked == declared, f"uv.lock is stale (run `uv lock`): {sorted(locked ^ declared)}"
    dev = (ROOT / "dev").read_text()
    assert "--frozen" in dev and "--require-hashes" in dev, "./dev installs from the lock"
