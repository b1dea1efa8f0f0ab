"""Reading a run folder back, whole (`read_run`) or as it grows (`RunTail`, `follow_run`).

Another process may be writing the folder, or it may hold anything a user put there, so
only regular files are opened (a FIFO named like a preview would block a read forever),
and what is read is bounded: long lines, huge files and decompression bombs are skipped.
"""

from __future__ import annotations

import io
import json
import math
import os
import stat
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

import numpy as np

from models.training.run_record import (
    METRICS,
    RUN_JSON,
    EpochRecord,
    RunRecord,
    RunShape,
    RunUpdate,
    StepLine,
    preview_relpath,
    recon_relpath,
)

MAX_LINE_BYTES = 1 << 20  # a metrics line longer than this is skipped
MAX_JSON_BYTES = 16 << 20  # run.json
MAX_PNG_BYTES = 64 << 20
MAX_PNG_PIXELS = 64_000_000  # far above any preview grid, far below a bomb
READ_CHUNK = 1 << 20
# Keys of a "step" record that are bookkeeping, not metrics.
STEP_META = {"kind", "step", "epoch", "time", "images_per_s"}
EPOCH_META = {"kind", "step", "epoch", "time", "seconds", "preview"}


def is_regular(path: Path) -> bool:
    """Return True when `path` is a regular file (a symlink to one counts)."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def open_regular(path: Path) -> IO[bytes] | None:
    """Return `path` opened for binary reading if it is a regular file (symlinks followed),
    else None (missing, a folder, a FIFO, a device...)."""
    if not is_regular(path):
        return None
    try:
        # O_NONBLOCK: should the path become a FIFO after the stat, open() still returns
        # at once, and the fstat below refuses it.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            return None
        return os.fdopen(fd, "rb")
    except OSError:
        os.close(fd)
        return None


def read_limited(path: Path, limit: int) -> bytes | None:
    """Return the bytes of regular file `path`, or None if it is not one or exceeds `limit`."""
    f = open_regular(path)
    if f is None:
        return None
    try:
        with f:
            data = f.read(limit + 1)
    except OSError:
        return None
    return data if len(data) <= limit else None


def read_info(run_dir: Path) -> dict[str, Any] | None:
    """Return run.json parsed, or None when missing, not a regular file or not a JSON object."""
    data = read_limited(Path(run_dir) / RUN_JSON, MAX_JSON_BYTES)
    try:
        info = json.loads(data) if data is not None else None
    except ValueError:
        return None
    return info if isinstance(info, dict) else None


def _total_epochs(info: dict[str, Any], train: dict[str, Any]) -> int:
    """Return the epochs the whole run takes: its phases' sum when it lists phases (latent
    diffusion: the autoencoder's epochs, then train.epochs of the UNet), else train.epochs."""
    phases = info.get("phases")
    if isinstance(phases, list) and phases:
        try:
            return sum(int(p.get("epochs") or 0) for p in phases if isinstance(p, dict))
        except (TypeError, ValueError):
            pass
    return int(train.get("epochs") or 0)


def shape_of(run_dir: Path, info: dict[str, Any] | None) -> RunShape:
    """Return the run's shape from run.json's contents (an empty shape for None)."""
    if info is None:
        return RunShape(run_dir=run_dir)
    train = info.get("train") or {}
    ds = info.get("dataset") or {}
    bs = int(train.get("batch_size") or 0)
    n_train = int(ds.get("n_train") or 0)
    return RunShape(run_dir=run_dir, family=str(info.get("family", "")),
                    dataset=str(ds.get("name", (info.get("data") or {}).get("dataset", ""))),
                    device=str(info.get("device", "")),
                    total_epochs=_total_epochs(info, train),
                    steps_per_epoch=math.ceil(n_train / bs) if bs and n_train else 0,
                    batch_size=bs, phases=_phases(info))


def _phases(info: dict[str, Any]) -> tuple[tuple[str, int], ...]:
    """Return run.json's phases as (name, epochs) (none when it lists none or is malformed)."""
    phases = info.get("phases")
    if not isinstance(phases, list):
        return ()
    try:
        return tuple((str(p["name"]), int(p.get("epochs") or 0)) for p in phases)
    except (TypeError, ValueError, KeyError, AttributeError):
        return ()


def read_shape(run_dir: Path) -> RunShape:
    """Return the run's shape from run.json (an empty shape when it is not there yet)."""
    try:
        return shape_of(Path(run_dir), read_info(run_dir))
    except (TypeError, ValueError, AttributeError):  # fields of the wrong type
        return RunShape(run_dir=Path(run_dir))


