"""The one model the window shows, and the signals every panel resets on (GUI thread)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app.jobs import Job, JobService
from models.opened import OpenedModel

LANE = "model"


class ModelLifecycle(QObject):
    """Opens checkpoints once (on the "model" lane) and publishes the model shown.

    Emits opening(Path) when a load starts, opened(OpenedModel) when a different model
    replaces the one shown (every panel resets to it), updated(OpenedModel) when the run
    shown has newer weights (an epoch end), closed() when nothing is shown, and
    failed(message) when a checkpoint cannot be opened (the model shown stays).
    """

    opening = Signal(object)
    opened = Signal(object)
    updated = Signal(object)
    closed = Signal()
    failed = Signal(str)

    def __init__(self, jobs: JobService, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs = jobs
        self.current: OpenedModel | None = None
        self._pending: Job | None = None  # the newest open not yet arrived

    def open(self, path: Path, device: str = "auto") -> None:
        """Load the checkpoint at `path` (a newer open replaces a pending one)."""
        path = Path(path)

        def work(job: Job) -> Iterator[OpenedModel]:
            from models.opened import open_model

            yield open_model(path, device)

        self.opening.emit(path)
        self._pending = self._jobs.submit(
            LANE, work, on_event=self._arrived,
            on_error=lambda message, _tb: self.failed.emit(message))

    def adopt(self, model: OpenedModel, same_run: bool) -> None:
        """Show `model` (from training): newer weights of the run shown, or a new one."""
        self._drop_pending()  # a checkpoint still loading would replace the run's model
        had_one, self.current = self.current is not None, model
        (self.updated if same_run and had_one else self.opened).emit(model)

    def close(self) -> None:
        """Show no model (File › New, a new training run starting)."""
        self._drop_pending()
        self.current = None
        self.closed.emit()

    def _drop_pending(self) -> None:
        """Cancel the lane's jobs, and the newest open even when its lane has finished it:
        its model may be on its way to the GUI thread already, and must not arrive."""
        self._jobs.cancel(LANE)
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None

    def _arrived(self, model: OpenedModel) -> None:
        self._pending = None
        self.current = model
        self.opened.emit(model)
