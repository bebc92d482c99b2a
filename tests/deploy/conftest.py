"""Install the bundle's validation tools once, at collection, outside any test's timeout.

A cold build (helm from source) takes a few minutes on two cores; done here it is not charged to the first
test's pytest-timeout. A tool that cannot be installed stops the run with the installer's output.
"""

from __future__ import annotations

import subprocess
import sys

from .bundle import INSTALL_TOOLS

_proc = subprocess.run([str(INSTALL_TOOLS)], capture_output=True, text=True, timeout=3600, check=False)
if _proc.returncode != 0:
    sys.stderr.write(_proc.stderr)
    raise RuntimeError(f"scripts/install-tools failed (exit {_proc.returncode}); see its output above")
