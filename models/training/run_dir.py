"""The run folder: run.json, metrics.jsonl, samples/ and checkpoints/ (docs/architecture.md).

Written here, read back by `read_run` (run_reader.py); the layout is in run_record.py.
A run writes its folder under a lock (run_lock.py), starting with `begin()`: a folder that
holds another run is refused unless overwritten, what a killed run left is tidied, and no
write goes through a symbolic link placed in the folder.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import stat
import threading
from pathlib import Path
from typing import Any

from models.checkpoint.atomic import (
    TEMP_MARK,
    atomic_write,
    is_temp_name,
    json_text,
    recover_folder,
    remove_stale_temps,
)
from models.training.run_lock import LOCK_NAME, RunLock
from models.training.run_reader import read_run
from models.training.run_record import (
    CHECKPOINTS,
    METRICS,
    RUN_JSON,
    SAMPLES,
    TENSORBOARD,
    preview_relpath,
    recon_relpath,
)

__all__ = ["RunDir", "read_run"]  # read_run: the reader beside its writer

OWN_NAMES = (RUN_JSON, METRICS, SAMPLES, CHECKPOINTS, TENSORBOARD)  # --overwrite removes
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_LOG_FLAGS = (os.O_WRONLY | os.O_APPEND | os.O_CREAT | _NOFOLLOW | getattr(os, "O_BINARY", 0)
              | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))


def _clean(value: Any) -> Any:
    """Return a JSON-safe value: non-finite floats become strings 'nan'/'inf'."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def _is_own_temp(name: str) -> bool:
    """Return True for a temp an interrupted write of one of the run's own files left."""
    return is_temp_name(name) and name.startswith(tuple(f".{n}{TEMP_MARK}" for n in OWN_NAMES))


def _refuse_link(path: Path) -> None:
    """Raise ValueError (one line) when `path` is a symbolic link."""
    if os.path.islink(path):
        raise ValueError(f"{path} is a symbolic link; refusing to write through it")


