"""Following a run folder that another process writes: metrics.jsonl and samples/*.png."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot

from app.workers.errors import describe
from models.training.run_reader import RunTail, parse_records, read_shape
from models.training.run_record import RunUpdate

# The reading lives in models/training/run_reader.py; these names stay importable here.
__all__ = ["POLL_SECONDS", "FollowUpdate", "RunFollowWorker", "parse_records", "read_shape"]

POLL_SECONDS = 0.5
FollowUpdate = RunUpdate


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
        tail = RunTail(Path(run_dir))  # complete lines only; regular files only
        try:
            while not self._stop.is_set() and generation == self.generation:
                update = tail.poll()
                if update.shape is not None:
                    self.shape.emit(update.shape)
                if update.steps or update.epochs or update.ended:
                    self.update.emit(update)
                self._stop.wait(POLL_SECONDS)
        except Exception as exc:
            self.failed.emit(*describe(exc))
