"""Following a run folder that another process writes: metrics.jsonl and samples/*.png."""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from app.history import EpochRecord, RunShape
from app.jobs.errors import describe

POLL_SECONDS = 0.5
# Keys of a "step" record that are bookkeeping, not metrics.
STEP_META = {"kind", "step", "epoch", "time", "images_per_s"}
EPOCH_META = {"kind", "step", "epoch", "time", "seconds", "preview"}


@dataclass
class FollowUpdate:
    """New lines of a followed run: steps as (step, metrics, images/s, time) and epochs."""

    steps: list[tuple[int, dict[str, float], float | None, float | None]] = \
        field(default_factory=list)
    epochs: list[EpochRecord] = field(default_factory=list)
    ended: str | None = None  # "stopped" / "failed: reason" when the run says so


def read_shape(run_dir: Path) -> RunShape:
    """Return the run's shape from run.json (an empty shape when it is not there yet)."""
    try:
        info = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return RunShape(run_dir=run_dir)
    train = info.get("train") or {}
    ds = info.get("dataset") or {}
    bs = int(train.get("batch_size") or 0)
    n_train = int(ds.get("n_train") or 0)
    return RunShape(run_dir=run_dir, family=str(info.get("family", "")),
                    dataset=str(ds.get("name", (info.get("data") or {}).get("dataset", ""))),
                    device=str(info.get("device", "")),
                    total_epochs=int(train.get("epochs") or 0),
                    steps_per_epoch=math.ceil(n_train / bs) if bs and n_train else 0,
                    batch_size=bs)


def _number(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if v in ("nan", "inf", "-inf"):
        return float(v)
    return None


def _read_png(path: Path) -> np.ndarray | None:
    try:
        from PIL import Image

        with Image.open(path) as im:
            arr = np.asarray(im.convert("RGB") if im.mode not in ("L", "RGB") else im)
    except (OSError, ValueError):
        return None
    return arr[:, :, None].copy() if arr.ndim == 2 else arr.copy()


def parse_records(lines: list[str], run_dir: Path) -> FollowUpdate:
    """Return the steps and epochs in complete metrics.jsonl lines (bad lines skipped)."""
    update = FollowUpdate()
    for line in lines:
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if not isinstance(rec, dict):
            continue
        kind = rec.get("kind")
        if kind == "step":
            metrics = {k: n for k, v in rec.items()
                       if k not in STEP_META and (n := _number(v)) is not None}
            update.steps.append((int(rec.get("step", 0)), metrics,
                                 _number(rec.get("images_per_s")), _number(rec.get("time"))))
        elif kind == "epoch":
            epoch = int(rec.get("epoch", 0))
            preview_rel = rec.get("preview")
            preview_path = run_dir / preview_rel if preview_rel else \
                run_dir / "samples" / f"epoch-{epoch:04d}.png"
            arrays = {k: np.asarray(v, dtype=np.float32) for k, v in rec.items()
                      if isinstance(v, list) and k not in EPOCH_META}
            val = {k[4:]: n for k, v in rec.items()
                   if k.startswith("val_") and (n := _number(v)) is not None}
            update.epochs.append(EpochRecord(
                epoch, int(rec.get("step", 0)), val, _read_png(preview_path),
                _read_png(run_dir / "samples" / f"recon-epoch-{epoch:04d}.png"), arrays,
                preview_path))
        elif kind in ("stopped", "failed"):
            update.ended = kind if kind == "stopped" else f"failed: {rec.get('reason', '')}"
    return update


class RunFollowWorker(QObject):
    """Tails one run folder at a time on the follow thread.

    `follow` is a blocking loop (polling every 0.5 s) that ends when `request_stop` is
    called from any thread. Emits shape(RunShape), update(FollowUpdate), failed(msg, tb).
    """

    shape = Signal(object)
    update = Signal(object)
    failed = Signal(str, str)

    def __init__(self) -> None:
        super().__init__()
        self._stop = threading.Event()
        self.generation = 0  # the GUI raises it when it asks for a new folder

    def request_stop(self) -> None:
        """End the current follow loop (called from the GUI thread)."""
        self._stop.set()

    @Slot(object, int)
    def follow(self, run_dir: Path, generation: int) -> None:
        """Poll `run_dir` until stopped or superseded by a newer request."""
        if generation < self.generation:
            return
        self._stop.clear()
        run_dir = Path(run_dir)
        offset = 0
        buffer = b""
        shape_sent = False
        try:
            while not self._stop.is_set() and generation == self.generation:
                if not shape_sent and (run_dir / "run.json").is_file():
                    self.shape.emit(read_shape(run_dir))
                    shape_sent = True
                path = run_dir / "metrics.jsonl"
                if path.is_file():
                    with open(path, "rb") as f:
                        f.seek(offset)
                        chunk = f.read()
                    offset += len(chunk)
                    buffer += chunk
                    # Only complete lines: the writer may be half-way through one.
                    *lines, buffer = buffer.split(b"\n")
                    if lines:
                        update = parse_records([ln.decode("utf-8", "replace")
                                                for ln in lines if ln.strip()], run_dir)
                        if update.steps or update.epochs or update.ended:
                            self.update.emit(update)
                self._stop.wait(POLL_SECONDS)
        except Exception as exc:
            self.failed.emit(*describe(exc))
