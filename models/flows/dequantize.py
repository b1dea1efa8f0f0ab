"""From 8-bit pixels to a flow's input space and back, with the density terms of each map.

Pixels k ∈ {0, …, 255} are dequantised to u = (k + v) / 256, v ~ U[0, 1)^D, and
u ∈ [0, 1]^D goes through the logit transform h = logit(α + (1 − 2α)·u), which the flow
then maps to z. With p_u the flow's density of u, the discrete model's likelihood is
bounded by log P(k) ≥ E_v[log p_u(u)] − D·log 256 (the density of k + v is p_u / 256^D),
so bits per dimension are (−log p_u(u) + D·log 256) / (D·log 2): a model uniform on
[0, 1]^D measures exactly 8.
"""

from __future__ import annotations

import math

import torch

LEVELS = 256  # 8-bit pixels


def pixel_levels(x: torch.Tensor) -> torch.Tensor:
    """Return the 8-bit levels k (as floats, 0..255) of images x in [0, 1] (x = k / 255)."""
    return torch.round(x.clamp(0.0, 1.0) * (LEVELS - 1))


def dequantize(levels: torch.Tensor, noise: torch.Tensor | None) -> torch.Tensor:
    """Return u = (k + v) / 256 in [0, 1): `noise` v in [0, 1), or the bin centres
    (v = 1/2) when None."""
    v = 0.5 if noise is None else noise
    return (levels + v) / LEVELS


def requantized(u: torch.Tensor) -> torch.Tensor:
    """Return images in [0, 1] from u: the bin centre (k + 1/2) / 256 becomes k / 255
    exactly, and values between move linearly (the inverse of encoding's u)."""
    return ((u * LEVELS - 0.5) / (LEVELS - 1)).clamp(0.0, 1.0)


def logit_forward(u: torch.Tensor, alpha: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (h, log|dh/du| summed per image, shape [N]) for h = logit(α + (1 − 2α)u)."""
    y = alpha + (1.0 - 2.0 * alpha) * u
    h = torch.log(y) - torch.log1p(-y)
    log_det = math.log(1.0 - 2.0 * alpha) - torch.log(y) - torch.log1p(-y)
    return h, log_det.flatten(1).sum(1)


def logit_inverse(h: torch.Tensor, alpha: float) -> torch.Tensor:
    """Return u from h (the inverse of `logit_forward`; not clamped)."""
    return (torch.sigmoid(h) - alpha) / (1.0 - 2.0 * alpha)


def standard_normal_log_density(z: torch.Tensor) -> torch.Tensor:
    """Return log N(z; 0, I) summed per image (shape [N])."""
    return (-0.5 * z.pow(2) - 0.5 * math.log(2.0 * math.pi)).flatten(1).sum(1)


def bits_per_dim(log_density_u: torch.Tensor, dims: int) -> torch.Tensor:
    """Return discrete bits per dimension from log p_u(u) (nats, per image) over `dims`
    values: (−log p_u(u) + D·log 256) / (D·log 2)."""
    return (-log_density_u + dims * math.log(LEVELS)) / (dims * math.log(2.0))
