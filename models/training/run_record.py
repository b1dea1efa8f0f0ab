"""What a run folder holds, as plain records: its layout, shape, epochs and whole history.

The writer (run_dir.py) and the reader (run_reader.py) both take the layout from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

RUN_JSON = "run.json"
METRICS = "metrics.jsonl"
SAMPLES = "samples"
TENSORBOARD = "tensorboard"  # --tensorboard: event files mirroring the run
CHECKPOINTS = "checkpoints"


def preview_relpath(epoch: int) -> str:
    """Return samples/epoch-NNNN.png, relative to the run folder."""
    return f"{SAMPLES}/epoch-{epoch:04d}.png"


def recon_relpath(epoch: int) -> str:
    """Return samples/recon-epoch-NNNN.png, relative to the run folder."""
    return f"{SAMPLES}/recon-epoch-{epoch:04d}.png"


def phase_index(epochs: list[int], epoch: int) -> int:
    """Return the index of the phase that trains 0-based epoch `epoch`, given each phase's
    epochs in order: phases of no epochs are skipped, past the end it is the last (0 when
    there are none). The trainer and the run's readers count phases with this one rule."""
    end = 0
    for i, n in enumerate(epochs):
        end += n
        if epoch < end:
            return i
    return max(0, len(epochs) - 1)


@dataclass
class EpochRecord:
    """One finished epoch: where it ended, its validation metrics, pictures and arrays."""

    epoch: int
    step: int
    val_metrics: dict[str, float] = field(default_factory=dict)
    preview: np.ndarray | None = None  # uint8 H×W×C
    reconstructions: np.ndarray | None = None
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    preview_path: Path | None = None


@dataclass
class RunShape:
    """How long the run is, known from TrainStarted or run.json."""

    run_dir: Path | None = None
    family: str = ""
    dataset: str = ""
    device: str = ""
    total_epochs: int = 0
    steps_per_epoch: int = 0
    batch_size: int = 0
    # Training's phases as (name, epochs), in order (run.json's "phases", TrainStarted's);
    # empty for a run of one phase.
    phases: tuple[tuple[str, int], ...] = ()

    @property
    def total_steps(self) -> int:
        """Return the number of steps the whole run takes (0 when unknown)."""
        return self.total_epochs * self.steps_per_epoch

    @property
    def multi_phase(self) -> bool:
        """Return True when the run trains in more than one phase."""
        return len(self.phases) > 1

    def phase_index(self, epoch: int) -> int:
        """Return the index in `phases` of the phase that trains 0-based epoch `epoch`
        (the last phase past the end; 0 without phases)."""
        return phase_index([epochs for _, epochs in self.phases], epoch)

    def phase_of_step(self, step: int) -> int:
        """Return the index of the phase that took step `step` (counted from 1)."""
        spe = self.steps_per_epoch
        return self.phase_index((step - 1) // spe) if spe and step > 0 else 0

    def boundaries(self) -> list[tuple[int, int]]:
        """Return (step, phase index) where each phase after the first begins: the steps
        before it belong to the earlier phases (phases without epochs are left out)."""
        out: list[tuple[int, int]] = []
        epochs = 0
        for i, (_, n) in enumerate(self.phases):
            if i and n > 0 and epochs > 0:
                out.append((epochs * self.steps_per_epoch, i))
            epochs += n
        return out

    def metric_key(self, phase: int, key: str) -> str:
        """Return the name metric `key` of phase `phase` is shown under: an earlier phase's
        metrics are prefixed with its name (latent diffusion's "loss" is the autoencoder's
        in phase 1 and the UNet's in phase 2: two curves, not one), the last phase's keep
        theirs."""
        if not self.multi_phase or phase >= len(self.phases) - 1:
            return key
        return f"{self.phases[phase][0]}_{key}"


# One logged step: (step, metrics, images/s, wall-clock time), None where not logged.
StepLine = tuple[int, dict[str, float], float | None, float | None]


@dataclass
class RunUpdate:
    """What is new in a followed run since the last poll."""

    steps: list[StepLine] = field(default_factory=list)
    epochs: list[EpochRecord] = field(default_factory=list)
    ended: str | None = None  # "stopped" / "failed: reason" when the run says so
    shape: RunShape | None = None  # set once, on the poll that first reads run.json

    @property
    def is_empty(self) -> bool:
        """Return True when the poll found nothing new."""
        return not (self.steps or self.epochs or self.ended or self.shape)


@dataclass
class RunRecord:
    """A whole run folder read back (see `read_run`).

    Step columns are aligned: `metrics[name][i]` belongs to `steps[i]` (NaN where that
    step did not log the metric), as do `images_per_s[i]` and `times[i]`.
    """

    path: Path
    shape: RunShape
    info: dict[str, Any]  # run.json as written ({} when missing or unreadable)
    steps: np.ndarray  # int64
    metrics: dict[str, np.ndarray]  # float64
    images_per_s: np.ndarray  # float64
    times: np.ndarray  # float64, seconds since the epoch
    epochs: list[EpochRecord]  # by epoch number, one per epoch
    ended: str | None  # "stopped" / "failed: reason" when that is the last word

    @property
    def finished(self) -> bool:
        """Return True when every planned epoch is logged and the run did not end early."""
        total = self.shape.total_epochs
        return (self.ended is None and total > 0 and bool(self.epochs)
                and self.epochs[-1].epoch >= total)
