"""Immutable events the trainer yields: numbers and CPU numpy arrays only (safe across threads)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class TrainStarted:
    """Training (or a resumed run) is about to take its first step."""

    run_dir: Path
    family: str
    device: str
    epoch: int  # epochs already done
    step: int  # steps already done
    total_epochs: int
    steps_per_epoch: int
    n_train: int
    n_val: int
    threads: int = 0  # torch CPU threads training uses (--threads, else default_threads())
    # Training's phases as (name, epochs), in order; one ("train", epochs) for most families.
    phases: tuple[tuple[str, int], ...] = ()
    phase: str = "train"  # the phase the first step belongs to

    @property
    def total_steps(self) -> int:
        """Return the number of steps the whole run takes."""
        return self.total_epochs * self.steps_per_epoch


@dataclass(frozen=True)
class TrainStep:
    """One optimisation step finished; metrics are batch means (loss is the one optimised).

    Every weight was checked finite after the update. `images_per_s` is wall-clock: images
    over the time between consecutive steps' ends, so it includes the batch's preparation,
    the checks, logging and the consumer's time between events (a slow progress display
    shows up in it); epoch ends are left out (EpochEnd.seconds). It is smoothed by
    exponentially decaying sums of images and seconds (decay 0.9 per step). metrics.jsonl's
    "images_per_s" is the same number.
    """

    step: int  # steps done so far, from 1
    epoch: int  # 0-based epoch this step belongs to
    step_in_epoch: int  # from 1
    steps_per_epoch: int
    metrics: dict[str, float]
    images_per_s: float
    phase: str = "train"  # the training phase (see TrainStarted.phases)

    @property
    def epoch_progress(self) -> float:
        """Return the fractional epoch count (e.g. 2.5 = half-way through the third)."""
        return self.epoch + self.step_in_epoch / self.steps_per_epoch


@dataclass(frozen=True)
class EpochEnd:
    """An epoch finished: validation metrics, preview images and the checkpoint saved.

    `checkpoint` is the run's `last/`. Its flush to disk may finish a few milliseconds
    after this event (on the trainer's writer thread); until then `last/` still holds
    the previous epoch's complete checkpoint. `preview_path` may likewise appear shortly
    after; `preview` holds the same image now.
    """

    epoch: int  # epochs done, from 1
    step: int
    val_metrics: dict[str, float]
    preview: np.ndarray  # uint8 H×W×C grid from a fixed latent batch
    reconstructions: np.ndarray | None  # uint8 grid: inputs row over reconstructions row
    arrays: dict[str, np.ndarray] = field(default_factory=dict)  # e.g. kl_per_dim
    checkpoint: Path | None = None
    preview_path: Path | None = None
    seconds: float = 0.0
    phase: str = "train"  # the phase this epoch trained (the next may be another)


@dataclass(frozen=True)
class TrainFinished:
    """Every epoch ran; `checkpoint` is the final one."""

    step: int
    epoch: int
    val_metrics: dict[str, float]
    checkpoint: Path


@dataclass(frozen=True)
class TrainStopped:
    """Stopped on request, at a step boundary; the state was saved to `checkpoint` (on a
    training rank other than 0, the last checkpoint rank 0 is known to have written, or
    None: rank 0 saves)."""

    step: int
    epoch: int
    checkpoint: Path | None


@dataclass(frozen=True)
class TrainFailed:
    """Training stopped because a metric or, after its update, a weight became NaN or
    infinite at `step` (the step being taken; `reason` names the quantity).

    That step was neither counted nor saved: `last_good_checkpoint` (None before the first)
    holds the last checkpoint written, every weight in it finite.
    """

    step: int
    epoch: int
    reason: str
    last_good_checkpoint: Path | None


TrainEvent = TrainStarted | TrainStep | EpochEnd | TrainFinished | TrainStopped | TrainFailed
