"""The events a denoising trajectory yields: numbers and CPU numpy arrays, no torch.

Kept apart from the samplers so the GUI can hold and cache them before torch has loaded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class DenoiseStep:
    """One denoising step, arrays B×C×H×W float32 in the UNet's frame (≈[−1, 1]).

    x_t is what the UNet saw (variance-preserving scale for every sampler, Euler included),
    eps the predicted noise ε̂, x0 the predicted clean image x̂0 = (x_t − √(1−ᾱ)·ε̂)/√ᾱ.
    """

    index: int  # 0-based step number
    num_steps: int
    timestep: float  # the training timestep t (fractional for some Euler spacings)
    alpha_bar: float
    x_t: np.ndarray
    eps: np.ndarray
    x0: np.ndarray


@dataclass(frozen=True)
class DenoiseFinished:
    """The sampler's output after its last step, B×C×H×W float32 in the UNet's frame."""

    num_steps: int
    x0: np.ndarray


DenoiseEvent = DenoiseStep | DenoiseFinished
