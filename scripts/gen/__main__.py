"""`python -m scripts.gen [--check]` (what `./dev gen` runs): write every generated file, or list stale ones.

Each file is written only when its content changed (atomically), so a clean tree stays clean and `git status`
shows exactly what a source change implies.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

from scripts.gen.targets import ROOT, stale_message, targets


def _write(path: str, data: bytes) -> None:
    file = ROOT / path
    fd, tmp = tempfile.mkstemp(dir=file.parent, prefix=f".{file.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, file)
    except BaseException:
        os.unlink(tmp)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="./dev gen", description=__doc__)
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 naming each stale file")
    args = parser.parse_args(argv)
    stale = 0
    for target in targets():
        made = target.produce()
        if target.committed() == made:
            continue
        stale += 1
        if args.check:
            print(stale_message(target), file=sys.stderr)
        else:
            _write(target.path, made)
            print(f"wrote {target.path} (from {target.source})", file=sys.stderr)
    if not stale:
        print(f"all {len(targets())} generated files are current", file=sys.stderr)
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
