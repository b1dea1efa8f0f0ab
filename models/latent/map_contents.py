"""What a latent map holds, whoever made it: the map job (encoding now) or a precomputed
file read back without torch. numpy only."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class MapContents:
    """A model's latents and the pictures shown for them (arrays never written again).

    `means` are N×D float32 latent means (prior samples when `generated`), `labels` N int64
    (−1 where unknown), `images` N×H×W×C uint8 (the data, or what generated latents decode
    to). `has_prior` says the model has a prior to shade and an encoder (a VAE);
    `kl_per_dim` the mean KL of each dimension over the encoded images (VAEs only).
    """

    family: str
    epoch: int
    dataset: str
    class_names: tuple[str, ...]
    means: np.ndarray
    labels: np.ndarray
    images: np.ndarray
    generated: bool
    conditional: bool
    has_prior: bool
    labels_note: str = ""
    kl_per_dim: np.ndarray | None = None
