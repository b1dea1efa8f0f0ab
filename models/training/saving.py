"""Checkpoints of a training run: saved now (stop, close) or at an epoch end on the writer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from models.base import GenerativeModel
from models.checkpoint.atomic import StagedFolder, commit_in_order
from models.checkpoint.store import stage_checkpoint, stage_weights_only
from models.checkpoint.train_state import capture_rng, flatten_optimizers
from models.config import DataConfig, TrainConfig
from models.images import save_png
from models.training.run_dir import RunDir
from models.training.snapshot import StateSnapshot
from models.training.writer import BackgroundWriter

Optimizers = dict[str, torch.optim.Optimizer]


class RunSaver:
    """Writes a run's checkpoints and epoch pictures through one background writer.

    Used by the thread iterating `Trainer.run()`; `last_good` is the newest checkpoint
    known to be on disk and `committed_step` its step count (both set on the writer thread
    once its commit is done).
    """

    def __init__(self, run_dir: RunDir, data: DataConfig, train: TrainConfig,
                 class_names: tuple[str, ...] | list[str], offload: bool,
                 last_good: Path | None) -> None:
        self.run_dir = run_dir
        self.data = data
        self.train = train
        self.class_names = tuple(class_names)
        self.last_good = last_good
        self.committed_step: int | None = None
        # Serialise on the writer thread (a copy) rather than here: see save_epoch.
        self._offload = offload
        self._writer = BackgroundWriter()
        self._snapshot = StateSnapshot()

    def _stage(self, folder: Path, model: GenerativeModel, progress: dict[str, Any],
               tensors: dict[str, torch.Tensor], optim_meta: dict[str, Any]) -> StagedFolder:
        """Return a checkpoint of `model` with the given training state (optimiser and RNG
        tensors), written to a temp folder but not committed. Any thread."""
        return stage_checkpoint(folder, model, data=self.data, train=self.train,
                                class_names=self.class_names, progress=progress,
                                train_tensors=tensors, train_json={"optimizers": optim_meta})

    def save_now(self, model: GenerativeModel, optimizers: Optimizers,
                 progress: dict[str, Any]) -> Path:
        """Write the full training state to `last/`, wait until it is on disk; return it."""
        folder = self.run_dir.last_checkpoint
        self._writer.wait()
        tensors, optim_meta = flatten_optimizers(optimizers)
        staged = self._stage(folder, model, progress, {**tensors, **capture_rng()}, optim_meta)
        self._writer.submit(staged.commit)
        self._writer.wait()
        self.last_good = folder
        self.committed_step = int(progress["step"])
        return folder

    def save_epoch(self, model: GenerativeModel, optimizers: Optimizers,
                   progress: dict[str, Any], epoch: int, preview: np.ndarray,
                   recon: np.ndarray | None, record: dict[str, Any]) -> Path:
        """Save the epoch's checkpoint and preview PNGs, the slow part on the writer thread
        while training goes on; return the `last/` path.

        The writer writes the PNGs, logs the epoch's line (fsynced), then flushes and
        swaps `last/` (and `epoch-N/`, sharing its weight files): a reader of
        metrics.jsonl finds the pictures each line names, and however the process dies,
        every checkpoint's epoch has its line. A line whose checkpoint never landed is
        dropped when the run resumes (`RunDir.truncate_metrics_after`). Meanwhile the
        previous `last/` stays loadable. The very first epoch is waited for, so `last/`
        exists from the first EpochEnd on.

        Where a core is free (torch uses fewer threads than there are cores, as the GUI
        does on small machines, or the model is on a GPU) the writer also serialises a
        copy of the state and encodes the PNGs. Otherwise that work stays here: on a
        machine whose cores torch's threads all use, work on a third thread stalls them.
        """
        run_dir = self.run_dir
        last = run_dir.last_checkpoint
        past = run_dir.epoch_checkpoint(epoch) if self.train.keep_epoch_checkpoints else None
        if self._offload:
            self._writer.wait()  # done with the previous snapshot's buffers
            model, tensors, optim_meta = self._snapshot.take(model, optimizers)
        else:
            self._writer.raise_failure()
            tensors, optim_meta = flatten_optimizers(optimizers)
        state = {**tensors, **capture_rng()}

        def prepare() -> list[StagedFolder]:
            """Write the PNGs and serialise the checkpoint(s); return what to commit."""
            save_png(preview, run_dir.preview_path(epoch), compress_level=1)
            if recon is not None:
                save_png(recon, run_dir.recon_path(epoch), compress_level=1)
            staged = [self._stage(last, model, progress, state, optim_meta)]
            if past is not None:
                try:
                    # Weights only: a past epoch is for looking at; resuming uses `last`.
                    staged.append(stage_weights_only(staged[0], past))
                except BaseException:
                    staged[0].discard()
                    raise
            return staged

        prepared = None if self._offload else prepare()

        def write() -> None:
            staged = prepared if prepared is not None else prepare()
            try:
                run_dir.log(record, force_flush=True)  # before the commit: see above
            except BaseException:
                for folder in staged:
                    folder.discard()
                raise
            commit_in_order(staged)
            self.last_good = last
            self.committed_step = int(progress["step"])

        self.submit(write)
        if self.last_good is None:
            self.wait()
        return last

    def submit(self, job: Callable[[], object]) -> None:
        """Run `job` on the writer thread after the writes before it."""
        self._writer.submit(job)

    def wait(self) -> None:
        """Block until every write is on disk; raise the first failure."""
        self._writer.wait()

    def close(self) -> None:
        """Finish pending writes and end the writer thread."""
        self._writer.close()


def newest_saved_step(submitted: int | None, saver: RunSaver | None) -> int | None:
    """Return the step count of a run's newest checkpoint: the last one the trainer
    submitted (or resumed from), or the writer's own record when it is newer. An interrupt
    can land after the writer committed an epoch's checkpoint but before save_epoch
    returned (the first epoch is waited for), and the checkpoint on disk must be named."""
    committed = saver.committed_step if saver is not None else None
    if committed is None or (submitted is not None and submitted >= committed):
        return submitted
    return committed
