"""Runs of the step viewer: Run (row A), Branch and Compare (row B), Cancel, and the
streamed steps filling each run's record in the bounded trajectory cache (GUI thread).

Every run is a job on the "diffusion" lane (`jobs.run_events`). Latest wins: a new Run
cancels every older run; a new branch or compared run cancels only the previous row B run
(channel SECOND), so row A keeps streaming.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Slot

from app import theme
from app.jobs import Job
from app.jobs.copies import ModelCopy
from app.log import log
from app.panels.diffusion.cache import RunRecord, RunSpec, estimate_bytes
from app.panels.diffusion.jobs import LANE, RUN, SECOND, RunRequest, run_events
from app.panels.diffusion.model_info import DiffusionModelInfo
from app.panels.diffusion.playback import megabytes
from models.diffusion.events import DenoiseEvent, DenoiseFinished

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance

    from app.panels.diffusion.playback import Playback as _Base
else:
    _Base = object  # a mixin of DiffusionPanel


class Runs(_Base):
    """Starting, cancelling and recording runs."""

    info: DiffusionModelInfo | None
    copies: ModelCopy  # the lane's inference copy of the model shown
    run_jobs: dict[int, Job]  # runs queued or running, by run id
    run_ids: Iterator[int]  # 1, 2, 3…
    stepped: SignalInstance
    ended: SignalInstance

    def _connect_runs(self) -> None:
        self.run_button.clicked.connect(self.run)
        self.cancel_button.clicked.connect(self.cancel)
        self.second.branch_button.clicked.connect(self.branch)
        self.second.compare_button.clicked.connect(self.compare)
        self.second.clear_button.clicked.connect(self.clear_second)

    def next_run_id(self) -> int:
        """Reserve and return the id of the next run (never reused, even after clear: a
        cleared run's late end is then told apart from a new run's)."""
        return next(self.run_ids)

    @Slot()
    def run(self) -> int | None:
        """Start a run with the form's settings (cancelling any); return its id."""
        info = self.info
        if info is None:
            return None
        s = self.form.settings()
        # A guided run records both branches too: the Guidance view scrubs them.
        spec = RunSpec(s.seed, s.sampler, s.steps, s.eta, s.n,
                       s.labels(len(info.class_names)), s.guidance,
                       parts=info.conditional and s.guidance is not None and not info.latent,
                       latent=info.latent, preview=self.preview_mode())
        self.clear_second()
        # The run shown so far may now be dropped to make room: only running ones stay.
        self.cache.pinned = set(self.run_jobs)
        run_id = self._start(spec, None, None, RUN)
        if run_id is not None:
            self.second.follow(s)  # a new A: the second run starts from it again
            self.primary_id = run_id
            self.follow_live = True
            self._reset_slider()
            self._update_buttons()
        self._pin()  # the new run, or again the old one when the new one was refused
        return run_id

    @Slot()
    def branch(self) -> int | None:
        """Run the primary's remaining steps from the current step with the second-run
        settings (seed, sampler, guidance); return the branch's id."""
        a = self.primary
        if a is None or self.info is None:
            return None
        k = self.current_step()
        if not a.has(k):
            self.status.setText("Wait until the step to branch from has arrived.")
            return None
        spec = RunSpec(self.second.seed.value(), self.second.sampler.currentData(),
                       a.spec.steps, a.spec.eta, a.spec.n, a.spec.labels,
                       self.second.guidance_value(), "branch", k, a.run_id,
                       latent=a.spec.latent, preview=self.preview_mode())
        return self._start_second(spec, a, a.x_t[k])

    @Slot()
    def compare(self) -> int | None:
        """Run from the start with the second-run seed, sampler and step count (the seeds
        shown are the seeds used); both rows then scrub together; return its id."""
        a = self.primary
        if a is None or self.info is None:
            return None
        spec = RunSpec(self.second.seed.value(), self.second.sampler.currentData(),
                       self.second.steps.value(), a.spec.eta, a.spec.n, a.spec.labels,
                       self.second.guidance_value(), "compare", 0, a.run_id,
                       latent=a.spec.latent, preview=self.preview_mode())
        return self._start_second(spec, None, None)

    def _start_second(self, spec: RunSpec, parent: RunRecord | None,
                      start: np.ndarray | None) -> int | None:
        run_id = self._start(spec, parent, start, SECOND)  # cancels the previous row B run
        if run_id is not None:
            self.secondary_id = run_id
            self._pin()
            self.row_b.show()
            self.show_current()
        return run_id

    def _start(self, spec: RunSpec, parent: RunRecord | None, start: np.ndarray | None,
               channel: str) -> int | None:
        info, model = self.info, self.model
        assert info is not None and model is not None
        need = estimate_bytes(spec, info.latent_channels if info.latent else info.channels,
                              info.model_size, info.image_size, info.channels)
        if not self.cache.fits(need):
            self.status.setText(
                f"This run needs about {megabytes(need)}, over the trajectory cache's bound "
                f"of {megabytes(self.cache.max_bytes)}: use fewer steps or samples.")
            return None
        run_id = self.next_run_id()
        record = RunRecord(run_id, spec, info.image_size, parent)
        self.cache.pinned.add(run_id)
        self._dropped(self.cache.add(record))
        # The lane gets its own copy of a branch's x_t: the cache's array stays the GUI's.
        request = RunRequest(spec.n, spec.seed, spec.sampler, spec.steps, spec.eta,
                             spec.labels, spec.guidance,
                             None if start is None else np.array(start, np.float32),
                             spec.branch_from, spec.parts, spec.preview)
        copies = self.copies
        self.run_jobs[run_id] = self.session.jobs.submit(
            LANE, lambda job: run_events(job, model, copies, request), channel=channel,
            on_event=partial(self._on_run_event, run_id),
            on_done=partial(self._on_run_done, run_id),
            on_error=partial(self._on_run_error, run_id))
        self._update_buttons()
        self._update_cache_label()
        return run_id

    @Slot()
    def cancel(self) -> None:
        """Stop every run after its current step (what arrived stays scrubbable)."""
        for job in self.run_jobs.values():
            job.cancel()

    @Slot()
    def clear_second(self) -> None:
        """Hide row B and stop its run (which stays in the cache until dropped)."""
        job = self.run_jobs.get(self.secondary_id) if self.secondary_id is not None else None
        if job is not None:
            job.cancel()
        self.secondary_id = None
        self.row_b.hide()
        self._pin()

    def _pin(self) -> None:
        self.cache.pinned = {i for i in (self.primary_id, self.secondary_id) if i is not None}
        self.cache.pinned |= set(self.run_jobs)
        self._dropped(self.cache.trim())

    def _dropped(self, ids: list[int]) -> None:
        if ids:
            log.info("diffusion viewer: dropped runs %s to stay within %s", ids,
                     megabytes(self.cache.max_bytes))

    # --- job results ---------------------------------------------------------------------
    def _on_run_event(self, run_id: int, event: DenoiseEvent) -> None:
        record = self.cache.runs.get(run_id)
        if record is None:
            return
        if isinstance(event, DenoiseFinished):
            record.set_final(event.x0, event.pixels)
            return
        record.add(event)
        self.stepped.emit(run_id, event)
        if run_id in (self.primary_id, self.secondary_id) and \
                not self._refresh_timer.isActive():
            self._refresh_timer.start()

    def _on_run_done(self, run_id: int, status: str) -> None:
        self.run_jobs.pop(run_id, None)
        record = self.cache.runs.get(run_id)
        if record is not None:
            record.status = status
            if run_id in (self.primary_id, self.secondary_id):
                self._follow_newest()
                if status == "cancelled":
                    self.status.setText(f"Run {'A' if run_id == self.primary_id else 'B'} "
                                        f"cancelled after {record.available} steps.")
        self.note_preview_cost(record)
        self._pin()
        self._update_buttons()
        self._update_cache_label()
        self.ended.emit(run_id, status)

    def _on_run_error(self, run_id: int, message: str, _tb: str) -> None:
        self.status.setText(theme.coloured(html.escape(str(message)), "error"))
