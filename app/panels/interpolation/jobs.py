"""The panel's background work: DDIM frames along a path between two seeds' noises.

VAEs and GANs need no job of their own: one decode is a millisecond, served by the shared
latent space (`session.latent`). A diffusion frame costs a whole DDIM run, so the frames
are computed here, on the "interpolation" lane, with that lane's copy of the model shown
(`ModelCopy`: the checkpoint is never loaded again). Submitting a path cancels the one
running (latest wins) within one denoising step.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from app.jobs import Job
from app.jobs.copies import ModelCopy
from app.jobs.job import Work
from models.opened import OpenedModel

if TYPE_CHECKING:
    from models.latent.noise_path import NoiseFrame  # imports torch: not at start-up

LANE = "interpolation"
COPY_CHANNEL = "copy"  # dropping the lane's model copy must not cancel (or be) a path


@dataclass(frozen=True)
class NoisePathRequest:
    """A path to compute: seeds of both ends, α of each frame, sampler steps, path kind
    ("linear" or "slerp") and the class of a conditional model (None: unconditional)."""

    seed_a: int
    seed_b: int
    alphas: np.ndarray
    steps: int = 20
    method: str = "slerp"
    label: int | None = None


def noise_path_work(copies: ModelCopy, model: OpenedModel, request: NoisePathRequest) -> Work:
    """Return the job body computing `request` with the lane's copy of `model`.

    It yields a NoiseFrame per frame (coarse to fine, images fresh and never touched again)
    and None after every denoising step so a cancel lands within one step (lane thread).
    """
    alphas = np.array(request.alphas, np.float64)  # the lane's own copy

    def work(job: Job) -> Iterator[NoiseFrame | None]:
        from models.latent.noise_path import noise_path_frames

        yield from noise_path_frames(copies.get(model), request.seed_a, request.seed_b,
                                     alphas, request.steps, request.method, request.label,
                                     heartbeat=True)

    return work


def drop_copy_work(copies: ModelCopy) -> Work:
    """Return the job body forgetting the lane's model copy: run on that lane, after its
    paths, so no path is still using the copy (lane thread)."""

    def work(job: Job) -> Iterator[None]:
        copies.drop()
        yield None

    return work
