"""A Debian bookworm + Python 3.11 base image made with `debootstrap`, for hosts that reach no container registry.

The project's Dockerfile builds FROM ``${BASE_IMAGE}`` (default: the official python:3.11.x-slim-bookworm). Where
no registry answers, this module makes a stand-in with the same layout from Debian's own packages (which apt
reaches here): a minbase bookworm with Debian's python3.11, and a virtualenv AT /usr/local, so that
/usr/local/bin/python, /usr/local/bin/pip and /usr/local/lib/python3.11/site-packages exist as in the official
image and the Dockerfile's `pip install --prefix=/install` + `COPY /install /usr/local` land on the path.

The result is a root-filesystem tarball cached as ``~/.cache/argo-mcp/images/argo-mcp-base-bookworm-<hash>.tar``,
keyed by the hash of its recipe (RECIPE below): the same recipe is never debootstrapped twice; a changed one gets
a new file (older ones are removed). `import_base()` turns it into the image ``localhost/argo-mcp-base:bookworm-
<hash>`` of a given dockerd (`docker import`, a few seconds). No file of the build host (CA bundle, resolv.conf,
pip or apt settings) goes into the image: `ca-certificates` is Debian's package, apt's lists are removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from . import versions as V


def progress(message: str) -> None:
    """Build progress goes to stderr: a stack owner's stdout is a protocol (the hygiene test reads its JSON)."""
    print(message, file=sys.stderr, flush=True)


REPOSITORY = "localhost/argo-mcp-base"
SUITE = "bookworm"
# Everything that decides the image's content; its hash names the cached tarball and the image tag.
PACKAGES = ("python3", "python3-venv", "ca-certificates", "netbase", "tzdata")
# Run in the chroot after debootstrap: the /usr/local virtualenv (pip comes from Debian's ensurepip wheels), then
# drop what an image does not need (apt lists and caches, docs, logs, the machine id debootstrap made) and what
# came from the build host (debootstrap copies its resolv.conf and hostname; sources.list names the mirror used).
SETUP = """set -e
python3 -m venv /usr/local
ln -sf python3 /usr/local/bin/python
/usr/local/bin/python -m pip --version
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/debconf/*-old /var/log/*.log /var/log/apt/* \
  /usr/share/doc/* /usr/share/man/* /usr/share/info/* /usr/share/locale/* /root/.cache
: > /etc/machine-id
rm -f /etc/hostname /etc/resolv.conf
echo "deb http://deb.debian.org/debian bookworm main" > /etc/apt/sources.list
"""
CHANGES = (
    "ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin",
    "ENV LANG=C.UTF-8",
    'CMD ["python3"]',
)
RECIPE = json.dumps(
    {
        "recipe": "1",
        "suite": SUITE,
        "variant": "minbase",
        "packages": PACKAGES,
        "setup": SETUP,
        "changes": CHANGES,
    },
    sort_keys=True,
)

Docker = Callable[..., "subprocess.CompletedProcess[str]"]


class BaseImageError(RuntimeError):
    """The base could not be made; the message says which step failed and what to run."""


def recipe_hash() -> str:
    return hashlib.sha256(RECIPE.encode()).hexdigest()[:16]


def base_ref() -> str:
    return f"{REPOSITORY}:{SUITE}-{recipe_hash()}"


def images_dir() -> Path:
    return V.cache_root() / "images"


def rootfs_archive() -> Path:
    return images_dir() / f"argo-mcp-base-{SUITE}-{recipe_hash()}.tar"


def debian_mirror() -> str:
    """The Debian mirror this host's apt already uses (deb822 `URIs:` or a classic `deb` line)."""
    override = os.environ.get("ARGO_MCP_DEBIAN_MIRROR")
    if override:
        return override
    sources = [*sorted(Path("/etc/apt/sources.list.d").glob("*.sources")), Path("/etc/apt/sources.list")]
    for path in sources:
        try:
            text = path.read_text()
        except OSError:
            continue
        for line in text.splitlines():
            words = line.split()
            if len(words) >= 2 and words[0] == "URIs:" and "security" not in words[1]:
                return words[1]
            if len(words) >= 3 and words[0] == "deb" and "security" not in words[1]:
                return words[1] if not words[1].startswith("[") else words[2]
    return "http://deb.debian.org/debian"


