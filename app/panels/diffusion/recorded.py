"""The recorded trajectory of the checkpoint opened, shown as run A from its file alone
(models/pictures/trajectory_file.py: numpy, no torch) while PyTorch and the model load,
and kept until the user runs (GUI thread)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Slot

from app.panels.diffusion.cache import RunRecord
from models.demos import DEMOS_DIR
from models.diffusion.trajectory_io import Trajectory
from models.pictures.trajectory_file import load_cached_trajectory

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance

    from app.panels.diffusion.runs import Runs as _Base
else:
    _Base = object  # a mixin of DiffusionPanel


def recorded_caption(record: RunRecord, checkpoint: Path) -> str:
    """Return the caption of a recorded run: what it is and how it was made."""
    demo = DEMOS_DIR.resolve() in Path(checkpoint).resolve().parents
    when = "when the demo was made" if demo else "with this checkpoint"
    return (f"Recorded trajectory ({record.spec.describe()}): recorded {when} — "
            "press Run to sample anew")


class Recorded(_Base):
    """Run A from the checkpoint's `precomputed/trajectory.npz`, before the model."""

    recordedShown: SignalInstance
    _recorded: tuple[Path, Trajectory] | None
    _recorded_record: RunRecord | None  # its run, made once per open
    recorded_id: int | None  # the cache's id of the recorded run shown

    def _connect_recorded(self) -> None:
        self._recorded = self._recorded_record = None
        self.recorded_id = None
        self.session.picturesOpened.connect(self.show_pictures)
        self.session.models.closed.connect(self._forget_recorded)
        self.session.models.failed.connect(self._on_model_failed)

    @Slot(object)
    def show_pictures(self, checkpoint: Path) -> None:
        """A checkpoint opened (its model may follow): forget what was shown and show its
        recorded trajectory, if it has one made from these weights, as run A."""
        traj = load_cached_trajectory(Path(checkpoint))  # ~5 ms for a demo's file
        self._recorded = None if traj is None else (Path(checkpoint), traj)
        self._recorded_record = None
        self.reset()  # Panel.reset → clear(), which shows the recording again

    def recorded_run(self) -> RunRecord | None:
        """Return the recorded run while it is run A, else None."""
        a = self.primary
        return a if a is not None and a.run_id == self.recorded_id else None

    def _show_recorded(self, frame: int | None = None) -> None:
        """Put the recording in the (just cleared) cache as run A, at `frame` (the one
        shown before the clear), else at its final frame: the sample at t = 0."""
        if self._recorded is None:
            self.recorded_id = None
            return
        checkpoint, traj = self._recorded
        record = self._recorded_record  # the same run when the model's arrival clears
        if record is None:
            record = self._recorded_record = RunRecord.from_trajectory(self.next_run_id(),
                                                                       traj)
        self.cache.add(record)
        # The form starts from the recording's settings (the model's own defaults).
        self.form.set_defaults(record.spec.sampler, record.spec.steps)
        self.second.follow(self.form.settings())
        self.primary_id = self.recorded_id = record.run_id
        self.follow_live = False
        self._pin()
        self._reset_slider()
        self.slider.setValue(record.frames - 1 if frame is None else frame)
        self.status.setText(recorded_caption(record, checkpoint))
        self._update_buttons()
        self._update_cache_label()
        self.recordedShown.emit(record.run_id)

    def recorded_text(self, text: str) -> str:
        """Return the recording's caption while it is run A, else `text`."""
        if self.recorded_run() is None or self._recorded is None:
            return text
        return recorded_caption(self.recorded_run(), self._recorded[0])  # type: ignore[arg-type]

    @Slot()
    def run(self) -> int | None:
        """Start a run (Runs.run); the first one replaces the recording as run A."""
        run_id = super().run()
        if run_id is not None and self.recorded_id is not None:
            self.recorded_id = None
            self._recorded = self._recorded_record = None
            self.status.setText(self.ready_text())
        return run_id

    @Slot()
    def _forget_recorded(self) -> None:
        # The base clears the panel on the same signal.
        self._recorded = self._recorded_record = None

    @Slot(str)
    def _on_model_failed(self, _message: str) -> None:
        """The checkpoint's model could not be opened: its recording goes too; the model
        still shown (if any) is offered again."""
        if self._recorded is None:
            return
        self._recorded = self._recorded_record = None
        self.reset()
        current = self.session.models.current
        if current is not None:
            self._offer(current)
