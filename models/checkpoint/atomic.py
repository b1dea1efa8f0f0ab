"""Atomic writes: a crash or kill mid-save leaves the previous file or folder intact."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform can open a directory
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` via a temp file in the same folder, fsync and os.replace."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp creates 0600 files
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _json_bytes(obj: Any) -> bytes:
    return (json.dumps(obj, indent=2, sort_keys=False) + "\n").encode()


def write_json(path: Path, obj: Any) -> None:
    """Write `obj` as indented JSON to `path` inside a staged folder (its commit flushes it)."""
    path.write_bytes(_json_bytes(obj))


def write_json_atomic(path: Path, obj: Any) -> None:
    """Write `obj` as indented JSON to `path` atomically."""
    write_bytes_atomic(path, _json_bytes(obj))


def fsync_tree(folder: Path) -> None:
    """Flush every file under `folder` to disk and make it readable like a normal file.

    Some writers (safetensors) create 0600 files; a checkpoint is shared, not secret.
    """
    for p in folder.rglob("*"):
        if p.is_file():
            with open(p, "rb") as f:
                os.fsync(f.fileno())
            os.chmod(p, 0o644)


@dataclass
class StagedFolder:
    """A filled temp folder next to `target`, not yet flushed nor in place.

    Staging writes the bytes (fast: the page cache); `commit()` does the slow part
    (fsync, then the swap), so a trainer can commit on another thread while it trains on.
    """

    tmp: Path
    target: Path

    def commit(self) -> Path:
        """Flush the files, put the folder in place of `target` as one step; return target.

        The previous `target` survives as `<target>.old` until the new one is in place, so
        a crash at any moment leaves one loadable folder (`resolve_checkpoint` falls back
        to it). On an exception nothing changes and the temp folder is removed.
        """
        try:
            fsync_tree(self.tmp)
            os.chmod(self.tmp, 0o755)
        except BaseException:
            self.discard()
            raise
        old = self.target.with_name(self.target.name + ".old")
        if old.exists():
            shutil.rmtree(old)
        if self.target.exists():
            os.replace(self.target, old)
        os.replace(self.tmp, self.target)
        _fsync_dir(self.target.parent)
        shutil.rmtree(old, ignore_errors=True)
        return self.target

    def discard(self) -> None:
        """Remove the temp folder; `target` is untouched."""
        shutil.rmtree(self.tmp, ignore_errors=True)


def commit_in_order(folders: list[StagedFolder]) -> None:
    """Commit `folders` one after another; if one fails, discard the rest and re-raise."""
    for i, staged in enumerate(folders):
        try:
            staged.commit()
        except BaseException:
            for rest in folders[i + 1:]:
                rest.discard()
            raise


def stage_folder(target: Path) -> StagedFolder:
    """Return an empty staged folder that will replace `target` when committed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"))
    return StagedFolder(tmp, target)


def stage_links(source: StagedFolder, target: Path, skip: tuple[str, ...] = ()) -> StagedFolder:
    """Return a staged folder for `target` holding `source`'s files except `skip` (names).

    Files are hard links where the file system allows (nothing rewrites a written file in
    place: every save makes new files), copies elsewhere.
    """
    staged = stage_folder(target)
    try:
        for src in sorted(source.tmp.rglob("*")):
            rel = src.relative_to(source.tmp)
            if rel.parts[0] in skip:
                continue
            dest = staged.tmp / rel
            if src.is_dir():
                dest.mkdir(exist_ok=True)
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(src, dest)
            except OSError:
                shutil.copy2(src, dest)
    except BaseException:
        staged.discard()
        raise
    return staged


@contextlib.contextmanager
def atomic_folder(target: Path) -> Iterator[Path]:
    """Yield a temp folder to fill; on success it replaces `target` as one step.

    On an exception nothing changes and the temp folder is removed (see StagedFolder).
    """
    staged = stage_folder(target)
    try:
        yield staged.tmp
    except BaseException:
        staged.discard()
        raise
    staged.commit()
