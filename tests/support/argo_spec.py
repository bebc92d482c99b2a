"""Argo Workflows' own OpenAPI spec (swagger.json), taken from the Argo Workflows Go module.

The unit tests' Argo stand-in serves exactly the routes this spec declares and validates what argo-mcp sends
against it, so the tests cannot drift into guessed endpoints. The module is fetched from the Go module proxy
into ~/.cache/argo-mcp/go/mod (the same cache the e2e build uses); nothing from it is committed.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

ARGO_WORKFLOWS_MODULE = "github.com/argoproj/argo-workflows/v3"
# The same Argo Workflows release the e2e stack runs (tests/e2e/stack/versions.toml is the one pin).
_PINS = tomllib.loads((Path(__file__).parents[1] / "e2e" / "stack" / "versions.toml").read_text())
ARGO_WORKFLOWS_VERSION = os.environ.get("ARGO_MCP_SWAGGER_VERSION", _PINS["versions"]["argo_workflows"])
GOMODCACHE = Path(os.environ.get("ARGO_MCP_GOMODCACHE", Path.home() / ".cache" / "argo-mcp" / "go" / "mod"))


def swagger_path() -> Path:
    module_dir = GOMODCACHE / f"{ARGO_WORKFLOWS_MODULE}@{ARGO_WORKFLOWS_VERSION}"
    spec = module_dir / "api" / "openapi-spec" / "swagger.json"
    if spec.is_file():
        return spec
    go = shutil.which("go")
    if go is None:
        raise RuntimeError(
            f"Argo's swagger.json is not cached at {spec} and the Go toolchain is missing to download "
            f"{ARGO_WORKFLOWS_MODULE}@{ARGO_WORKFLOWS_VERSION}; install Go (the .ci/run script does)"
        )
    env = {**os.environ, "GOMODCACHE": str(GOMODCACHE), "GOFLAGS": "-mod=mod"}
    subprocess.run(
        [go, "mod", "download", f"{ARGO_WORKFLOWS_MODULE}@{ARGO_WORKFLOWS_VERSION}"],
        check=True,
        env=env,
        cwd=Path.home(),
        timeout=900,
    )
    if not spec.is_file():
        raise RuntimeError(
            f"downloaded {ARGO_WORKFLOWS_MODULE}@{ARGO_WORKFLOWS_VERSION} but {spec} is missing"
        )
    return spec


@functools.cache
def load_swagger() -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(swagger_path().read_text())
    return spec
