"""How the run shown advances: its history, counters and ETA, from a training job's events
or a followed run folder's new lines (GUI thread)."""

from __future__ import annotations

import time
from typing import Any

from app.history import EpochRecord
from app.log import log
from app.session.progress import JobState, Progress
from app.session.training_job import JobInfo
from models.training.run_record import RunUpdate

PROGRESS_EMIT_S = 0.25


class RunProgress:
    """Mixin of Session: updates `history` and `progress` and emits stepsAdded, epochAdded,
    progressChanged and message as a run advances."""

    def _on_train_started(self, info: JobInfo) -> None:
        ev = info.started
        shape = self.history.shape
        shape.device, shape.dataset = ev.device, info.dataset
        shape.total_epochs, shape.steps_per_epoch = ev.total_epochs, ev.steps_per_epoch
        # The phases name each step's metrics and place the boundary on the curves.
        shape.phases = tuple(ev.phases) if len(ev.phases) > 1 else ()
        shape.batch_size = info.batch_size
        self.dataset = info.dataset
        self.progress = Progress(ev.epoch, ev.total_epochs, ev.step, ev.total_steps)
        self._rate.add(time.monotonic(), ev.step)
        if self.state is JobState.PREPARING:
            self._set_state(JobState.TRAINING)
        self.progressChanged.emit(self.progress)
        if info.notes:  # files the loader skipped: said once, training goes on
            self.message.emit("info", "; ".join(info.notes))

    def _on_past_run(self, update: RunUpdate) -> None:
        """A continued run's record up to its checkpoint: shown before its new steps."""
        if update.shape is not None:
            self.history.shape = update.shape
        for step, metrics, ips, _t in update.steps:
            self.history.add_step(step, metrics, ips)
        for rec in update.epochs:
            self.history.add_epoch(rec)
        if update.steps:
            self.stepsAdded.emit()
        if update.epochs:
            self.epochAdded.emit(update.epochs[-1].epoch)

    def _on_steps(self, steps: list[Any]) -> None:
        for s in steps:
            self.history.add_step(s.step, s.metrics, s.images_per_s)
        last = steps[-1]
        self._rate.add(time.monotonic(), last.step)
        self._update_progress(last.step, last.epoch, last.images_per_s)
        self.stepsAdded.emit()

    def _on_epoch_end(self, ev: Any) -> None:
        self.history.add_epoch(EpochRecord(ev.epoch, ev.step, dict(ev.val_metrics), ev.preview,
                                           ev.reconstructions, dict(ev.arrays),
                                           ev.preview_path))
        self.checkpoint = ev.checkpoint
        self._update_progress(ev.step, ev.epoch, self.progress.images_per_s, force=True)
        self.epochAdded.emit(ev.epoch)

    def _on_train_ended(self, ev: Any) -> None:
        name = type(ev).__name__
        if name == "TrainFailed":
            self.last_error = ev.reason
            self.checkpoint = ev.last_good_checkpoint or self.checkpoint
            log.error("training failed: %s", ev.reason)
            self.message.emit("error", f"Training stopped: {ev.reason}")
        else:
            self.checkpoint = ev.checkpoint
            verb = "finished" if name == "TrainFinished" else "stopped"
            log.info("training %s at step %d; saved %s", verb, ev.step, ev.checkpoint)
            self.message.emit("info", f"Training {verb} at step {ev.step}. "
                                      f"Checkpoint saved to {ev.checkpoint}")
        self._update_progress(ev.step, ev.epoch, self.progress.images_per_s, force=True)

    def _on_follow_update(self, update: RunUpdate) -> None:
        if self.state is not JobState.FOLLOWING:
            return  # a late update from a folder no longer followed
        self._apply_run_update(update)

    def _apply_run_update(self, update: RunUpdate) -> None:
        """Add what a run folder's poll read to the history (followed, or read once)."""
        if update.shape is not None:
            shape = update.shape
            self.history.shape = shape
            self.family, self.dataset = shape.family, shape.dataset
            self.progress = Progress(total_epochs=shape.total_epochs,
                                     total_steps=shape.total_steps)
            self.progressChanged.emit(self.progress)
        last_t = None
        for step, metrics, ips, t in update.steps:
            self.history.add_step(step, metrics, ips)
            last_t = t if t is not None else last_t
        if update.steps:
            last = update.steps[-1]
            self._rate.add(last_t if last_t is not None else time.monotonic(), last[0])
            spe = self.history.shape.steps_per_epoch
            self._update_progress(last[0], last[0] // spe if spe else self.progress.epoch,
                                  last[2] or 0.0)
            self.stepsAdded.emit()
        for rec in update.epochs:
            self.history.add_epoch(rec)
            self._update_progress(rec.step, rec.epoch, self.progress.images_per_s, force=True)
            self.epochAdded.emit(rec.epoch)
        total = self.history.shape.total_epochs
        if update.epochs and total and self.history.epochs[-1].epoch >= total \
                and not self.followed_run_complete:
            # Still followed (the run may be resumed), but say that it has finished.
            self.followed_run_complete = True
            self.stateChanged.emit(self.state)
        if update.ended and self.state is JobState.FOLLOWING:
            self.message.emit("info", f"The followed run has {update.ended}")

    def _update_progress(self, step: int, epoch: int, images_per_s: float,
                         force: bool = False) -> None:
        shape = self.history.shape
        total = shape.total_steps
        rate = self._rate.steps_per_s()
        eta = (total - step) / rate if total and rate > 0 else None
        self.progress = Progress(epoch, shape.total_epochs, step, total, images_per_s,
                                 max(0.0, eta) if eta is not None else None)
        # Counters are text: 4 updates a second read fine and spare the GUI thread.
        now = time.monotonic()
        if force or now - self._last_progress_emit >= PROGRESS_EMIT_S:
            self._last_progress_emit = now
            self.progressChanged.emit(self.progress)
