"""The images the real node runs, made without a registry and cached by content hash.

Each image is a docker-save archive ``~/.cache/argo-mcp/images/<name>-<hash>.tar`` where the hash covers every
input (binaries, sources, compiler, layout): an unchanged image is never rebuilt, a changed one gets a new file.
`ensure_images()` returns them keyed by role; the stack imports them into its containerd at `up`
(`ctr -n k8s.io images import`), and pods use them with no pull (`imagePullPolicy: Never` or a present tag).

Roles (PROVIDERS; extend it with another role -> provider):
- ``pause``: the pod sandbox, Kubernetes' own build/pause/linux/pause.c compiled with `gcc -static`;
- ``workload``: busybox from Debian's busybox-static, under the stable name WORKLOAD_REPOSITORY:<version>;
- ``argoexec``: Argo's executor, built from the pinned Argo module (node_build.py);
- ``argo-events``: the argo-events binary (controller, eventsource, sensor) of the pinned module (events_build.py);
- ``nats``: nats-server, the JetStream EventBus (events_build.py);
- ``argo-mcp``: the project's own image, built from the repository's Dockerfile (project_image.py).
No file of the build host (CA bundle, resolv.conf, passwd) is copied into any image.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from . import oci
from . import versions as V

REPOSITORY = "localhost/argo-mcp-e2e"
WORKLOAD_REPOSITORY = f"{REPOSITORY}/busybox"
# Bump when the layout of an image made here changes (file list, config), so the content hashes change.
IMAGE_RECIPE = "1"
PASSWD = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
GROUP = "root:x:0:\nnobody:x:65534:\n"


class ImageError(RuntimeError):
    pass


@dataclass(frozen=True)
class ImageRef:
    """One image: its reference (what pods name) and the archive it is imported from."""

    ref: str
    archive: Path

    def to_json(self) -> dict[str, str]:
        return {"ref": self.ref, "archive": str(self.archive)}


@dataclass(frozen=True)
class ImageContext:
    """What the providers build from."""

    node_bin: Path
    kubernetes_module: Path
    cache: Path
    events_bin: Path | None = None  # Argo Events' binaries (events_build.py); None: V.events_bin_dir()


ImageProvider = Callable[[ImageContext], ImageRef]


def _digest(parts: Iterable[bytes | Path | str]) -> str:
    h = hashlib.sha256(IMAGE_RECIPE.encode())
    for part in parts:
        if isinstance(part, Path):
            with part.open("rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
        else:
            h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()[:16]


def cached_image(
    ctx: ImageContext,
    name: str,
    ref: str,
    inputs: Iterable[bytes | Path | str],
    make: Callable[[], tuple[oci.Layer, oci.ImageConfig]],
) -> ImageRef:
    """The archive for `ref` under its content hash; `make` runs only when no such archive exists yet."""
    archive = ctx.cache / f"{name}-{_digest([ref, *inputs])}.tar"
    if not archive.is_file():
        layer, config = make()
        oci.write_archive(archive, ref, layer, config)
        for old in ctx.cache.glob(f"{name}-*.tar"):  # earlier versions of this image
            if old != archive:
                old.unlink(missing_ok=True)
    return ImageRef(ref=ref, archive=archive)


def _tool_version(*args: str) -> str:
    return subprocess.run(list(args), capture_output=True, text=True, check=False, timeout=60).stdout


def pause_image(ctx: ImageContext) -> ImageRef:
    source = ctx.kubernetes_module / "build" / "pause" / "linux" / "pause.c"
    if not source.is_file():
        raise ImageError(
            f"{source} is missing: run `python -m tests.e2e.stack build` (downloads k8s.io/kubernetes)"
        )
    gcc = shutil.which("gcc")
    if gcc is None:
        raise ImageError(
            "gcc is needed for the pause image: run scripts/e2e-prereqs (installs gcc, libc6-dev)"
        )
    version = V.load().kubernetes
    ref = f"{REPOSITORY}/pause:{version}"
    flags = ["-Os", "-Wall", "-Werror", "-static", f"-DVERSION=v3.10-argo-mcp-e2e-{version}"]
    tmp = Path(tempfile.mkdtemp(prefix="argo-mcp-pause-"))

    def make() -> tuple[oci.Layer, oci.ImageConfig]:
        binary = tmp / "pause"
        res = subprocess.run(
            [gcc, *flags, "-o", str(binary), str(source)], capture_output=True, text=True, check=False
        )
        if res.returncode != 0:
            raise ImageError(f"gcc could not build the pause image: {res.stderr.strip()}")
        subprocess.run(["strip", str(binary)], check=False, capture_output=True)
        layer = oci.Layer().file("pause", source=binary, mode=0o755)
        return layer, oci.ImageConfig(entrypoint=["/pause"], env=[], user="65535:65535")

    try:
        return cached_image(
            ctx, "pause", ref, [source, _tool_version(gcc, "--version"), " ".join(flags)], make
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def busybox_version(binary: Path) -> str:
    """`BusyBox v1.35.0 (Debian 1:1.35.0-4+b3) ...` -> 1.35.0."""
    m = re.search(r"BusyBox v(\d+\.\d+\.\d+)", _tool_version(str(binary)))
    if not m:
        raise ImageError(f"{binary} does not look like busybox")
    return m.group(1)


def _busybox_binary() -> Path:
    for candidate in (Path("/bin/busybox"), Path("/usr/bin/busybox")):
        if candidate.is_file():
            return candidate
    raise ImageError("busybox is missing: run scripts/e2e-prereqs (installs Debian's busybox-static)")


def workload_ref() -> str:
    """The workload image's stable name (documented in tests/e2e/README.md)."""
    return f"{WORKLOAD_REPOSITORY}:{busybox_version(_busybox_binary())}"