def _remove(path: Path) -> None:
    """Delete file, link or folder `path`; a link goes itself, what it points to stays."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


class RunDir:
    """Paths of a run folder, its lock and the append-only metrics log.

    Each line goes to the operating system as one write when it is logged, so a killed
    process loses no line `log()` returned; `force_flush` lines (epochs, stops) are also
    fsynced, surviving a power cut.
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.samples = self.root / SAMPLES
        self.checkpoints = self.root / CHECKPOINTS
        self.metrics_path = self.root / METRICS
        self._log_fd: int | None = None
        self._log_lock = threading.Lock()
        self._lock: RunLock | None = None

    @property
    def last_checkpoint(self) -> Path:
        """Return the path of checkpoints/last."""
        return self.checkpoints / "last"

    def epoch_checkpoint(self, epoch: int) -> Path:
        """Return the path of checkpoints/epoch-N."""
        return self.checkpoints / f"epoch-{epoch}"

    def preview_path(self, epoch: int) -> Path:
        """Return samples/epoch-NNNN.png."""
        return self.root / preview_relpath(epoch)

    def recon_path(self, epoch: int) -> Path:
        """Return samples/recon-epoch-NNNN.png."""
        return self.root / recon_relpath(epoch)

    def begin(self, run_info: dict[str, Any], *, resume_step: int | None = None,
              overwrite: bool = False) -> None:
        """Start writing the run: lock the folder, check it, tidy it, write run.json.

        A fresh run (`resume_step` None) refuses a folder holding anything (see
        `check_fresh`) unless `overwrite`, which first removes the run's own files. A
        resumed run drops the log lines past `resume_step`. Raises RunLockedError when a
        live process writes the folder, ValueError for a refused folder; the lock is held
        until `close()`.
        """
        self._lock = RunLock(self.root)
        self._lock.acquire()
        try:
            if resume_step is None:
                self.check_fresh(overwrite)
                if overwrite:
                    self.remove_run_files()
            self.refuse_links()
            self.tidy()
            self.create(run_info)
            if resume_step is not None:
                self.truncate_metrics_after(resume_step)
        except BaseException:
            self.close()
            raise

    def check_fresh(self, overwrite: bool = False) -> None:
        """Raise ValueError (one line) unless a fresh run may write here: the folder is
        missing or empty (its lock and temps of our files aside), or `overwrite`.

        A folder holding only files of no run is refused too: a run's files would mix
        with them. `--overwrite` then writes the run beside them, leaving them alone.
        """
        names = self._entries()
        if overwrite or not names:
            return
        if any(n in OWN_NAMES for n in names):
            raise ValueError(f"{self.root} already holds a run: --resume to continue it, "
                             f"--overwrite to replace it")
        raise ValueError(f"{self.root} is not empty: choose a new or empty folder, or "
                         f"--overwrite to write the run beside its files")

    def _entries(self) -> list[str]:
        """Return the names in the folder but its lock and temps of our files."""
        try:
            names = os.listdir(self.root)
        except FileNotFoundError:
            return []
        except NotADirectoryError:
            raise ValueError(f"{self.root} is a file; a run needs a folder") from None
        return [n for n in names if n != LOCK_NAME and not _is_own_temp(n)]

    def remove_run_files(self) -> None:
        """Delete the run's own files (run.json, metrics.jsonl, samples/, checkpoints/ and
        temps of them); anything else in the folder stays. Links are removed, not followed."""
        self.close_log()
        for name in os.listdir(self.root):
            if name in OWN_NAMES or _is_own_temp(name):
                _remove(self.root / name)

    def refuse_links(self) -> None:
        """Raise ValueError (one line) when a file or folder the run writes is a link."""
        for path in (self.root / RUN_JSON, self.metrics_path, self.samples, self.checkpoints,
                     self.last_checkpoint, self.root / TENSORBOARD):
            _refuse_link(path)
        if os.path.lexists(self.metrics_path) and not self.metrics_path.is_file():
            raise ValueError(f"{self.metrics_path} is not a regular file; refusing to log to it")

    def tidy(self) -> list[Path]:
        """Remove temps a killed run left, put back a checkpoint whose commit it cut short;
        return the temps removed. Only under the lock: they may be another run's work."""
        removed = remove_stale_temps(self.root, OWN_NAMES)
        for sub in (self.samples, self.checkpoints):
            if sub.is_dir() and not sub.is_symlink():
                removed += remove_stale_temps(sub)
        if self.checkpoints.is_dir() and not self.checkpoints.is_symlink():
            for name in sorted(os.listdir(self.checkpoints)):
                if name.endswith(".old") and not is_temp_name(name):
                    recover_folder(self.checkpoints / name[:-len(".old")])
        return removed

    def create(self, run_info: dict[str, Any]) -> None:
        """Create the folders and write run.json."""
        self.samples.mkdir(parents=True, exist_ok=True)
        self.checkpoints.mkdir(parents=True, exist_ok=True)
        atomic_write(self.root / RUN_JSON, json_text(run_info))

    def truncate_metrics_after(self, step: int) -> None:
        """Drop logged lines past `step` (written after the checkpoint a resume starts from).

        The log is rewritten atomically: a crash here leaves the old one whole.
        """
        self.close_log()  # the rewrite is a new file: an open handle would append to the old
        _refuse_link(self.metrics_path)
        if not self.metrics_path.is_file():
            return
        kept = []
        for line in self.metrics_path.read_text(encoding="utf-8").splitlines():
            try:
                if json.loads(line).get("step", 0) <= step:
                    kept.append(line)
            except (json.JSONDecodeError, AttributeError, TypeError):
                continue  # a line cut by a crash, or not one of ours
        atomic_write(self.metrics_path, "".join(k + "\n" for k in kept))

    def _open_log(self) -> int:
        """Return metrics.jsonl opened for appending, never through a link or to a FIFO."""
        _refuse_link(self.metrics_path)  # where O_NOFOLLOW is missing (Windows)
        try:
            fd = os.open(self.metrics_path, _LOG_FLAGS, 0o644)
        except OSError as exc:
            _refuse_link(self.metrics_path)
            raise OSError(f"{self.metrics_path}: cannot open the log ({exc.strerror})") from exc
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise ValueError(f"{self.metrics_path} is not a regular file; refusing to log to it")
        return fd

    def log(self, record: dict[str, Any], force_flush: bool = False) -> None:
        """Append one JSON line to metrics.jsonl (any thread: the trainer's writer logs too).

        `force_flush` also fsyncs the log (the line survives a power cut).
        """
        data = (json.dumps({k: _clean(v) for k, v in record.items()}) + "\n").encode("utf-8")
        with self._log_lock:
            if self._log_fd is None:
                self._log_fd = self._open_log()
            view = memoryview(data)
            while view:  # one write for a line in practice; the loop for a short write
                view = view[os.write(self._log_fd, view):]
            if force_flush:
                os.fsync(self._log_fd)

    def close_log(self) -> None:
        """Close the metrics log (the next `log()` opens it again)."""
        with self._log_lock:
            if self._log_fd is not None:
                os.close(self._log_fd)
                self._log_fd = None

    def close(self) -> None:
        """Close the metrics log and release the folder's lock (if `begin` took it)."""
        self.close_log()
        lock, self._lock = self._lock, None
        if lock is not None:
            lock.release()
