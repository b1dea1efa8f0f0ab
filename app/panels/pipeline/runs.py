"""Runs of the Pipeline dock: Run, Cancel, Keep as B, Branch from step t, each step
recorded as it streams in, and the slider scrubbing the recorded steps of run A with run
B (a kept run, or A's branch) beside it (GUI thread; a mixin of PipelinePanel)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import Slot

from app.jobs import Job
from app.panels.pipeline.jobs import LANE, NoisedInput, run_events
from app.panels.pipeline.record import PipelineRun
from models.diffusion.events import DenoiseFinished
from models.pipelines.events import PipelineStarted, PipelineStep

if TYPE_CHECKING:
    from app.panels.pipeline.panel import PipelinePanel as _Base
else:
    _Base = object

RUN_A, RUN_B = "pipeline-run", "pipeline-branch"


class Runs(_Base):
    """Starts runs and branches, records their events and shows the slider's step."""

    def _connect_runs(self) -> None:
        self.form.run_button.clicked.connect(self.run)
        self.form.cancel_button.clicked.connect(self.cancel)
        self.form.branch_button.clicked.connect(self.branch_from_current)
        self.form.keep_button.clicked.connect(self.keep_as_b)
        self.views.slider.valueChanged.connect(self._on_slider)
        self.views.strip.stepClicked.connect(self.show_step)
        self.views.token.currentIndexChanged.connect(self.refresh)
        self.views.tabs.currentChanged.connect(self.refresh)
        self.form.decoder.currentIndexChanged.connect(self.refresh)

    def forget_runs(self) -> None:
        """Cancel the runs and forget them (another pipeline was opened)."""
        self.session.jobs.cancel(LANE, RUN_A)
        self.session.jobs.cancel(LANE, RUN_B)
        self.run_a = self.run_b = None
        self.views.set_branch_visible(False)
        self.views.slider.setRange(0, 0)
        self.views.strip.set_run(None, "", -1)
        for pane in (self.views.a_image, self.views.a_latent, self.views.noised_pane,
                     *self.views.guidance_panes.values(), self.views.attention_pane,
                     self.views.attention_map):
            pane.set_image(None)

    def base_fields(self) -> dict[str, Any]:
        """Return the TextRequest fields the form and the mode's inputs say; ValueError
        (one line) for what a run cannot start from."""
        f = self.form
        if f.sampler.currentData() is None:  # an empty list, or a name typed or restored
            raise ValueError("No scheduler chosen: pick one of the list (the step viewer "
                             "runs those only)")
        fields: dict[str, Any] = {
            "prompt": f.prompt.text(), "negative_prompt": f.negative.text(),
            "seed": f.seed.value(), "steps": f.steps.value(),
            "guidance": float(f.guidance.value()), "sampler": str(f.sampler.currentData()),
        }
        if f.class_label.count():
            fields["class_label"] = int(f.class_label.currentData())
        fields.update(self.mode_fields(f.current_mode() or ""))
        return fields

    def _preview(self) -> tuple[str, int]:
        return ("every", int(self.form.every.value()))

    @Slot()
    def keep_as_b(self) -> None:
        """Keep run A (ended) as run B: the next Run makes a new run A beside it."""
        a = self.run_a
        if a is None or a.status == "running" or not a.steps:
            self.session.report_error("Run to the end first: run B is a run that ended")
            return
        self.session.jobs.cancel(LANE, RUN_B)
        self.run_b = a
        self.views.set_branch_visible(True)
        self.views.status.set_full_text("Run A is kept as run B: change the prompt, seed, "
                                        "scheduler or guidance and press Run to compare.")
        self.refresh()
        self._update_controls()

    @Slot()
    def run(self) -> Job | None:
        """Start run A with the form's settings (a branch is dropped, a run kept as B
        stays); refusals are one line in the message bar. Return the job, None when
        refused."""
        if self.info is None:
            self.session.report_error("Open a pipeline folder first (File › Open model)")
            return None
        mode = self.form.current_mode() or self.info.opened.mode
        try:
            fields = self.base_fields()
        except ValueError as exc:
            self.session.report_error(str(exc))
            return None
        self.session.jobs.cancel(LANE, RUN_B)
        self.views.play.setChecked(False)  # the new run's steps are followed as they come
        if self.run_b is not None and self.run_b.parent is not None:
            self.run_b = None
            self.views.set_branch_visible(False)
        self.views.noised_pane.set_image(None)
        self.run_a = PipelineRun(fields, mode)
        self.follow_live = True
        return self._submit(self.run_a, RUN_A, mode, fields)

    @Slot()
    def branch_from_current(self) -> Job | None:
        """Branch run A at the Branch box's step with the form's prompt, negative prompt,
        seed and guidance; the rest (mode, inputs, steps, scheduler) as run A had them."""
        return self.branch(self.form.branch_step.value() - 1)

    def branch(self, index: int, **changes: Any) -> Job | None:
        """Start a branch of run A at schedule index `index` (form's prompt, seed and
        guidance unless `changes` says otherwise). Return the job, None when refused."""
        a = self.run_a
        step = a.step(index) if a is not None else None
        if a is None or step is None:
            self.session.report_error("Run first: a branch continues a recorded step of run A")
            return None
        f = self.form
        fields = {**a.request, "prompt": f.prompt.text(), "negative_prompt": f.negative.text(),
                  "seed": f.seed.value(), "guidance": float(f.guidance.value()), **changes,
                  "branch_from": np.array(step.step.x_t, copy=True), "branch_index": index}
        self.run_b = PipelineRun(fields, a.mode, parent=a, branch_index=index)
        self.views.set_branch_visible(True)
        return self._submit(self.run_b, RUN_B, a.mode, fields)

    def _submit(self, record: PipelineRun, channel: str, mode: str,
                fields: dict[str, Any]) -> Job:
        opened, tiny, cache, preview = self.info.opened, self.tiny, self.linear_cache, \
            self._preview()
        job = self.session.jobs.submit(
            LANE, lambda job: run_events(job, opened, mode, fields, preview, tiny, cache),
            channel=channel, on_event=lambda ev: self._on_event(record, ev),
            on_error=lambda msg, _tb="": self._on_run_failed(record, msg),
            on_done=lambda status: self._on_run_done(record, channel, status))
        self.run_jobs[channel] = job
        self.views.status.set_full_text("Running: each step appears as it completes…")
        self._update_controls()
        return job

    @Slot()
    def cancel(self) -> None:
        """Cancel the runs in progress (what they recorded stays)."""
        self.session.jobs.cancel(LANE, RUN_A)
        self.session.jobs.cancel(LANE, RUN_B)

    # --- events -------------------------------------------------------------------------
    def _on_event(self, record: PipelineRun, event: Any) -> None:
        if record is not self.run_a and record is not self.run_b:
            return  # a run replaced since
        if isinstance(event, NoisedInput):
            self.views.noised_pane.set_title(f"Noised input (step {event.index + 1})")
            self.views.noised_pane.set_image(event.image)
            return
        record.add(event)
        if isinstance(event, PipelineStarted):
            for notice in event.notices:
                self.session.message.emit("info", notice)
            if record is self.run_a:
                self.views.set_tokens(record.tokens())
                self._say_start(event)
        elif isinstance(event, PipelineStep):
            self._grow_slider(event.step.index)
        elif isinstance(event, DenoiseFinished):
            self.refresh()

    def _grow_slider(self, index: int) -> None:
        a = self.run_a
        if a is None:
            return
        b = self.run_b
        last = a.last_index() or 0
        if b is not None and b.parent is a:  # a kept run B follows A's slider by fraction
            last = max(last, b.last_index() or 0)
        slider = self.views.slider
        slider.blockSignals(True)
        slider.setRange(a.first_index, last)
        if self.follow_live:
            slider.setValue(index)
        slider.blockSignals(False)
        self.form.branch_step.setRange(a.first_index + 1, (a.last_index() or 0) + 1)
        self.form.branch_step.setValue(slider.value() + 1)
        self.refresh()

    def _on_run_failed(self, record: PipelineRun, message: str) -> None:
        record.status = "failed"
        self.session.report_error(message)

    def _on_run_done(self, record: PipelineRun, channel: str, status: str) -> None:
        if record.status != "failed":
            record.status = status
        self.run_jobs.pop(channel, None)
        if record is self.run_a or record is self.run_b:
            what = "Run A" if record is self.run_a else "The branch"
            text = {"done": f"{what} finished: {len(record.steps)} steps recorded; drag the "
                            "slider to scrub them, or branch from one.",
                    "cancelled": f"{what} was cancelled; its recorded steps stay.",
                    "failed": f"{what} failed (see the message above)."}
            self.views.status.set_full_text(text.get(record.status, ""))
        self._update_controls()

    # --- scrubbing ------------------------------------------------------------------------
    def show_step(self, index: int) -> None:
        """Show schedule step `index` of run A and the branch (the slider follows)."""
        self.follow_live = False
        self.views.slider.setValue(index)
        self.refresh()

    @Slot(int)
    def _on_slider(self, value: int) -> None:
        last = self.run_a.last_index() if self.run_a is not None else None
        self.follow_live = last is not None and value >= last
        self.form.branch_step.setValue(value + 1)  # branch from the step shown
        self.refresh()

    @Slot()
    def refresh(self, *_: object) -> None:
        """Show the slider's step through the decoder chosen."""
        index, decoder = self.views.slider.value(), self.form.current_decoder()
        self.views.show_step(self.run_a, self.run_b, index, decoder)
        self.views.strip.set_run(self.run_a, decoder, index)

    def _update_controls(self) -> None:
        opened = self.info is not None
        running = bool(self.run_jobs)
        self.form.run_button.setEnabled(opened and self.opening is None)
        self.form.cancel_button.setEnabled(running)
        self.form.branch_button.setEnabled(opened and self.run_a is not None
                                           and bool(self.run_a.steps))
        self.form.keep_button.setEnabled(self.run_a is not None and self.run_a.status != "running"
                                         and bool(self.run_a.steps)
                                         and self.run_b is not self.run_a)
        self.form.save_button.setEnabled(self.run_a is not None
                                         and self.run_a.finished is not None)
        self.form.load_button.setEnabled(opened and self.opening is None)
