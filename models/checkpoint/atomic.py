"""Atomic writes: a crash or kill mid-save leaves the previous file or folder intact.

Files: `atomic_write` (bytes or text) and `atomic_path` (for writers that make the file
themselves: Pillow, numpy, safetensors, ffmpeg). Folders: `stage_folder` / `StagedFolder`
and `atomic_folder`. Every temp sits beside its target as `.<name>.tmp-<random>[suffix]`
and is registered while in progress, so `remove_unfinished_temps()` can delete the work a
thread abandons when the app exits by force; `remove_stale_temps(folder)` deletes what a
killed process left, and `recover_folder` finishes a folder commit it cut short.
A write replaces a symbolic link at its target by the new file; it never writes through it.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TEMP_MARK = ".tmp-"  # every temp name holds it: `.<name>.tmp-<random>[suffix]`

_unfinished: set[Path] = set()
_unfinished_lock = threading.Lock()


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform can open a directory
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def temp_name(target: Path) -> str:
    """Return a fresh temp name for `target`: `.<name>.tmp-<random><suffix>`.

    The target's suffix is kept at the end so writers that pick the format from the
    extension (Pillow, Qt, numpy adding `.npz`, ffmpeg) write the right thing.
    """
    return f".{target.name}{TEMP_MARK}{secrets.token_hex(4)}{target.suffix}"


def is_temp_name(name: str) -> bool:
    """Return True for a name made by `temp_name` (a leftover of an interrupted write)."""
    return name.startswith(".") and TEMP_MARK in name


def _register(tmp: Path) -> None:
    with _unfinished_lock:
        _unfinished.add(tmp)


def _unregister(tmp: Path) -> None:
    with _unfinished_lock:
        _unfinished.discard(tmp)


def unfinished_temps() -> list[Path]:
    """Return the temp files and folders of writes still in progress."""
    with _unfinished_lock:
        return sorted(_unfinished)


def remove_unfinished_temps() -> list[Path]:
    """Delete every temp still in progress (before a forced exit); return what was removed.

    A folder is first renamed aside (one step), so a thread committing it at the same
    moment either finds it gone, leaving its target or `<target>.old`, or has already
    put it in place whole.
    """
    with _unfinished_lock:
        todo = sorted(_unfinished)
        _unfinished.clear()
    removed = []
    for tmp in todo:
        try:
            if tmp.is_dir() and not tmp.is_symlink():
                aside = tmp.with_name(tmp.name + "-removing")
                os.replace(tmp, aside)
                shutil.rmtree(aside, ignore_errors=True)
            else:
                tmp.unlink()
        except OSError:
            continue  # already committed or removed by its writer
        removed.append(tmp)
    return removed


def _lexists(path: Path) -> bool:
    """Return True when `path` exists, a symbolic link counting as itself (not followed)."""
    return os.path.lexists(path)


def old_path(target: Path) -> Path:
    """Return `<target>.old`, where a commit keeps the previous folder until it is done."""
    return target.with_name(target.name + ".old")


def _remove_aside(path: Path) -> None:
    """Delete file, link or folder `path`: renamed to a temp name first (one step), so a
    kill during the slow delete leaves a temp, never a half-deleted `path`."""
    aside = path.with_name(temp_name(path) + "-removing")
    os.replace(path, aside)
    if aside.is_dir() and not aside.is_symlink():
        shutil.rmtree(aside, ignore_errors=True)  # what fails to go is a temp, tidied later
    else:
        with contextlib.suppress(OSError):
            aside.unlink()


def recover_folder(target: Path) -> bool:
    """Finish what a commit of `target` killed part-way left; return True if `.old` was
    put back as `target`.

    Only for a folder no other process is committing (a run folder holds a lock).
    """
    old = old_path(target)
    if not _lexists(old):
        return False
    if _lexists(target):
        _remove_aside(old)  # the commit got its new folder in place: `.old` is spare
        return False
    os.replace(old, target)
    _fsync_dir(target.parent)
    return True


def remove_stale_temps(folder: Path, prefixes: tuple[str, ...] | None = None) -> list[Path]:
    """Delete temps a killed process left in `folder` (not below it); return them.

    With `prefixes`, only temps of those target names (`.<name>.tmp-...`) go, so a folder
    shared with other files loses nothing of theirs. Temps this process is still writing
    are kept. Only for a folder no other process writes (a run folder holds a lock).
    Links are removed, never followed.
    """
    marks = None if prefixes is None else tuple(f".{p}{TEMP_MARK}" for p in prefixes)
    with _unfinished_lock:
        live = set(_unfinished)
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        path = Path(entry.path)
        if not is_temp_name(entry.name) or path in live \
                or (marks is not None and not entry.name.startswith(marks)):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(path)
            else:
                path.unlink()
        except OSError:
            continue
        removed.append(path)
    return removed


def _new_temp_file(target: Path) -> Path:
    """Create an empty temp file beside `target` (exclusively) and return its path."""
    while True:
        tmp = target.with_name(temp_name(target))
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return tmp


@contextlib.contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """Yield a temp path beside `path` to write; on success it replaces `path` as one step.

    The temp exists (empty) when yielded; after the block it is fsynced, renamed over
    `path` and the folder fsynced. On an exception it is removed and `path` is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _new_temp_file(path)
    _register(tmp)
    try:
        yield tmp
        _fsync_file(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        _unregister(tmp)
    _fsync_dir(path.parent)


def atomic_write(path: Path | str, data: bytes | str, encoding: str = "utf-8") -> Path:
    """Write `data` (text is encoded with `encoding`) to `path` atomically; return the path."""
    raw = data.encode(encoding) if isinstance(data, str) else data
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        f.write(raw)
    return Path(path)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Alias of `atomic_write` kept for app/panels/interpolation/state_file.py."""
    atomic_write(path, data)


def json_text(obj: Any) -> str:
    """Return `obj` as the indented JSON text every file of ours holds."""
    return json.dumps(obj, indent=2, sort_keys=False) + "\n"


def write_json(path: Path, obj: Any) -> None:
    """Write `obj` as indented JSON to `path` inside a staged folder (its commit flushes it)."""
    path.write_text(json_text(obj), encoding="utf-8")


def fsync_tree(folder: Path) -> None:
    """Flush every file under `folder` to disk and make it readable like a normal file.

    Some writers (safetensors) create 0600 files; a checkpoint is shared, not secret.
    """
    for p in folder.rglob("*"):
        if p.is_file():
            _fsync_file(p)
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
        a kill at any moment leaves one whole folder: `target`, or `<target>.old` alone
        (`resolve_checkpoint` falls back to it, `recover_folder` puts it back). A folder
        named `target` is always whole: it only ever appears by a rename of a flushed one.
        On an exception nothing changes (the previous folder is put back) and the temp is
        removed.
        """
        try:
            fsync_tree(self.tmp)
            os.chmod(self.tmp, 0o755)
        except BaseException:
            self.discard()
            raise
        target, old = self.target, old_path(self.target)
        try:
            if _lexists(target):
                if _lexists(old):
                    _remove_aside(old)  # `target` is whole: the older copy is not needed
                os.replace(target, old)
            # Else a kill came between the two renames of an earlier commit: `old` is then
            # the only copy and stays until the new folder is in place.
            os.replace(self.tmp, target)
        except BaseException:
            # Put the previous folder back; a kill right here leaves it as `.old` instead.
            with contextlib.suppress(OSError):
                if _lexists(old) and not _lexists(target):
                    os.replace(old, target)
            self.discard()
            raise
        _unregister(self.tmp)
        _fsync_dir(target.parent)
        with contextlib.suppress(OSError):  # done; a spare `.old` goes at the next commit
            if _lexists(old):
                _remove_aside(old)
        return target

    def discard(self) -> None:
        """Remove the temp folder; `target` is untouched."""
        shutil.rmtree(self.tmp, ignore_errors=True)
        _unregister(self.tmp)


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
    while True:
        tmp = target.with_name(f".{target.name}{TEMP_MARK}{secrets.token_hex(4)}")
        try:
            tmp.mkdir()
        except FileExistsError:
            continue
        _register(tmp)
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
