"""Loss terms of the autoencoder family, each per image (summed over pixels or dimensions)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def reconstruction_loss(logits: torch.Tensor, x: torch.Tensor, likelihood: str,
                        obs_std: float = 0.1) -> torch.Tensor:
    """Return the per-image negative log-likelihood (up to a constant), shape N.

    bernoulli: binary cross-entropy of the decoder's logits against pixels in [0, 1].
    gaussian: squared error of sigmoid(logits) / (2σ²), the Gaussian NLL with fixed σ.
    """
    if likelihood == "bernoulli":
        per_pixel = F.binary_cross_entropy_with_logits(logits, x, reduction="none")
    else:
        per_pixel = (torch.sigmoid(logits) - x) ** 2 / (2.0 * obs_std**2)
    return per_pixel.flatten(1).sum(1)


def kl_per_dimension(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """Return KL(q(z|x) ‖ N(0, I)) per image and latent dimension, shape N×D."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)
