"""TensorBoard event files beside metrics.jsonl (`--tensorboard`): the same run opens in
TensorBoard (`tensorboard --logdir RUN`). Written from the trainer's events on the
training thread, by rank 0 only: each logged step's metrics, each epoch's validation
metrics, preview grid and reconstructions, and the histogram of the latent codes of a
fixed batch of held-out images (models that encode).

The event files are a mirror, not a record Latent Lab reads: metrics.jsonl stays the
run's history, and a run without them is complete.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

from models.training.events import EpochEnd, TrainEvent, TrainStarted, TrainStep
from models.training.run_record import TENSORBOARD

CODE_IMAGES = 256  # held-out images whose latent codes each epoch's histogram shows


def missing_tensorboard() -> str | None:
    """Return why event files cannot be written (one line), or None when they can."""
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        return ("--tensorboard needs the tensorboard package: pip install tensorboard "
                "(or pip install 'latentlab[tensorboard]')")
    return None


class TensorBoardLog:
    """Writes one run's TensorBoard events (the training thread calls it)."""

    def __init__(self, run_dir: Path, model: Any, held_out: torch.Tensor,
                 log_every: int = 1, start_step: int = 0) -> None:
        problem = missing_tensorboard()
        if problem is not None:
            raise RuntimeError(problem)
        from torch.utils.tensorboard import SummaryWriter

        self.model = model
        self.codes_of = held_out[:CODE_IMAGES]
        self.log_every = log_every
        # A run resumed at step k purges what an interrupted one logged past k (those
        # steps are trained again), as metrics.jsonl's reader drops them.
        self.writer = SummaryWriter(log_dir=str(Path(run_dir) / TENSORBOARD),
                                    purge_step=start_step + 1 if start_step else None)

    def on_event(self, event: TrainEvent) -> None:
        """Write what `event` adds to the run's TensorBoard view."""
        if isinstance(event, TrainStep):
            if event.step % self.log_every == 0:
                for key, value in event.metrics.items():
                    self.writer.add_scalar(f"train/{key}", float(value), event.step)
                self.writer.add_scalar("train/images_per_s", event.images_per_s, event.step)
        elif isinstance(event, EpochEnd):
            self._epoch(event)

    def _epoch(self, event: EpochEnd) -> None:
        step = event.step
        for key, value in event.val_metrics.items():
            self.writer.add_scalar(f"val/{key}", float(value), step)
        self.writer.add_scalar("epoch/seconds", event.seconds, step)
        self.writer.add_image("samples", _chw(event.preview), step)
        if event.reconstructions is not None:
            self.writer.add_image("reconstructions", _chw(event.reconstructions), step)
        for key, values in event.arrays.items():
            values = np.asarray(values, dtype=np.float64)
            if values.ndim == 1 and values.size:
                self.writer.add_histogram(f"val/{key}", values, step)
        codes = self._codes()
        if codes is not None:
            self.writer.add_histogram("latent/codes", codes, step)
        self.writer.flush()

    @torch.no_grad()
    def _codes(self) -> np.ndarray | None:
        """Return the posterior means of the held-out batch (None: the model has no
        encoder, or no held-out images)."""
        if not self.model.capabilities.can_encode or len(self.codes_of) == 0:
            return None
        was_training = self.model.training
        self.model.eval()
        try:
            mean, _logvar = self.model.encode(self.codes_of)
        finally:
            self.model.train(was_training)
        return mean.reshape(len(mean), -1).float().cpu().numpy()

    def close(self) -> None:
        """Flush and close the event file."""
        self.writer.close()


def tensorboard_opener(trainer: Any) -> Callable[[], TensorBoardLog] | None:
    """Return what opens the trainer's TensorBoard log once its run folder is taken (None
    without `--tensorboard`, and on ranks other than 0). RuntimeError (one line) at once
    when the tensorboard package is missing, before the run starts."""
    if not (trainer.train.tensorboard and trainer.ranks.is_main):
        return None
    problem = missing_tensorboard()
    if problem is not None:
        raise RuntimeError(problem)
    from models.training.batches import to_float

    held_out = to_float(trainer.split.val_x[:CODE_IMAGES])
    return lambda: TensorBoardLog(trainer.run_dir.root, trainer.model, held_out,
                                  trainer.train.log_every, trainer.step)


def mirrored(events: Iterator[TrainEvent], open_log: Callable[[], TensorBoardLog] | None
             ) -> Iterator[TrainEvent]:
    """Yield `events`, each also written to the log `open_log()` returns once the run
    folder is taken (at TrainStarted; None: just yield them). Closing this generator
    closes `events` (the trainer then saves) and the event file."""
    if open_log is None:
        yield from events
        return
    log: TensorBoardLog | None = None
    try:
        for event in events:
            if isinstance(event, TrainStarted):
                log = open_log()
            if log is not None:
                log.on_event(event)
            yield event
    finally:
        events.close()
        if log is not None:
            log.close()


def _chw(grid: np.ndarray) -> np.ndarray:
    """Return a uint8 H×W×C grid as C×H×W, TensorBoard's default layout."""
    image = np.asarray(grid)
    if image.ndim == 2:
        image = image[:, :, None]
    return np.ascontiguousarray(image.transpose(2, 0, 1))