def mounts_under(root: Path) -> list[str]:
    """Mount points at or below `root`, deepest first (from /proc/self/mountinfo; octal escapes decoded)."""
    prefix = str(root.resolve())
    found = []
    with open("/proc/self/mountinfo") as fh:
        for line in fh:
            point = line.split()[4].encode().decode("unicode_escape")
            if point == prefix or point.startswith(prefix + "/"):
                found.append(point)
    return sorted(found, key=len, reverse=True)


def unmount_below(root: Path) -> None:
    """Unmount whatever is mounted at or below `root`; fail, naming them, if any mount stays."""
    for point in mounts_under(root):
        subprocess.run(["umount", "-l", point], check=False, capture_output=True)
    left = mounts_under(root)
    if left:
        raise BaseImageError(f"could not unmount {left}; unmount them by hand, then remove {root}")


def remove_tree(root: Path) -> None:
    """Delete `root` after unmounting below it (debootstrap mounts /proc and /sys in its target): never
    deletes through a mount."""
    if root.exists():
        unmount_below(root)
        shutil.rmtree(root, ignore_errors=True)


def _run(args: Sequence[str], what: str, timeout: float) -> None:
    res = subprocess.run(list(args), capture_output=True, text=True, check=False, timeout=timeout)
    if res.returncode != 0:
        tail = "\n".join((res.stdout + res.stderr).strip().splitlines()[-15:])
        raise BaseImageError(f"{what} failed (exit {res.returncode}):\n{tail}")


def build_rootfs_archive(out: Path, log: Callable[[str], None] = progress) -> None:
    """debootstrap the recipe into a scratch folder next to `out`, set it up, and write `out` atomically."""
    if shutil.which("debootstrap") is None:
        raise BaseImageError(
            "debootstrap is missing: run scripts/e2e-prereqs (installs Debian's debootstrap)"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.stem}."))
    # The root filesystem is laid out in a tmpfs of its own: removing its ~10k files one by one takes many
    # seconds on this disk, unmounting none. Without the privilege to mount, it stays on disk.
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2g,mode=0755", "tmpfs", str(scratch)],
        capture_output=True,
        check=False,
    )
    rootfs = scratch / "rootfs"
    partial = out.parent / f"{scratch.name}.tar.part"  # on the cache's filesystem, so the rename is atomic
    try:
        t0 = time.monotonic()
        _run(
            [
                "debootstrap",
                "--variant=minbase",
                f"--include={','.join(PACKAGES)}",
                SUITE,
                str(rootfs),
                debian_mirror(),
            ],
            "debootstrap",
            timeout=1800,
        )
        _run(["chroot", str(rootfs), "/bin/sh", "-c", SETUP], "base setup in the chroot", timeout=600)
        unmount_below(rootfs)  # so tar never reads a /proc or /sys left mounted
        _run(
            ["tar", "--numeric-owner", "--xattrs", "-C", str(rootfs), "-cf", str(partial), "."],
            "tar of the base root filesystem",
            timeout=600,
        )
        os.replace(partial, out)
        log(f"[base] {out.name}: {out.stat().st_size >> 20} MiB in {time.monotonic() - t0:.0f} s")
    finally:
        partial.unlink(missing_ok=True)
        remove_tree(scratch)


def ensure_rootfs_archive(rebuild: bool = False, log: Callable[[str], None] = progress) -> Path:
    """The cached base tarball for the current recipe; debootstrapped only when missing (or `rebuild`)."""
    out = rootfs_archive()
    if rebuild or not out.is_file():
        build_rootfs_archive(out, log)
        for old in out.parent.glob(f"argo-mcp-base-{SUITE}-*.tar"):
            if old != out:
                old.unlink(missing_ok=True)
    return out


def import_base(docker: Docker, rebuild: bool = False, log: Callable[[str], None] = progress) -> str:
    """Make sure the dockerd behind `docker` has the base image; return its reference.

    `docker(*args)` runs the docker CLI against that daemon and returns the completed process.
    """
    ref = base_ref()
    if not rebuild and docker("image", "inspect", ref).returncode == 0:
        return ref
    archive = ensure_rootfs_archive(rebuild, log)
    args = ["import"]
    for change in CHANGES:
        args += ["--change", change]
    res = docker(*args, str(archive), ref)
    if res.returncode != 0:
        raise BaseImageError(f"docker import of {archive} failed: {(res.stderr or res.stdout).strip()}")
    return ref


if __name__ == "__main__":
    t = time.monotonic()
    print(ensure_rootfs_archive(rebuild=os.environ.get("ARGO_MCP_REBUILD") == "1"))
    print(f"{base_ref()} ({time.monotonic() - t:.1f} s)")