def workload_image(ctx: ImageContext) -> ImageRef:
    binary = _busybox_binary()
    ref = workload_ref()

    def make() -> tuple[oci.Layer, oci.ImageConfig]:
        applets = _tool_version(str(binary), "--list").split()
        layer = oci.Layer()
        for d in ("bin", "etc", "root", "home", "proc", "sys", "dev", "var", "var/run"):
            layer.dir(d)
        layer.dir("tmp", 0o1777)
        layer.file("bin/busybox", source=binary, mode=0o755)
        for applet in sorted(set(applets) - {"busybox"}):
            layer.symlink(f"bin/{applet}", "busybox")
        layer.file("etc/passwd", data=PASSWD.encode()).file("etc/group", data=GROUP.encode())
        return layer, oci.ImageConfig(cmd=["/bin/sh"], env=["PATH=/bin"])

    return cached_image(ctx, "workload", ref, [binary], make)


def argoexec_image(ctx: ImageContext) -> ImageRef:
    binary = ctx.node_bin / "argoexec"
    if not binary.is_file():
        raise ImageError(f"{binary} is missing: run `python -m tests.e2e.stack build`")
    ref = f"{REPOSITORY}/argoexec:{V.load().argo_workflows}"

    def make() -> tuple[oci.Layer, oci.ImageConfig]:
        passwd = PASSWD + "argo:x:8737:8737::/home/argo:/sbin/nologin\n"
        layer = oci.Layer().dir("bin").dir("etc").dir("home").dir("home/argo").dir("tmp", 0o1777)
        layer.file("bin/argoexec", source=binary, mode=0o755)
        layer.file("etc/passwd", data=passwd.encode()).file(
            "etc/group", data=(GROUP + "argo:x:8737:\n").encode()
        )
        return layer, oci.ImageConfig(entrypoint=["argoexec"], env=["PATH=/bin"], user="8737")

    return cached_image(ctx, "argoexec", ref, [binary], make)


def _events_binary(ctx: ImageContext, name: str) -> Path:
    binary = (ctx.events_bin or V.events_bin_dir()) / name
    if not binary.is_file():
        raise ImageError(f"{binary} is missing: run `python -m tests.e2e.stack build`")
    return binary


def argo_events_image(ctx: ImageContext) -> ImageRef:
    """Like upstream's (FROM scratch, /bin/argo-events as the entrypoint), without the argo CLI (only the
    argoWorkflow trigger needs it; the e2e Sensors use the k8s trigger), zoneinfo and CA bundle."""
    binary = _events_binary(ctx, "argo-events")
    ref = f"{REPOSITORY}/argo-events:{V.load().argo_events}"

    def make() -> tuple[oci.Layer, oci.ImageConfig]:
        layer = oci.Layer().dir("bin").dir("etc").dir("tmp", 0o1777)
        layer.file("bin/argo-events", source=binary, mode=0o755)
        layer.file("etc/passwd", data=PASSWD.encode()).file("etc/group", data=GROUP.encode())
        return layer, oci.ImageConfig(entrypoint=["/bin/argo-events"], env=["PATH=/bin"])

    return cached_image(ctx, "argo-events", ref, [binary], make)


def nats_image(ctx: ImageContext) -> ImageRef:
    binary = _events_binary(ctx, "nats-server")
    ref = f"{REPOSITORY}/nats-server:{V.load().nats_server}"

    def make() -> tuple[oci.Layer, oci.ImageConfig]:
        layer = oci.Layer().dir("bin").dir("etc").dir("data", 0o1777).dir("tmp", 0o1777)
        layer.file("bin/nats-server", source=binary, mode=0o755)
        layer.file("etc/passwd", data=PASSWD.encode()).file("etc/group", data=GROUP.encode())
        return layer, oci.ImageConfig(entrypoint=["/bin/nats-server"], env=["PATH=/bin"], user="65534")

    return cached_image(ctx, "nats", ref, [binary], make)


def argo_mcp_image(ctx: ImageContext) -> ImageRef:
    """The argo-mcp image built from the repository's Dockerfile (project_image.py: a private dockerd, a local
    bookworm base, wheels from uv.lock installed offline); rebuilt only when the tree's hash changes."""
    from .project_image import ensure_argo_mcp_image  # dockerd and debootstrap only when an image is missing

    ref, archive = ensure_argo_mcp_image()
    return ImageRef(ref=ref, archive=archive)


PROVIDERS: dict[str, ImageProvider] = {
    "pause": pause_image,
    "workload": workload_image,
    "argoexec": argoexec_image,
    "argo-events": argo_events_image,
    "nats": nats_image,
    "argo-mcp": argo_mcp_image,
}


def default_context() -> ImageContext:
    cache = V.images_dir()
    cache.mkdir(parents=True, exist_ok=True)
    return ImageContext(
        node_bin=V.node_bin_dir(),
        kubernetes_module=V.module_dir("k8s.io/kubernetes", V.load().kubernetes),
        cache=cache,
        events_bin=V.events_bin_dir(),
    )


def ensure_images(
    ctx: ImageContext | None = None, providers: Mapping[str, ImageProvider] | None = None
) -> dict[str, ImageRef]:
    """Every image by role ("pause", "workload", "argoexec", ...), built only where its archive is missing."""
    ctx = ctx or default_context()
    return {name: provide(ctx) for name, provide in (providers or PROVIDERS).items()}


def refs_json(images: Mapping[str, ImageRef]) -> str:
    return json.dumps({k: v.to_json() for k, v in images.items()}, indent=2)
