"""Write a one-layer container image as a `docker save` archive, with no registry and no image builder.

The archive (manifest.json, the config JSON, one layer tar, `repositories`) is what `ctr images import` and
`docker load` read. The layer is described entry by entry (directories, files, symlinks), so no root filesystem
is laid out on disk, and every timestamp and owner is fixed: the same inputs give the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

EPOCH = "1970-01-01T00:00:00Z"


@dataclass(frozen=True)
class Entry:
    path: str
    kind: str  # "dir" | "file" | "symlink"
    mode: int = 0o755
    data: bytes | None = None
    source: Path | None = None
    target: str = ""


@dataclass
class Layer:
    """The entries of the image's single layer, in the order they are written."""

    entries: list[Entry] = field(default_factory=list)

    def dir(self, path: str, mode: int = 0o755) -> Layer:
        self.entries.append(Entry(path.strip("/"), "dir", mode))
        return self

    def file(
        self, path: str, *, data: bytes | None = None, source: Path | None = None, mode: int = 0o644
    ) -> Layer:
        if (data is None) == (source is None):
            raise ValueError(f"{path}: give exactly one of data or source")
        self.entries.append(Entry(path.strip("/"), "file", mode, data=data, source=source))
        return self

    def symlink(self, path: str, target: str) -> Layer:
        self.entries.append(Entry(path.strip("/"), "symlink", 0o777, target=target))
        return self


@dataclass(frozen=True)
class ImageConfig:
    entrypoint: list[str] | None = None
    cmd: list[str] | None = None
    env: list[str] = field(
        default_factory=lambda: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
    )
    user: str = ""
    workdir: str = ""
    labels: dict[str, str] = field(default_factory=dict)


def _write_layer(layer: Layer, fh: io.BufferedWriter) -> None:
    with tarfile.open(fileobj=fh, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for e in layer.entries:
            info = tarfile.TarInfo(e.path)
            info.mode = e.mode
            info.mtime = 0
            info.uid = info.gid = 0
            if e.kind == "dir":
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            elif e.kind == "symlink":
                info.type = tarfile.SYMTYPE
                info.linkname = e.target
                tar.addfile(info)
            elif e.source is not None:
                info.size = e.source.stat().st_size
                with e.source.open("rb") as src:
                    tar.addfile(info, src)
            else:
                data = e.data or b""
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 0
    tar.addfile(info, io.BytesIO(data))


def write_archive(out: Path, ref: str, layer: Layer, config: ImageConfig) -> str:
    """Write the archive for image `ref` (repo:tag) atomically to `out`; return the image id (config digest)."""
    repo, sep, tag = ref.rpartition(":")
    if not sep or "/" in tag:
        raise ValueError(f"image reference {ref!r} needs a tag (name:tag)")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=f".{out.name}.") as tmp:
        layer_path = Path(tmp) / "layer.tar"
        with layer_path.open("wb") as fh:
            _write_layer(layer, fh)
        diff_id = _sha256(layer_path)
        cfg: dict[str, object] = {"Env": list(config.env)}
        if config.entrypoint:
            cfg["Entrypoint"] = list(config.entrypoint)
        if config.cmd:
            cfg["Cmd"] = list(config.cmd)
        if config.user:
            cfg["User"] = config.user
        if config.workdir:
            cfg["WorkingDir"] = config.workdir
        if config.labels:
            cfg["Labels"] = dict(config.labels)
        image_config = {
            "architecture": "amd64",
            "os": "linux",
            "created": EPOCH,
            "config": cfg,
            "rootfs": {"type": "layers", "diff_ids": [f"sha256:{diff_id}"]},
            "history": [{"created": EPOCH, "created_by": "tests/e2e/stack/oci.py"}],
        }
        config_bytes = json.dumps(image_config, sort_keys=True).encode()
        image_id = hashlib.sha256(config_bytes).hexdigest()
        manifest = [{"Config": f"{image_id}.json", "RepoTags": [ref], "Layers": [f"{diff_id}/layer.tar"]}]
        partial = Path(tmp) / "image.tar"
        with tarfile.open(partial, "w") as tar:
            _add_bytes(tar, f"{image_id}.json", config_bytes)
            info = tar.gettarinfo(str(layer_path), arcname=f"{diff_id}/layer.tar")
            info.mtime = 0
            with layer_path.open("rb") as fh:
                tar.addfile(info, fh)
            _add_bytes(tar, "manifest.json", json.dumps(manifest).encode())
            _add_bytes(tar, "repositories", json.dumps({repo: {tag: diff_id}}).encode())
        os.replace(partial, out)
    return f"sha256:{image_id}"
