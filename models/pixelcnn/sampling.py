"""Sampling a PixelCNN pixel by pixel, and recording every step for a step viewer.

Each value's logits come from `IncrementalLogits` (the network's caches advanced one
column per value and one row per finished row: the same numbers as a forward pass over
the image drawn so far, at a fraction of the cost). Every draw comes from one uniform
number per step and image, fixed by the seed and taken through the inverse CDF of the
predicted distribution, so a recording replays `sample()`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

from models.pixelcnn.likelihood import LEVELS

if TYPE_CHECKING:
    from models.pixelcnn.model import PixelCNN


@dataclass(frozen=True)
class PixelStep:
    """One drawn value per image at (row, col, channel): step number `index` in raster
    order, channels innermost; `probs` [n, 256] the distribution drawn from (after the
    temperature), `values` [n] the levels drawn. CPU tensors, never changed again."""

    index: int
    row: int
    col: int
    channel: int
    probs: torch.Tensor
    values: torch.Tensor


class PixelSampler:
    """Draws n images from a PixelCNN; `steps()` runs it, `levels` fills up meanwhile."""

    def __init__(self, model: PixelCNN, n: int, seed: int, labels: torch.Tensor | None = None,
                 temperature: float = 1.0) -> None:
        if not temperature > 0:
            raise ValueError(f"temperature must be above 0, not {temperature}")
        c, size = model.config.channels, model.config.image_size
        self.model, self.n, self.temperature = model, n, float(temperature)
        self.labels = None if labels is None else labels.to(model.device, torch.long)
        self.levels = torch.zeros(n, c, size, size, dtype=torch.long, device=model.device)
        # Drawn on the CPU in float64 (the same numbers on every device), image by image
        # (image k gets the same numbers whatever n is); stored [step, image].
        generator = torch.Generator().manual_seed(seed)
        self.uniforms = torch.rand(n, c * size * size, generator=generator,
                                   dtype=torch.float64).T.contiguous()

    @torch.no_grad()
    def steps(self) -> Iterator[PixelStep]:
        """Yield each step once its values are in `levels` (raster order, channels
        innermost); the model runs in eval mode meanwhile."""
        from models.pixelcnn.incremental import IncrementalLogits

        model = self.model
        was_training = model.training
        model.eval()
        c, size = model.config.channels, model.config.image_size
        try:
            net = IncrementalLogits(model, self.levels, self.labels)
            index = 0
            for row in range(size):
                for col in range(size):
                    for ch in range(c):
                        logits = net.logits_at(row, col)
                        probs = torch.softmax(logits[:, :, ch].double() / self.temperature,
                                              dim=1)
                        values = draw(probs, self.uniforms[index].to(probs.device))
                        self.levels[:, ch, row, col] = values
                        yield PixelStep(index, row, col, ch, probs.float().cpu(), values.cpu())
                        index += 1
                    if col + 1 < size:
                        net.finish_pixel(row, col)
                net.finish_row(row)
        finally:
            model.train(was_training)

    def images(self) -> torch.Tensor:
        """Return the images drawn so far as floats in [0, 1] (N, C, H, W)."""
        return self.levels.float() / (LEVELS - 1)


def draw(probs: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Return, per row of `probs` [n, K], the first level whose cumulative probability
    exceeds u [n] in [0, 1) (the inverse CDF)."""
    cdf = probs.cumsum(dim=1)
    return (cdf <= u[:, None]).sum(dim=1).clamp_(max=probs.shape[1] - 1)


@dataclass(frozen=True)
class SamplingRecording:
    """Every step of a pixel-by-pixel draw, stored compactly (numpy, CPU).

    positions [steps, 3] int16 (row, col, channel); values [steps, n] uint8 (the level
    drawn); probs [steps, n, 256] float16 (the distribution it was drawn from); images
    [n, C, H, W] uint8 (the finished draw). A step's partial image is rebuilt from these.
    """

    seed: int
    temperature: float
    labels: np.ndarray | None
    positions: np.ndarray
    values: np.ndarray
    probs: np.ndarray
    images: np.ndarray

    @property
    def steps(self) -> int:
        """Return the number of steps (C·H·W)."""
        return len(self.positions)

    def filled(self, step: int) -> np.ndarray:
        """Return a bool [C, H, W] mask of the values drawn once step `step` is done
        (step −1: none yet)."""
        mask = np.zeros(self.images.shape[1:], dtype=bool)
        done = self.positions[:step + 1]
        mask[done[:, 2], done[:, 0], done[:, 1]] = True
        return mask

    def partial(self, step: int) -> np.ndarray:
        """Return the uint8 images [n, C, H, W] once step `step` is done, 0 where nothing
        is drawn yet."""
        return np.where(self.filled(step)[None], self.images, 0).astype(np.uint8)


def record_sampling(model: PixelCNN, n: int, seed: int, labels: torch.Tensor | None = None,
                    temperature: float = 1.0) -> SamplingRecording:
    """Return the recording of `model.sample(n, seed, labels, temperature=…)`: the same
    images, with every step's distribution and value (`stream_sampling` in one piece)."""
    labels = model._default_labels(n, labels)
    (whole,) = [piece for piece in stream_sampling(model, n, seed, labels, temperature,
                                                   every_s=math.inf) if piece is not None]
    rows, cols, channels = (int(whole.positions[:, k].max()) + 1 for k in range(3))
    images = np.zeros((n, channels, rows, cols), np.uint8)
    row, col, channel = (whole.positions[:, k] for k in range(3))
    images[:, channel, row, col] = whole.values.T
    return SamplingRecording(seed, float(temperature),
                             None if labels is None else labels.cpu().numpy().copy(),
                             whole.positions, whole.values, whole.probs, images)


@dataclass(frozen=True)
class RecordedSteps:
    """Steps `start` … `start + len(positions) − 1` of a draw, as `SamplingRecording`
    stores them: positions [k, 3] int16, values [k, n] uint8, probs [k, n, 256] float16.
    Fresh numpy arrays, never changed again (they may cross threads)."""

    start: int
    positions: np.ndarray
    values: np.ndarray
    probs: np.ndarray


def stream_sampling(model: PixelCNN, n: int, seed: int, labels: torch.Tensor | None = None,
                    temperature: float = 1.0, *, every_s: float = 1 / 30,
                    clock: Callable[[], float] = time.monotonic
                    ) -> Iterator[RecordedSteps | None]:
    """Yield the draw `record_sampling` records, in pieces: a `RecordedSteps` of the steps
    since the last one once `every_s` seconds have passed (0: every step), `None` after the
    other steps (a job stops there, between two values), and the remaining steps at the
    end. Joined, the pieces are the recording's positions, values and probs."""
    labels = model._default_labels(n, labels)
    sampler = PixelSampler(model, n, seed, labels, temperature)
    steps = sampler.uniforms.shape[0]
    positions = np.zeros((steps, 3), np.int16)
    values = np.zeros((steps, n), np.uint8)
    probs = np.zeros((steps, n, LEVELS), np.float16)
    sent, last = 0, clock()
    for step in sampler.steps():
        i = step.index
        positions[i] = (step.row, step.col, step.channel)
        values[i] = step.values.numpy()
        probs[i] = step.probs.numpy()
        now = clock()
        if now - last >= every_s or i + 1 == steps:
            yield RecordedSteps(sent, positions[sent:i + 1].copy(), values[sent:i + 1].copy(),
                                probs[sent:i + 1].copy())
            sent, last = i + 1, now
        else:
            yield None
