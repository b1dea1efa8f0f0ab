"""The small jobs the session submits for itself, as generators (their lane's thread runs
them), and the name of a new run's folder."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import numpy as np

from app.jobs.copies import ModelCopy
from app.session.training_job import SaveResult
from models.opened import OpenedModel


def new_run_dir(runs_root: Path, family: str) -> Path:
    """Return a run folder under `runs_root` not yet taken, named by time and family."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    run_dir = runs_root / f"{stamp}-{family}"
    n = 1
    while run_dir.exists():
        n += 1
        run_dir = runs_root / f"{stamp}-{family}-{n}"
    return run_dir


def copy_checkpoint_events(src: Path, dest: Path) -> Iterator[SaveResult]:
    """Copy the checkpoint folder `src` to `dest`; yield the one SaveResult (export lane)."""
    from models.checkpoint.copy import copy_checkpoint

    copy_checkpoint(src, dest)
    yield SaveResult(dest)


def sample_grid_events(copy: ModelCopy, model: OpenedModel, n: int, seed: int,
                       temperature: float | None = None) -> Iterator[np.ndarray | None]:
    """Yield the sample grid (uint8 HWC) of `n` images of `model` from `seed` (at
    `temperature` for a model that samples at one; None: its default), or None between a
    sampler's steps so the job can be cancelled (inference lane, on the lane's own copy
    of the model)."""
    import torch

    from models.images import make_grid, to_uint8_nhwc

    with torch.no_grad():
        net = copy.get(model)
        if temperature is not None:
            yield make_grid(to_uint8_nhwc(net.sample(n, seed, temperature=temperature)))
            return
        for images in net.preview_steps(n, seed):
            yield None if images is None else make_grid(to_uint8_nhwc(images))
