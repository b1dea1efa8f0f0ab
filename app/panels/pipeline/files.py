"""Saving run A or its branch as a trajectory (.npz) and loading one back as run A,
previewed through the open pipeline's decoders (GUI thread; a mixin of PipelinePanel).
The file holds what models/diffusion/trajectory_io.py keeps: each step's x_t, ε̂ and x̂0
and the run's settings; guidance's branches and the attention maps are not saved."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QFileDialog

from app.jobs import Job
from app.panels.pipeline.jobs import LANE, trajectory_events
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

    def save_run(self, path: Path | str, branch: bool = False) -> Path:
        """Write run A (the branch with `branch`) as a trajectory .npz; return the path.
        ValueError (one line) when that run has not finished."""
        from models.diffusion.trajectory_io import Trajectory

        run = self.run_b if branch else self.run_a
        if run is None or run.finished is None or run.started is None:
            raise ValueError("run to the end first: a saved trajectory is a finished run")
        steps = [run.steps[k].step for k in sorted(run.steps)]
        meta = {**run.started.meta, "pipeline": str(self.folder) if self.folder else None}
        return Trajectory.from_events([*steps, run.finished], meta).save(path)

    def load_run(self, path: Path | str) -> Job | None:
        """Show the trajectory in `path` as run A (the branch dropped), previewed by this
        pipeline's decoders on the lane; refusals are one line. Return the job."""
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
        job = self.session.jobs.submit(
            LANE, lambda job: trajectory_events(opened, path, every, tiny, cache),
            channel=LOAD, on_event=lambda ev: self._on_loaded_event(record, ev),
            on_error=lambda msg, _tb="": self._on_run_failed(record, msg),
            on_done=lambda status: self._on_run_done(record, LOAD, status))
        self.run_jobs[LOAD] = job
        self._update_controls()
        return job

    def _on_loaded_event(self, record: PipelineRun, event: Any) -> None:
        from models.pipelines.events import PipelineStarted

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
