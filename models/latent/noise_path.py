"""Diffusion interpolation: slerp between two seeds' initial noises, sampled with DDIM (η = 0).

Deterministic DDIM makes the image a smooth function of the starting noise, so a path
between noises gives a path between images. Written as a generator of frames so a worker
can cancel between them and show each one as it arrives; with `heartbeat` it also yields
None after every denoising step, so a job can stop within one step (a batch of frames at
many steps takes seconds on a CPU).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from models.base import GenerativeModel
from models.diffusion.events import DenoiseFinished
from models.images import to_uint8_nhwc
from models.latent.interpolation import fill_order, path_latents


@dataclass(frozen=True)
class NoiseFrame:
    """Frame `index` (α = `alpha`) of the path: a uint8 H×W×C image, fresh."""

    index: int
    alpha: float
    image: np.ndarray


def noise_path_frames(model: GenerativeModel, seed_a: int, seed_b: int, alphas: np.ndarray,
                      steps: int = 20, method: str = "slerp", label: int | None = None,
                      batch: int = 2, heartbeat: bool = False) -> Iterator[NoiseFrame | None]:
    """Yield the DDIM sample of each α's noise, coarse-to-fine order (see `fill_order`).

    `label` conditions a class-conditional model; `heartbeat` adds a None after each
    denoising step. Stop early by no longer iterating.
    """
    noise_a = model.initial_noise(1, seed_a)[0].numpy()
    noise_b = model.initial_noise(1, seed_b)[0].numpy()
    order = fill_order(len(alphas))
    for start in range(0, len(order), batch):
        idx = order[start:start + batch]
        noise = torch.from_numpy(path_latents(noise_a, noise_b, np.asarray(alphas)[idx],
                                              method))
        labels = None if label is None else torch.full((len(idx),), int(label))
        # Step by step (the same arithmetic as model.sample, bit for bit) to be stoppable.
        for event in model.trajectory(len(idx), seed_a, labels=labels, noise=noise,
                                      sampler="ddim", steps=steps, eta=0.0):
            if isinstance(event, DenoiseFinished):
                images = model.to_images(event.x0)
            elif heartbeat:
                yield None
        for i, image in zip(idx, to_uint8_nhwc(images), strict=True):
            yield NoiseFrame(i, float(alphas[i]), image)
