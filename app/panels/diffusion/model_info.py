"""What the step viewer knows about the diffusion model shown (no Qt, no torch here)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


@dataclass(frozen=True)
class DiffusionModelInfo:
    """A diffusion model's facts and forward-view data, made by the prepare job.

    Arrays are the lane's copies, never touched again once delivered: the schedule curves
    (length T, float64) and up to FORWARD_IMAGES dataset images in the UNet's frame
    (N×C×S×S float32 in [−1, 1], padded like training data) with one fixed noise image.
    """

    path: Path | None  # the checkpoint folder (None: weights from a run not saved yet)
    family: str
    epoch: int
    conditional: bool
    class_names: tuple[str, ...]
    image_size: int  # the images' side (the UNet frame may be padded beyond it)
    model_size: int
    channels: int
    beta: np.ndarray
    alpha_bar: np.ndarray
    dataset: str
    data_x0: np.ndarray
    forward_noise: np.ndarray
    default_sampler: str
    default_steps: int
    default_guidance: float | None
    # Latent diffusion: x_t, ε̂ and x̂0 are latents of `latent_channels` channels; the
    # linear preview's held-out R² and how it came to be (fitted in training, or on open).
    latent: bool = False
    latent_channels: int = 0
    preview_r2: float | None = None
    preview_note: str = ""
    linear_preview: Any = None  # the map itself (numpy LinearPreview): loaded runs' previews
    scaling_factor: float = 1.0

    @property
    def num_train_timesteps(self) -> int:
        """Return T."""
        return len(self.alpha_bar)

    @property
    def log_snr(self) -> np.ndarray:
        """Return log(ᾱ / (1 − ᾱ)) per timestep."""
        ab = self.alpha_bar
        return np.log(ab / (1.0 - ab))
