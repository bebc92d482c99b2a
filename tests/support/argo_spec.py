"""Argo Workflows' own OpenAPI spec (swagger.json) for the Argo stand-ins, read from tests/data.

The stand-in serves exactly the routes this spec declares and validates what argo-mcp sends against it, so the
tests cannot drift into guessed endpoints. The file is committed (tests/data/argo-swagger-<version>.json, made
by `./dev gen` from the Argo Workflows Go module and checked against it by tests/deploy), so the unit suite
needs neither Go nor the network. The version defaults to the one the e2e stack pins; ARGO_MCP_SWAGGER_VERSION
or a `version` argument picks another pinned one.
"""

from __future__ import annotations

import functools
import json
import os
from typing import Any

from scripts.gen.argo_swagger import PINNED_VERSION, pinned_file

ARGO_WORKFLOWS_VERSION = os.environ.get("ARGO_MCP_SWAGGER_VERSION", PINNED_VERSION)


@functools.cache
def load_swagger(version: str = ARGO_WORKFLOWS_VERSION) -> dict[str, Any]:
    """The parsed swagger.json of Argo Workflows `version`, as committed under tests/data."""
    path = pinned_file(version)
    if not path.is_file():
        pinned = sorted(p.name for p in path.parent.glob("argo-swagger-*.json"))
        raise RuntimeError(
            f"Argo Workflows {version}'s swagger.json is not pinned at {path} (pinned: {pinned}); "
            f"pin it with `./dev gen` (the version tests/e2e/stack/versions.toml pins) or, for another one, "
            f"`python -m scripts.gen.argo_swagger {version}` (both need Go)"
        )
    spec: dict[str, Any] = json.loads(path.read_text())
    return spec
