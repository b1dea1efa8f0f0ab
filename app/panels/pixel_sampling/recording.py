"""A pixel-by-pixel draw as it arrives: the steps recorded so far, read by the viewer.

Numpy only (no Qt, no torch): the panel adds each `RecordedSteps` piece its job delivers
and reads images, positions and distributions at any step already arrived.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from models.pixelcnn.sampling import RecordedSteps

LEVELS = 256


@dataclass(frozen=True)
class DrawSpec:
    """What was asked for: n images of C×H×W, the seed, the temperature and the class
    label of every image (None: an unconditional model)."""

    n: int
    channels: int
    size: int
    seed: int
    temperature: float
    labels: tuple[int, ...] | None

    @property
    def steps(self) -> int:
        """Return the number of values drawn per image (C·H·W)."""
        return self.channels * self.size * self.size


class GrowingRecording:
    """Positions, values and distributions of the steps arrived so far (GUI thread).

    Step i draws one value per image at `positions[i]` = (row, col, channel), in raster
    order with channels innermost; `available` steps have arrived. "The first k values"
    are steps 0 … k − 1.
    """

    def __init__(self, spec: DrawSpec) -> None:
        self.spec = spec
        steps = spec.steps
        self.positions = np.zeros((steps, 3), np.int16)
        self.values = np.zeros((steps, spec.n), np.uint8)
        self.probs = np.zeros((steps, spec.n, LEVELS), np.float16)
        self.available = 0
        # Raster order with channels innermost: the step drawing (channel, row, col).
        c, s = spec.channels, spec.size
        self.step_of = (np.arange(steps).reshape(s, s, c).transpose(2, 0, 1)).copy()

    @property
    def complete(self) -> bool:
        """Return True once every step has arrived."""
        return self.available == self.spec.steps

    def add(self, piece: RecordedSteps) -> None:
        """Append the steps of `piece` (they must follow the ones arrived)."""
        if piece.start != self.available:
            raise ValueError(f"steps from {piece.start} arrived after {self.available}")
        end = piece.start + len(piece.positions)
        self.positions[piece.start:end] = piece.positions
        self.values[piece.start:end] = piece.values
        self.probs[piece.start:end] = piece.probs
        self.available = end

    def filled(self, k: int) -> np.ndarray:
        """Return a bool [C, H, W] mask of the values among the first k."""
        spec = self.spec
        mask = np.zeros((spec.channels, spec.size, spec.size), dtype=bool)
        done = self.positions[:min(k, self.available)]
        mask[done[:, 2], done[:, 0], done[:, 1]] = True
        return mask

    def partial(self, k: int) -> np.ndarray:
        """Return uint8 images [n, C, H, W] holding the first k values, 0 elsewhere."""
        spec = self.spec
        out = np.zeros((spec.n, spec.channels, spec.size, spec.size), np.uint8)
        k = min(k, self.available)
        done = self.positions[:k]
        out[:, done[:, 2], done[:, 0], done[:, 1]] = self.values[:k].T
        return out

    def position(self, step: int) -> tuple[int, int, int]:
        """Return (row, col, channel) of `step` (by raster order; it need not have arrived)."""
        c, s = self.spec.channels, self.spec.size
        pixel, channel = divmod(step, c)
        row, col = divmod(pixel, s)
        return row, col, channel

    def last_step_at(self, row: int, col: int, k: int) -> int | None:
        """Return the last step among the first k that drew a value at (row, col), or None
        when none did."""
        drawn = [int(s) for s in self.step_of[:, row, col] if s < min(k, self.available)]
        return max(drawn) if drawn else None


def entropy_bits(probs: np.ndarray) -> float:
    """Return the entropy in bits of a distribution over levels (zeros count nothing)."""
    p = probs.astype(np.float64)
    p = p[p > 0] / p.sum()
    return float(-(p * np.log2(p)).sum())
