"""The trainer: every model family trains through `Trainer.run()`, a generator of events."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch

from models.base import GenerativeModel
from models.checkpoint.train_state import restore_optimizers, restore_rng
from models.config import DataConfig, ModelConfig, TrainConfig
from models.data import ImageDataset, load_dataset
from models.device import has_spare_core, resolve_device, set_threads
from models.registry import build_model
from models.training import distributed
from models.training.batches import DeviceSplit, epoch_order, fit_model_config
from models.training.epoch_measures import EpochMeasures
from models.training.events import (
    EpochEnd,
    TrainEvent,
    TrainFailed,
    TrainFinished,
    TrainStarted,
    TrainStep,
    TrainStopped,
)
from models.training.pictures import EpochEndInterrupted
from models.training.precision import batch_layout, prepare_model, without_overflowed_norms
from models.training.resume import resume_arguments
from models.training.run_dir import RunDir
from models.training.run_info import epoch_record, run_info
from models.training.run_record import phase_index
from models.training.saving import RunSaver, newest_saved_step
from models.training.step_guard import RateMeter, StepGuard, learning_rates
from models.training.tensorboard_log import mirrored, tensorboard_opener

_log = logging.getLogger(__name__)


class Trainer:
    """Trains one model on one dataset into a run folder.

    Construction does the heavy work (data to the device, model and optimisers built) so
    that a GUI worker's first step does not stall; `run()` then yields events. Stop with
    `request_stop()` (saves, yields TrainStopped) or by closing the generator (saves).
    """

    def __init__(self, family: str, model_config: ModelConfig, train: TrainConfig,
                 data: DataConfig, run_dir: Path | str, *,
                 dataset: ImageDataset | None = None, overwrite: bool = False,
                 _resume: dict[str, Any] | None = None) -> None:
        train.validate()
        self._overwrite = overwrite  # a fresh run may replace a run already in run_dir
        self.threads = set_threads(train.threads)  # None: models/cores.py default_threads
        self.family = family
        self.train = train
        self.data = data
        self.run_dir = RunDir(run_dir)
        # Under torchrun each rank trains its share of every batch; rank 0 alone writes
        # the run folder (distributed.py). On one process this is Ranks(): nothing changes.
        self.ranks = distributed.current_ranks()
        self.device = distributed.rank_device(resolve_device(train.device), self.ranks)
        self.dataset = dataset if dataset is not None else load_dataset(data)
        if len(self.dataset) < 2:
            raise ValueError("the dataset needs at least 2 images")
        self.model_config = fit_model_config(model_config, self.dataset)
        self.split = DeviceSplit(self.dataset, train.val_fraction, train.seed,
                                 train.batch_size, self.device)
        self.steps_per_epoch = math.ceil(self.split.n_train / train.batch_size)

        torch.manual_seed(train.seed)
        if _resume is None:
            self.model: GenerativeModel = build_model(family, self.model_config).to(self.device)
        else:
            self.model = _resume["model"].to(self.device)
        self._averager = distributed.join_model(self.model, self.ranks)
        self._precision = prepare_model(self.model, train.precision, train.channels_last,
                                        train.compile, self.device)
        self.optimizers = self.model.configure_optimizers(train)
        self.phases = tuple(p for p in self.model.training_phases(train))
        self.total_epochs = sum(p.epochs for p in self.phases)
        self._phase = self.phases[0].name
        self.epoch = 0  # epochs completed
        self.step = 0  # steps completed
        self.step_in_epoch = 0  # steps completed in the current epoch
        self.val_metrics: dict[str, float] = {}
        self._last_good: Path | None = None
        self._stop = False
        self._stop_asked = False  # several processes: _stop follows what all ranks agree
        self._offload = has_spare_core(self.device)  # see RunSaver.save_epoch
        self._unsaved = False  # steps done since the last checkpoint
        self._in_step = False  # between an update and its step count (see _take_step)
        self._poisoned = False  # a step made a weight non-finite: never save again
        self._saved_step: int | None = None  # the step of the newest checkpoint
        self._meter = RateMeter()
        self._measures = EpochMeasures(self.model, self.split, self.dataset.name, train)
        if _resume is not None:
            self._restore(_resume)
        distributed.seed_rank_stream(self.ranks)

    # --- resume ------------------------------------------------------------------------
    @classmethod
    def resume(cls, checkpoint: Path | str, *, run_dir: Path | str | None = None,
               dataset: ImageDataset | None = None, **changes: Any) -> Trainer:
        """Return a trainer continuing from a checkpoint (or a run folder's last one).

        It matches an uninterrupted run step for step on the CPU, on any number of
        processes. `changes`: the settings RESUME_MAY_CHANGE names (models/config.py).
        Raises CheckpointError when the checkpoint has no training state.
        """
        family, train, data, run_dir, state = resume_arguments(checkpoint, run_dir=run_dir,
                                                               **changes)
        return cls(family, state["model"].config, train, data, run_dir, dataset=dataset,
                   _resume=state)

    def _restore(self, state: dict[str, Any]) -> None:
        progress = state["progress"]
        self.epoch = int(progress.get("epoch", 0))
        self.step = int(progress.get("step", 0))
        self.step_in_epoch = int(progress.get("step_in_epoch", 0))
        self.val_metrics = dict(progress.get("val_metrics", {}))
        self._precision.restore(progress)
        # Optimizer.load_state_dict moves each state tensor to its parameter's device.
        restore_optimizers(self.optimizers, state["tensors"], state["json"].get("optimizers", {}))
        restore_rng(state["tensors"])
        self._last_good = state["checkpoint"]
        self._saved_step = self.step
        self._resumed = True

    # --- control -----------------------------------------------------------------------
    def request_stop(self) -> None:
        """Ask the loop to save and stop after the current step (any thread may call this).
        With several processes every rank stops after the first step one of them asked in."""
        self._stop_asked = True
        if not self.ranks.distributed:
            self._stop = True

    def save(self) -> Path:
        """Write the full training state to the run's last checkpoint now; return its path.

        Call it between the events of `run()`, on the thread iterating it.
        """
        return self._save()

    # --- the loop ----------------------------------------------------------------------
    def run(self) -> Iterator[TrainEvent]:
        """Yield TrainStarted, a TrainStep per step, an EpochEnd per epoch, then one of
        TrainFinished / TrainStopped / TrainFailed; with `tensorboard` set, rank 0 also
        writes them as TensorBoard events (tensorboard_log.py).

        A step whose update makes a weight (or whose loss is) NaN or infinite ends the run
        with TrainFailed and is never validated or saved. Stopping, closing the generator or
        an exception between steps saves the steps done; one raised inside a step (a second
        Ctrl-C, an error in the model) leaves `last/` at its last checkpoint, since the
        state is then half-updated (see `_keep_work`).
        """
        return mirrored(self._run(), tensorboard_opener(self))

    def _run(self) -> Iterator[TrainEvent]:
        resumed = getattr(self, "_resumed", False)
        main = self.ranks.is_main
        if main:
            # Locks the folder until run_dir.close() below; refuses a folder holding a run.
            info = run_info(self.family, self.model_config, self.train, self.data,
                            self.dataset, self.split, self.device, self.threads, self.phases,
                            self.step if resumed else None, self.ranks.world)
            self.run_dir.begin(info, resume_step=self.step if resumed else None,
                               overwrite=self._overwrite)
            if self._last_good == self.run_dir.checkpoints / "last.old":
                self._last_good = self.run_dir.last_checkpoint  # begin() put it back
        distributed.barrier(self.ranks)  # no rank trains into a folder rank 0 refused
        finished = False
        self._saver = RunSaver(self.run_dir, self.data, self.train, self.dataset.class_names,
                               self._offload, self.last_good) if main else None
        self._guard = StepGuard(self.model)
        try:
            if self.epoch < self.total_epochs:
                # A fresh run begins its first phase; a resumed one finds the phase's state
                # (e.g. latent diffusion's scale factor) in its checkpoint.
                self._enter_phase(self._phase_at(self.epoch), crossing=not resumed)
            self._meter.restart()
            yield TrainStarted(self.run_dir.root, self.family, str(self.device), self.epoch,
                               self.step, self.total_epochs, self.steps_per_epoch,
                               self.split.n_train, self.split.n_val, self.threads,
                               tuple((p.name, p.epochs) for p in self.phases), self._phase)
            self._meter.event_sent()
            while self.epoch < self.total_epochs:
                order = epoch_order(self.split.n_train, self.train.seed, self.epoch)
                order = torch.from_numpy(order).to(self.device)
                t_epoch, cpu_epoch = time.perf_counter(), time.process_time()
                self.model.train()
                self._meter.restart()
                while self.step_in_epoch < self.steps_per_epoch:
                    metrics, problem = self._take_step(order)
                    if problem is not None:
                        finished = True  # the weights are poisoned: do not save them
                        yield self._failed(problem)
                        return
                    yield TrainStep(self.step, self.epoch, self.step_in_epoch,
                                    self.steps_per_epoch, metrics, self._meter.rate,
                                    self._phase)
                    self._meter.event_sent()
                    if self._stop:
                        stopped, finished = self._stopped(), True
                        yield stopped
                        return
                if not main:
                    self._follow_epoch_end()
                    continue
                try:
                    end = self._end_epoch(time.perf_counter() - t_epoch, cpu_epoch)
                    distributed.barrier(self.ranks)
                except EpochEndInterrupted:
                    # Stopped during the epoch's preview (seconds for diffusion): save the
                    # state after its last step; a resumed run redoes the epoch end.
                    stopped, finished = self._stopped(), True
                    yield stopped
                    return
                yield end
            if self._saver is not None:
                self._saver.wait()  # the last epoch's checkpoint is on disk before we say so
            finished = True
            yield TrainFinished(self.step, self.epoch, self.val_metrics,
                                self.run_dir.last_checkpoint)
        finally:
            # Closing the generator (window closed, worker cancelled) still keeps the work.
            if self._saver is not None:
                try:
                    self._keep_work(finished)
                    self._saver.wait()
                finally:
                    self._saver.close()
                    self.run_dir.close()

    @property
    def multi_phase(self) -> bool:
        """Return True when training goes through more than one phase (metrics.jsonl's
        lines then say which, under "phase")."""
        return len(self.phases) > 1

    def _phase_at(self, epoch: int) -> str:
        """Return the name of the phase that trains epoch `epoch` (0-based)."""
        return self.phases[phase_index([p.epochs for p in self.phases], epoch)].name

    def _enter_phase(self, name: str, crossing: bool) -> None:
        """Make `name` the phase trained, with the inputs the model says it takes."""
        self.split.use_inputs(*self.model.enter_phase(name, self.split.train_x,
                                                      self.split.val_x, crossing))
        self._phase = name

    def _take_step(self, order: torch.Tensor) -> tuple[dict[str, float], str | None]:
        """Train on the epoch's next batch and log it; return its metrics and, when it made
        something non-finite, what (the counters then stay before the step).

        From the update until the counters advance the state is half-applied (a GAN's D
        updated and not G; weights one update ahead of the count): `_in_step` says so.
        """
        bs = self.train.batch_size
        idx = order[self.step_in_epoch * bs:(self.step_in_epoch + 1) * bs]
        x, y = self.split.train_batch(distributed.share_of_batch(idx, self.ranks))
        x = batch_layout(x, self.train.channels_last)
        self._in_step = True
        with self._precision.autocast():
            out = self.model.training_step(x, y, self.optimizers)
        if self._precision.update():
            out = without_overflowed_norms(out)
        self.model.after_training_step()
        if self.ranks.distributed:
            distributed.average_buffers(self.model, self.ranks)
            out, self._stop = distributed.agree(out, self._stop_asked, self.ranks)
        metrics, problem = self._guard.check(out)
        if problem is not None:
            self._poisoned = True
            return metrics, problem
        rate = self._meter.step_done(len(idx))
        step = self.step + 1
        if step % self.train.log_every == 0 and self.ranks.is_main:
            self.run_dir.log({"kind": "step", "step": step,
                              "epoch": self.epoch + (self.step_in_epoch + 1)
                              / self.steps_per_epoch,
                              "time": time.time(), "images_per_s": rate, **metrics,
                              **({"phase": self._phase} if self.multi_phase else {})})
        self.step, self.step_in_epoch = step, self.step_in_epoch + 1
        self._unsaved = True
        self._in_step = False
        return metrics, None

    def _failed(self, problem: str) -> TrainFailed:
        """Log why the run failed at the step being taken; return the event saying so."""
        step = self.step + 1
        reason = (f"{problem} at step {step}; try a lower learning rate "
                  f"(now {learning_rates(self.optimizers)})")
        if self._saver is None:  # a rank other than 0: rank 0 logs the same failure
            return TrainFailed(step, self.epoch, reason, None)
        self._saver.wait()  # last_good on disk, the epoch's line logged
        self.run_dir.log({"kind": "failed", "step": step, "reason": reason}, force_flush=True)
        return TrainFailed(step, self.epoch, reason, self.last_good)

    def _keep_work(self, finished: bool) -> None:
        """On an early end (generator closed, exception, interrupt), save the steps done
        since the last checkpoint when the state is at a step boundary.

        Inside a step nothing is saved: restoring the state from before it would need a
        copy of every weight and optimiser moment per step (3–8 % of a small VAE's step),
        so `last/` keeps its checkpoint, and metrics.jsonl and the log say what was lost.
        """
        if finished or not self._unsaved:
            return
        if not self._in_step:
            self._save()
            return
        reason = (f"interrupted inside step {self.step + 1}: its half-applied update is not "
                  f"saved; last/ keeps step {self.saved_step}" if self.saved_step is not None
                  else f"interrupted inside step {self.step + 1}: nothing saved yet")
        _log.warning("%s (%s)", reason, self.run_dir.root)
        self.run_dir.log({"kind": "stopped", "step": self.step, "saved": False,
                          "reason": reason}, force_flush=True)

    def _stopped(self) -> TrainStopped:
        """Save the full state, log the stop and return the event that says so."""
        if self._saver is None:  # a rank other than 0: rank 0 saves the same state
            return TrainStopped(self.step, self.epoch, self.last_good)
        path = self._save()
        self.run_dir.log({"kind": "stopped", "step": self.step}, force_flush=True)
        return TrainStopped(self.step, self.epoch, path)

    def _end_epoch(self, seconds: float, cpu_start: float) -> EpochEnd:
        val_metrics, arrays, preview, recon = self._measures.measure(self.epoch,
                                                                     lambda: self._stop)
        # Until here an interrupt saves the state after the epoch's last step and a resumed
        # run redoes the epoch end. From here the epoch is committed (running statistics
        # reset, counters advanced, checkpoint written): an interrupt keeps last/ as it is.
        self._unsaved = False
        arrays.update(self.model.epoch_arrays())
        self.val_metrics = val_metrics
        self.epoch += 1
        self.step_in_epoch = 0
        preview_path = self.run_dir.preview_path(self.epoch)
        phase = self._phase
        record = epoch_record(self.step, self.epoch, seconds, cpu_start,
                              preview_path.relative_to(self.run_dir.root), self.val_metrics,
                              arrays, phase if self.multi_phase else None)
        if self.epoch < self.total_epochs and self._phase_at(self.epoch) != phase:
            # Before the checkpoint: it then holds what the next phase derived (a resumed
            # run starts there without computing it again).
            self._enter_phase(self._phase_at(self.epoch), crossing=True)
        checkpoint = self._saver.save_epoch(self.model, self.optimizers, self._progress(),
                                            self.epoch, preview, recon, record)
        self._saved_step = self.step  # submitted: the writer finishes it even if we stop
        return EpochEnd(self.epoch, self.step, dict(self.val_metrics), preview, recon, arrays,
                        checkpoint, preview_path, seconds, phase)

    def _follow_epoch_end(self) -> None:
        """End an epoch on a rank other than 0: the counters and the phase advance as on
        rank 0, which validates, draws and saves meanwhile; then wait for it."""
        self.model.epoch_arrays()  # the running statistics restart, as rank 0's do
        phase = self._phase
        self.epoch += 1
        self.step_in_epoch = 0
        self._unsaved = False
        if self.epoch < self.total_epochs and self._phase_at(self.epoch) != phase:
            self._enter_phase(self._phase_at(self.epoch), crossing=True)
        distributed.barrier(self.ranks)

    def _save(self) -> Path:
        """Write the full training state to `last/` and wait until it is on disk."""
        if self._poisoned:
            raise ValueError(f"not saved: the weights stopped being finite at step "
                             f"{self.step + 1}; {self.last_good or 'no checkpoint'} keeps "
                             f"step {self.saved_step}")
        path = self._saver.save_now(self.model, self.optimizers, self._progress())
        self._unsaved = False
        self._saved_step = self.step
        return path

    @property
    def last_good(self) -> Path | None:
        """Return the newest checkpoint known to be on disk."""
        saver = getattr(self, "_saver", None)
        return saver.last_good if saver is not None else self._last_good

    @property
    def saved_step(self) -> int | None:
        """Return the step count of the newest checkpoint written (or resumed from)."""
        return newest_saved_step(self._saved_step, getattr(self, "_saver", None))

    def _progress(self) -> dict[str, Any]:
        """Return how far training is, as checkpoints record it."""
        return {"epoch": self.epoch, "step": self.step, "step_in_epoch": self.step_in_epoch,
                "val_metrics": dict(self.val_metrics),
                "finished": self.epoch >= self.total_epochs, **self._precision.state()}
