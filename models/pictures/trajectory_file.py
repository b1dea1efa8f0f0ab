"""A diffusion checkpoint's recorded trajectory: `precomputed/trajectory.npz`.

The step viewer shows it as run A while PyTorch loads (and until the user runs). Writing
it runs the model (torch, imported inside `write_cached_trajectory`); loading it needs
numpy only. x_t, ε̂ and x̂0 are stored as float16 (half the bytes; the viewer shows
uint8 pictures of them) and come back as float32.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from models.diffusion.trajectory_io import Trajectory
from models.pictures import PRECOMPUTED
from models.pictures.fingerprint import weights_fingerprint

TRAJECTORY_FILE = "trajectory.npz"
VIEWER_SEED = 0  # the step viewer's form: seed 0, η 0, a batch of 16
VIEWER_BATCH = 16
MAX_BYTES = 3 << 20  # keep the file small: fewer samples when steps × size would pass it
STORED_DTYPE = np.float16


def trajectory_path(checkpoint: Path) -> Path:
    """Return where `checkpoint`'s recorded trajectory lives."""
    return Path(checkpoint) / PRECOMPUTED / TRAJECTORY_FILE


def recorded_batch(conditional: bool, num_classes: int, steps: int,
                   channels: int, frame: int) -> int:
    """Return how many samples a recording holds: one per class for a class-conditional
    model, else the viewer's batch, fewer when the file would pass MAX_BYTES."""
    n = num_classes if conditional else VIEWER_BATCH
    per_sample = 3 * (steps + 1) * channels * frame * frame * np.dtype(STORED_DTYPE).itemsize
    return max(1, min(n, MAX_BYTES // max(1, per_sample)))


def write_cached_trajectory(checkpoint: Path, model: Any) -> Path | None:
    """Record the step viewer's default run of `model` (the OpenedModel, or its
    GenerativeModel, loaded from `checkpoint`) into `checkpoint`/precomputed/
    trajectory.npz; return its path, or None when the model is not a diffusion model.

    The run is the viewer's: the model's sampler and step count, η 0, seed 0, and for a
    class-conditional model one sample per class at the model's guidance, computed by
    the same `trajectory()` the viewer runs.
    """
    import torch

    from models.diffusion.model import DDPM
    from models.diffusion.samplers import Departures
    from models.opened import OpenedModel

    if isinstance(model, OpenedModel):  # scripts/precompute_pictures.py's writers get one
        model = model.inference_copy()
    if not isinstance(model, DDPM):
        return None
    cfg = model.config
    conditional = bool(model.capabilities.conditional)
    n = recorded_batch(conditional, int(getattr(cfg, "num_classes", 0)), cfg.sample_steps,
                       cfg.channels, int(model.image_shape[-1]))
    options: dict[str, Any] = {"sampler": cfg.sampler, "steps": cfg.sample_steps, "eta": 0.0}
    labels = None
    guidance = None
    if conditional:
        labels = [i % cfg.num_classes for i in range(n)]
        guidance = getattr(cfg, "guidance", None)
        options["labels"] = labels
        if guidance is not None:
            options["guidance"] = guidance
    with torch.no_grad():
        traj = Trajectory.from_events(model.eval().trajectory(n, VIEWER_SEED, **options))
    meta = {"sampler": cfg.sampler, "steps": cfg.sample_steps, "eta": 0.0,
            "seed": VIEWER_SEED, "guidance": guidance, "labels": labels,
            "image_size": cfg.image_size, "kind": "recorded", "branch_from": 0,
            "fingerprint": weights_fingerprint(checkpoint),
            **{name: bool(getattr(cfg, name, False)) for name in Departures.names()}}
    stored = dataclasses.replace(
        traj, x_t=traj.x_t.astype(STORED_DTYPE), eps=traj.eps.astype(STORED_DTYPE),
        x0=traj.x0.astype(STORED_DTYPE), final=traj.final.astype(STORED_DTYPE), meta=meta)
    path = trajectory_path(checkpoint)
    path.parent.mkdir(parents=True, exist_ok=True)
    return stored.save(path)


def load_cached_trajectory(checkpoint: Path) -> Trajectory | None:
    """Return `checkpoint`'s recorded trajectory (arrays float32), or None when there is
    none, it cannot be read, or it was recorded from other weights (numpy only)."""
    path = trajectory_path(checkpoint)
    if not path.is_file():
        return None
    try:
        traj = Trajectory.load(path)
        fingerprint = weights_fingerprint(checkpoint)
    except Exception:  # a damaged zip raises BadZipFile, EOFError, ...
        return None  # any unreadable file is "no recording": the viewer samples anew
    if traj.meta.get("fingerprint") != fingerprint:
        return None
    arrays = (traj.x_t, traj.eps, traj.x0, traj.final)
    steps = len(traj.timesteps)
    if len(traj.alpha_bar) != steps or any(a.ndim < 2 for a in arrays) or \
            any(len(a) != steps for a in arrays[:3]) or \
            any(a.shape[1:] != traj.final.shape for a in arrays[:3]):
        return None
    return dataclasses.replace(
        traj, x_t=traj.x_t.astype(np.float32), eps=traj.eps.astype(np.float32),
        x0=traj.x0.astype(np.float32), final=traj.final.astype(np.float32))
