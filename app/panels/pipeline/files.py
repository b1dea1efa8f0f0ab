"""Saving run A (with its branch) as a trajectory (.npz) and loading one back as run A
and its branch, previewed through the open pipeline's decoders (GUI thread; a mixin of
PipelinePanel). The file (models/pipelines/trajectory.py) holds each step's x_t, ε̂ and
x̂0, the guidance branches' x̂0, the prompt's attention maps, the settings, and the
branch's own steps."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QFileDialog

from app.jobs import Job
from app.panels.pipeline.jobs import LANE
from app.panels.pipeline.loading import BranchLoaded, trajectory_events
from app.panels.pipeline.record import PipelineRun

if TYPE_CHECKING:
    from app.panels.pipeline.panel import PipelinePanel as _Base
else:
    _Base = object

FILTER = "Trajectories (*.npz)"
# The TextRequest settings a saved run's metadata gives back (its images are not saved).
REQUEST_KEYS = ("prompt", "negative_prompt", "seed", "steps", "guidance", "sampler", "eta",
                "n", "height", "width", "strength", "control_scale", "class_label")
LOAD = "pipeline-load"


class Files(_Base):
    """Save and load runs as trajectory files."""

    def _connect_files(self) -> None:
        self.form.save_button.clicked.connect(self._save_dialog)
        self.form.load_button.clicked.connect(self._load_dialog)

    def save_run(self, path: Path | str) -> Path:
        """Write run A, with its branch when that finished, as a trajectory .npz; return
        the path. ValueError (one line) when run A has not finished."""
        from models.pipelines.trajectory import save

        a, b = self.run_a, self.run_b
        if a is None or a.finished is None or a.started is None:
            raise ValueError("run to the end first: a saved trajectory is a finished run")
        branch = None
        if b is not None and b.parent is a and b.finished is not None:
            branch = self._trajectory(b)
        return save(self._trajectory(a, branch, b.branch_index if branch else 0), path)

    def _trajectory(self, run: PipelineRun, branch: Any = None, index: int = 0) -> Any:
        from models.pipelines.trajectory import from_events

        assert run.started is not None and run.finished is not None
        steps = [run.steps[k] for k in sorted(run.steps)]
        meta = {**run.started.meta, "pipeline": str(self.folder) if self.folder else None}
        return from_events(steps, run.finished, meta, branch, index)

    def load_run(self, path: Path | str) -> Job | None:
        """Show the trajectory in `path` as run A (and its saved branch beside it; the
        runs shown before are dropped), previewed by this pipeline's decoders on the lane;
        refusals are one line. Return the job."""
        if self.info is None:
            self.session.report_error("Open the pipeline the trajectory was made with first")
            return None
        path = Path(path)
        opened, tiny, cache = self.info.opened, self.tiny, self.linear_cache
        every = int(self.form.every.value())
        self.session.jobs.cancel(LANE, "pipeline-run")
        self.session.jobs.cancel(LANE, "pipeline-branch")
        self.run_b = None
        self.views.set_branch_visible(False)
        record = PipelineRun({}, self.form.current_mode() or opened.mode)
        self.run_a = record
        self.follow_live = True
        # The branch's events follow BranchLoaded: `into` holds the run they go to.
        into = [record]
        job = self.session.jobs.submit(
            LANE, lambda job: trajectory_events(opened, path, every, tiny, cache),
            channel=LOAD, on_event=lambda ev: self._on_loaded_event(into, ev),
            on_error=lambda msg, _tb="": self._on_run_failed(into[-1], msg),
            on_done=lambda status: self._loaded(into, status))
        self.run_jobs[LOAD] = job
        self._update_controls()
        return job

    def _loaded(self, into: list[PipelineRun], status: str) -> None:
        for record in into[1:]:
            record.status = status if record.status != "failed" else "failed"
        self._on_run_done(into[0], LOAD, status)

    def _on_loaded_event(self, into: list[PipelineRun], event: Any) -> None:
        from models.pipelines.events import PipelineStarted

        a = into[0]
        if isinstance(event, BranchLoaded):
            if self.run_a is a:
                b = PipelineRun({}, a.mode, parent=a, branch_index=event.index)
                self.run_b = b
                into.append(b)
                self.views.set_branch_visible(True)
            return
        record = into[-1]
        if isinstance(event, PipelineStarted):
            meta = event.meta
            record.request = {k: meta[k] for k in REQUEST_KEYS if k in meta}
            record.mode = str(meta.get("mode", record.mode))
        self._on_event(record, event)

    def _file_action(self, save: bool) -> None:
        if save:
            path, _ = QFileDialog.getSaveFileName(self, "Save run A as a trajectory",
                                                  "pipeline-run.npz", FILTER)
        else:
            path, _ = QFileDialog.getOpenFileName(self, "Load a trajectory", "", FILTER)
        if not path:
            return
        try:
            if save:
                self.views.status.set_full_text(f"Saved {self.save_run(path)}")
            else:
                self.load_run(path)
        except (OSError, ValueError) as exc:
            self.session.report_error(str(exc).splitlines()[0])

    @Slot()
    def _save_dialog(self) -> None:
        self._file_action(True)

    @Slot()
    def _load_dialog(self) -> None:
        self._file_action(False)
