"""Training as a job: the trainer's events, batched for the GUI, with the run's model.

`training_events` runs on the "training" lane. It adapts `Trainer.run()` (models/): steps
are sent in batches at most every STEP_BATCH_SECONDS, each epoch end is followed by a
`RunModel` (an opened copy of the weights for the explorer panels, thread rule 4), and
"save now" requests are served between steps. Stopping is graceful: the trainer finishes
its step, saves, and reports how it stopped.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.jobs import Job
from models.config import DataConfig, ModelConfig, TrainConfig
from models.opened import OpenedModel
from models.training.run_record import RunUpdate

# The plots redraw a few times a second anyway; one queued signal per 100 ms costs far less
# than one per step.
STEP_BATCH_SECONDS = 0.1
# The training state a checkpoint needs to be continued (models/checkpoint/store.py's
# TRAIN_JSON; named here because that module imports torch).
TRAINING_STATE = "training_state.json"
# A model copy for the panels costs ~6 ms of the training thread (vae; conv-vae ~12 ms): a
# model that ends an epoch every 0.5 s sends one at most this often (and always at the end).
SNAPSHOT_MIN_SECONDS = 2.0


@dataclass(frozen=True)
class TrainJob:
    """What to train and where; `resume_from` continues a checkpoint instead."""

    family: str
    model: ModelConfig
    train: TrainConfig
    data: DataConfig
    run_dir: Path
    resume_from: Path | None = None


@dataclass(frozen=True)
class JobInfo:
    """Facts about a job known once its trainer is built (sent with TrainStarted)."""

    started: Any  # TrainStarted
    dataset: str
    batch_size: int
    model_config: ModelConfig
    notes: tuple[str, ...] = ()  # the data loader's remarks (files skipped and why)


@dataclass(frozen=True)
class PastRun:
    """A continued run's history up to its checkpoint, read from its folder (sent before
    the trainer's first event, so the curves go on from where they stopped)."""

    update: RunUpdate


def resumable_run(checkpoint: Path | None) -> Path | None:
    """Return the run folder `checkpoint` can continue (a run's `checkpoints/<name>`
    holding its training state), or None: a demo or a bare copy has no run to go on."""
    if checkpoint is None:
        return None
    checkpoint = Path(checkpoint)
    if checkpoint.parent.name != "checkpoints" or not (checkpoint / TRAINING_STATE).is_file():
        return None
    return checkpoint.parent.parent


@dataclass(frozen=True)
class StepBatch:
    """TrainStep events since the last batch."""

    steps: list[Any]


@dataclass(frozen=True)
class RunModel:
    """The weights of the run at an epoch end or at its end, opened for the panels."""

    model: OpenedModel


@dataclass(frozen=True)
class SaveResult:
    """A "save checkpoint as" request served: the folder written, or why it failed."""

    dest: Path
    error: str | None = None


class TrainingControl:
    """Requests to a running training job from the GUI thread (thread-safe)."""

    def __init__(self) -> None:
        self.saves: queue.SimpleQueue[Path] = queue.SimpleQueue()
        self.stop_requested = False
        self.trainer: Any = None  # set on the lane once built

    def request_stop(self) -> None:
        """Ask the trainer to save and stop after its current step (any thread).

        The trainer hears it at once, not at its next event: an epoch end drawing a
        diffusion preview checks it between denoising steps.
        """
        self.stop_requested = True
        trainer = self.trainer
        if trainer is not None:
            trainer.request_stop()


class DatasetCache:
    """The last dataset loaded for training (lane thread): a rerun on it starts at once."""

    def __init__(self) -> None:
        self._key: DataConfig | None = None
        self._dataset: Any = None

    def get(self, data: DataConfig) -> Any:
        """Return the dataset of `data`, loading it unless it was the last one."""
        from models.data import load_dataset

        if self._key != data:
            self._dataset, self._key = None, None  # keep one: datasets can be large
            self._dataset, self._key = load_dataset(data), data
        return self._dataset