def read_png(path: Path) -> np.ndarray | None:
    """Return the PNG at `path` as uint8 H×W×C, or None when it is missing, not a regular
    file, too big, corrupt or a decompression bomb."""
    from PIL import Image

    data = read_limited(path, MAX_PNG_BYTES)
    if data is None:
        return None
    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.width * im.height > MAX_PNG_PIXELS:
                return None
            arr = np.asarray(im.convert("RGB") if im.mode not in ("L", "RGB") else im)
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError):
        return None
    return arr[:, :, None].copy() if arr.ndim == 2 else arr.copy()


def _number(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if v in ("nan", "inf", "-inf"):
        return float(v)
    return None


def _epoch_record(rec: dict[str, Any], run_dir: Path) -> EpochRecord:
    epoch = int(rec.get("epoch", 0))
    preview_rel = rec.get("preview")
    preview_path = run_dir / (preview_rel if isinstance(preview_rel, str) and preview_rel
                              else preview_relpath(epoch))
    arrays = {k: np.asarray(v, dtype=np.float32) for k, v in rec.items()
              if isinstance(v, list) and k not in EPOCH_META}
    val = {k[4:]: n for k, v in rec.items()
           if k.startswith("val_") and (n := _number(v)) is not None}
    return EpochRecord(epoch, int(rec.get("step", 0)), val, read_png(preview_path),
                       read_png(run_dir / recon_relpath(epoch)), arrays, preview_path)


def _step_line(rec: dict[str, Any]) -> StepLine:
    metrics = {k: n for k, v in rec.items()
               if k not in STEP_META and (n := _number(v)) is not None}
    return (int(rec.get("step", 0)), metrics, _number(rec.get("images_per_s")),
            _number(rec.get("time")))


def parse_records(lines: list[str], run_dir: Path, after_step: int = -1) -> RunUpdate:
    """Return the steps, epochs and end in complete metrics.jsonl lines (bad lines skipped).

    Records at or before `after_step` are skipped. `ended` is the last word: a step or
    epoch logged after a "stopped" line (the run was resumed) clears it.
    """
    update = RunUpdate()
    for line in lines:
        try:
            rec = json.loads(line)
            if not isinstance(rec, dict) or int(rec.get("step", 0)) <= after_step:
                continue
            kind = rec.get("kind")
            if kind == "step":
                update.steps.append(_step_line(rec))
                update.ended = None
            elif kind == "epoch":
                update.epochs.append(_epoch_record(rec, Path(run_dir)))
                update.ended = None
            elif kind in ("stopped", "failed"):
                update.ended = kind if kind == "stopped" else f"failed: {rec.get('reason', '')}"
        except (ValueError, TypeError, OverflowError):
            continue  # not JSON, or a field of the wrong type
    return update


class _LineSplitter:
    """Cuts a byte stream into complete lines, dropping any longer than `max_len`."""

    def __init__(self, max_len: int) -> None:
        self.max_len = max_len
        self._part = bytearray()  # the line begun but not yet ended
        self._skipping = False  # inside a line already too long

    def feed(self, chunk: bytes) -> list[bytes]:
        """Return the lines `chunk` completes (without their newline)."""
        lines = []
        start = 0
        while (nl := chunk.find(b"\n", start)) >= 0:
            piece = chunk[start:nl]
            if not self._skipping and len(self._part) + len(piece) <= self.max_len:
                lines.append(bytes(self._part) + piece)
            self._part.clear()
            self._skipping = False
            start = nl + 1
        rest = chunk[start:]
        if not self._skipping:
            if len(self._part) + len(rest) > self.max_len:
                self._part.clear()
                self._skipping = True
            else:
                self._part += rest
        return lines


MAX_UNPICTURED = 32  # epochs a tail waits for pictures of at once (the newest ones)


class RunTail:
    """Reads what a run folder gains between polls: complete metrics lines and run.json.

    A half-written last line waits for its newline. A log rewritten (a resume drops lines
    past its checkpoint: a new, shorter file; or a sync tool replacing the file) is read
    again from its start, skipping the steps already returned. A folder kept in sync from
    elsewhere may show a file before it is whole: a run.json that does not parse yet is
    read again next poll, and an epoch whose preview PNG is missing or partial is sent
    again, with its pictures, once they read (the history replaces it).
    """

    def __init__(self, run_dir: Path | str) -> None:
        self.run_dir = Path(run_dir)
        self._offset = 0
        self._lines = _LineSplitter(MAX_LINE_BYTES)
        self._shape_sent = False
        self._last_step = -1  # the latest step returned
        self._after_step = -1  # skip records up to here (after a rewrite)
        self._file_id: tuple[int, int] | None = None  # (device, inode) of the log read
        self._unpictured: dict[int, EpochRecord] = {}  # epochs whose preview did not read

    def poll(self) -> RunUpdate:
        """Return what is new since the last poll (an empty update when nothing is)."""
        shape = None
        if not self._shape_sent and read_info(self.run_dir) is not None:
            shape = read_shape(self.run_dir)
            self._shape_sent = True
        lines = [ln.decode("utf-8", "replace") for ln in self._new_lines() if ln.strip()]
        update = parse_records(lines, self.run_dir, self._after_step) if lines else RunUpdate()
        update.shape = shape
        update.epochs = self._with_late_pictures(update.epochs)
        steps = [s[0] for s in update.steps] + [e.step for e in update.epochs]
        self._last_step = max([self._last_step, *steps])
        return update

    def _with_late_pictures(self, epochs: list[EpochRecord]) -> list[EpochRecord]:
        """Return the epochs read now, plus earlier ones whose preview reads at last;
        remember those still without one (the newest MAX_UNPICTURED)."""
        late = []
        for number, record in list(self._unpictured.items()):
            preview = read_png(record.preview_path) if record.preview_path else None
            if preview is not None:
                del self._unpictured[number]
                late.append(replace(record, preview=preview, reconstructions=read_png(
                    self.run_dir / recon_relpath(number))))
        fresh = {e.epoch for e in epochs}
        for record in epochs:
            if record.preview is None:
                self._unpictured[record.epoch] = record
        while len(self._unpictured) > MAX_UNPICTURED:
            del self._unpictured[min(self._unpictured)]
        return [e for e in late if e.epoch not in fresh] + epochs

    def _new_lines(self) -> list[bytes]:
        f = open_regular(self.run_dir / METRICS)
        if f is None:
            return []
        lines: list[bytes] = []
        with f:
            try:
                st = os.fstat(f.fileno())
                size, file_id = st.st_size, (st.st_dev, st.st_ino)
                if size < self._offset or file_id != self._file_id:
                    if self._offset:  # rewritten, not just created
                        self._after_step = self._last_step
                    self._file_id = file_id
                    self._offset = 0
                    self._lines = _LineSplitter(MAX_LINE_BYTES)
                f.seek(self._offset)
                while self._offset < size:  # what is there now; more waits for next poll
                    chunk = f.read(min(READ_CHUNK, size - self._offset))
                    if not chunk:
                        break
                    self._offset += len(chunk)
                    lines += self._lines.feed(chunk)
            except OSError:
                pass  # keep the lines read so far; the rest comes next poll
        return lines


def follow_run(run_dir: Path | str, poll_s: float = 0.25) -> Iterator[RunUpdate | None]:
    """Poll `run_dir` forever: yield a RunUpdate when something is new, None when not.

    The None heartbeats let a consumer check for cancellation between polls; the
    generator sleeps `poll_s` when resumed, before its next poll.
    """
    tail = RunTail(run_dir)
    while True:
        update = tail.poll()
        yield None if update.is_empty else update
        time.sleep(poll_s)


def _columns(steps: list[StepLine]) -> tuple[np.ndarray, dict[str, np.ndarray],
                                             np.ndarray, np.ndarray]:
    """Return (steps, metrics by name, images/s, times) as aligned arrays (NaN = absent)."""
    names = list(dict.fromkeys(k for s in steps for k in s[1]))
    nan = math.nan
    return (np.array([s[0] for s in steps], dtype=np.int64),
            {k: np.array([s[1].get(k, nan) for s in steps], dtype=np.float64)
             for k in names},
            np.array([nan if s[2] is None else s[2] for s in steps], dtype=np.float64),
            np.array([nan if s[3] is None else s[3] for s in steps], dtype=np.float64))


def read_run(path: Path | str) -> RunRecord:
    """Return the whole run folder at `path`: shape and run.json, every logged step as
    arrays, every epoch with its pictures, and how it ended.

    Raises FileNotFoundError when `path` holds neither run.json nor metrics.jsonl.
    """
    root = Path(path).expanduser()
    if not (root / RUN_JSON).exists() and not (root / METRICS).exists():
        raise FileNotFoundError(f"{root}: not a run folder (no {RUN_JSON} or {METRICS})")
    update = RunTail(root).poll()
    info = read_info(root) or {}
    epochs = {e.epoch: e for e in update.epochs}  # a resumed run may log one twice
    steps, metrics, images_per_s, times = _columns(update.steps)
    return RunRecord(root, update.shape or RunShape(run_dir=root), info, steps, metrics,
                     images_per_s, times, [epochs[k] for k in sorted(epochs)], update.ended)
