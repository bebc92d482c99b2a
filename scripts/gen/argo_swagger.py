"""Argo Workflows' own OpenAPI spec (swagger.json), pinned under tests/data for the unit suite's Argo stand-in.

The stand-in serves exactly the routes this spec declares and validates what argo-mcp sends against it, so the
unit tests cannot drift into guessed endpoints. The file is the module's swagger.json byte for byte, named by
its version (tests/data/argo-swagger-<version>.json) so that another Argo version can be pinned beside it; the
version named by tests/e2e/stack/versions.toml [argo].swagger is the default. Making it downloads the Argo
Workflows Go module with `go mod download` into the Go module cache the e2e build uses; only `./dev gen` and
the tests/deploy suite do that, never tests/unit.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
MODULE = "github.com/argoproj/argo-workflows/v3"
ALSO_PINNED: tuple[str, ...] = ("v4.0.7",)
"""Argo versions pinned beside the e2e default, so the stand-in can be any of them (issue 26: argo-mcp works
with the v3.7 and the v4.0 line); newest patch of the v4.0 line the Go module proxy served on 2026-12-07."""


def module_path(version: str) -> str:
    """The Go module of Argo Workflows `version`: its major version is part of the path from v3 on."""
    major = version.removeprefix("v").split(".", 1)[0]
    return f"github.com/argoproj/argo-workflows/v{major}"


PINNED_VERSION: str = tomllib.loads((ROOT / "tests" / "e2e" / "stack" / "versions.toml").read_text())["argo"][
    "swagger"
]


def pinned_file(version: str = PINNED_VERSION) -> Path:
    """Where the swagger.json of Argo Workflows `version` is committed."""
    return DATA / f"argo-swagger-{version}.json"


def pinned_versions() -> list[str]:
    """The default version and every other version whose swagger.json is committed, oldest name first."""
    found = {
        p.name.removeprefix("argo-swagger-").removesuffix(".json") for p in DATA.glob("argo-swagger-*.json")
    }
    return sorted(found | {PINNED_VERSION, *ALSO_PINNED})


def _gomodcache() -> Path:
    """The module cache ./dev's ensure_go sets up (GOMODCACHE, else the argo-mcp cache's go/mod)."""
    if os.environ.get("GOMODCACHE"):
        return Path(os.environ["GOMODCACHE"])
    cache = Path(os.environ.get("ARGO_MCP_CACHE", Path.home() / ".cache" / "argo-mcp"))
    return cache / "go" / "mod"


def module_swagger(version: str = PINNED_VERSION) -> bytes:
    """api/openapi-spec/swagger.json of the Argo Workflows module at `version`, downloaded if not cached."""
    cache = _gomodcache()
    module = module_path(version)
    spec = cache / f"{module}@{version}" / "api" / "openapi-spec" / "swagger.json"
    if not spec.is_file():
        go = shutil.which("go")
        if go is None:
            raise RuntimeError(
                f"{module}@{version} is not in the Go module cache {cache} and Go is missing to download it; "
                "install golang (./dev gen and ./dev deploy need it)"
            )
        proc = subprocess.run(
            [go, "mod", "download", "-json", f"{module}@{version}"],
            env={**os.environ, "GOMODCACHE": str(cache), "GOFLAGS": "-mod=mod"},
            cwd=Path.home(),
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"go mod download {module}@{version} failed:\n{proc.stderr}{proc.stdout}")
        spec = Path(json.loads(proc.stdout)["Dir"]) / "api" / "openapi-spec" / "swagger.json"
        if not spec.is_file():
            raise RuntimeError(f"downloaded {module}@{version} but it has no {spec}")
    return spec.read_bytes()


def main(argv: list[str]) -> int:
    """`python -m scripts.gen.argo_swagger VERSION`: pin one more Argo version's swagger.json beside the default
    (`./dev gen` and the tests/deploy check keep every pinned file equal to its module)."""
    if len(argv) != 1 or not argv[0].startswith("v"):
        print("usage: python -m scripts.gen.argo_swagger vX.Y.Z", file=sys.stderr)
        return 2
    pinned_file(argv[0]).write_bytes(module_swagger(argv[0]))
    print(f"wrote {pinned_file(argv[0]).relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