def training_events(job: Job, spec: TrainJob, control: TrainingControl,
                    datasets: DatasetCache) -> Iterator[Any]:
    """Yield JobInfo, StepBatch, EpochEnd, RunModel, SaveResult and the end event."""
    from models.training import EpochEnd, Trainer, TrainFailed, TrainStarted, TrainStep

    if spec.resume_from is not None:
        # The checkpoint's own data (the forms may name other data): loaded by the trainer.
        trainer = Trainer.resume(spec.resume_from, epochs=spec.train.epochs,
                                 device=spec.train.device, threads=spec.train.threads,
                                 run_dir=spec.run_dir)
        yield PastRun(_history_until(spec.run_dir, trainer.step))
    else:
        trainer = Trainer(spec.family, spec.model, spec.train, spec.data, spec.run_dir,
                          dataset=datasets.get(spec.data))
    control.trainer = trainer
    if control.stop_requested:  # stopped while the trainer was being built
        trainer.request_stop()
    pending: list[Any] = []
    last_flush, last_snapshot = time.perf_counter(), float("-inf")
    run = trainer.run()
    try:
        for event in run:
            if isinstance(event, TrainStep):
                pending.append(event)
                now = time.perf_counter()
                if now - last_flush >= STEP_BATCH_SECONDS or job.pause_requested \
                        or control.stop_requested:
                    yield StepBatch(pending)
                    pending, last_flush = [], now
                else:
                    yield None  # a chance to pause between steps
            else:
                if pending:
                    yield StepBatch(pending)
                    pending = []
                if isinstance(event, TrainStarted):
                    yield JobInfo(event, trainer.dataset.name, trainer.train.batch_size,
                                  trainer.model_config,
                                  tuple(getattr(trainer.dataset, "notes", ())))
                    continue
                if not isinstance(event, EpochEnd):  # finished, stopped or failed
                    if not isinstance(event, TrainFailed):  # its weights are not finite
                        yield RunModel(_opened(trainer))
                    yield event
                    return
                yield event
                if time.perf_counter() - last_snapshot >= SNAPSHOT_MIN_SECONDS:
                    last_snapshot = time.perf_counter()
                    yield RunModel(_opened(trainer))
            yield from _serve_saves(trainer, control)
    finally:
        run.close()  # the trainer's finally saves unsaved work


def _history_until(run_dir: Path, step: int) -> RunUpdate:
    """Return the run folder's record up to `step` (what lies past it, the trainer drops)."""
    from models.training.run_reader import RunTail

    update = RunTail(run_dir).poll()
    update.steps = [s for s in update.steps if s[0] <= step]
    update.epochs = [e for e in update.epochs if e.step <= step]
    update.ended = None
    return update


def _serve_saves(trainer: Any, control: TrainingControl) -> Iterator[SaveResult]:
    from app.jobs.errors import describe
    from models.checkpoint.copy import copy_checkpoint

    while not control.saves.empty():
        dest = control.saves.get()
        try:
            src = trainer.save()
            if Path(dest).resolve() != Path(src).resolve():
                copy_checkpoint(Path(src), Path(dest))
            yield SaveResult(Path(dest))
        except Exception as exc:
            yield SaveResult(Path(dest), describe(exc)[0])


def _opened(trainer: Any) -> OpenedModel:
    from models.base import detached_copy
    from models.opened import opened_from_training

    checkpoint = trainer.last_good
    return opened_from_training(
        detached_copy(trainer.model), epoch=trainer.epoch, data=trainer.data,
        train=trainer.train, class_names=tuple(getattr(trainer.dataset, "class_names", ())),
        checkpoint=Path(checkpoint) if checkpoint else None, run_dir=trainer.run_dir.root)


def warm_up_events(job: Job) -> Iterator[dict[str, Any]]:
    """Import torch and the training code, run one tiny step; yield the device facts.

    Runs on the training lane before any job: the lazy imports a first step triggers
    (torch._dynamo among them, ~1 s) would otherwise happen mid-training, holding the GIL
    and freezing the GUI for 100+ ms.
    """
    import importlib

    t0 = time.perf_counter()
    import torch
    import torch._dynamo  # loaded now for its side effect, not lazily mid-training

    from models.config import TrainConfig as TC
    from models.device import available_devices
    from models.images import make_grid, to_uint8_nhwc
    from models.registry import build_model, config_class
    from models.training import trainer as _trainer  # noqa: F401

    for family, tiny in (("vae", {"latent_dim": 2, "hidden_dims": (4,)}),
                         ("conv-vae", {"latent_dim": 2, "conv_channels": (2, 2), "fc_dim": 4})):
        cfg = config_class(family)()
        model = build_model(family, cfg.replace(**tiny))
        opts = model.configure_optimizers(TC())
        x = torch.rand(2, cfg.channels, cfg.image_size, cfg.image_size)
        model.training_step(x, torch.zeros(2, dtype=torch.long), opts)
        with torch.no_grad():
            make_grid(to_uint8_nhwc(model.sample(2, 0)))
    # The loss plots smooth with scipy.signal: ~1 s of imports that must not happen on the
    # GUI thread in the middle of a run.
    importlib.import_module("scipy.signal")
    yield {"devices": available_devices(), "torch": torch.__version__,
           "threads": torch.get_num_threads(), "seconds": time.perf_counter() - t0}
