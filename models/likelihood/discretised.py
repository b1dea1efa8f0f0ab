"""The autoencoders' decoder distributions as probabilities of 8-bit pixels.

The VAE families are trained with a Bernoulli cross-entropy (or a fixed-σ squared error) on
pixels in [0, 1]: neither is a probability of the 256 values a pixel can take. To give a
number comparable with a PixelCNN's, each pixel's 8-bit value k is given the mass its bin
[(k − ½)/255, (k + ½)/255] (the outer bins reach 0 and 1, or ±∞) has under a proper
distribution built from the same decoder output:

- bernoulli: the continuous Bernoulli with the decoder's λ = sigmoid(logit), the normalised
  density ∝ λ^x (1 − λ)^(1−x) on [0, 1] (Loaiza-Ganem & Cunningham, 2019);
- gaussian: N(sigmoid(logit), σ²) with the config's fixed σ.

Each is a distribution over the 256 values (the masses sum to 1), so −log₂ of it is a real
code length. The decoder was not trained on it, so the bound it gives is looser than the
loss the model optimised suggests.
"""

from __future__ import annotations

import math

import torch

LEVELS = 256
HALF_BIN = 0.5 / (LEVELS - 1)


def bin_edges(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (lower, upper) edges in [0, 1] of the 8-bit bins of pixels `x` in [0, 1]
    (already multiples of 1/255): the first bin starts at 0, the last ends at 1."""
    lower = (x - HALF_BIN).clamp(min=0.0)
    upper = (x + HALF_BIN).clamp(max=1.0)
    return lower, upper


def continuous_bernoulli_bin_log_mass(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Return log P(bin of x) per pixel under the continuous Bernoulli with natural
    parameter η = `logits`: P = (e^{ηb} − e^{ηa}) / (e^η − 1) for the bin [a, b], which is
    (b − a) at η = 0. Computed as η·a + log|expm1(η(b − a))| − log|expm1(η)| (stable for
    large |η|)."""
    a, b = bin_edges(x)
    eta = logits.double()
    a, b = a.double(), b.double()
    small = eta.abs() < 1e-6
    safe = torch.where(small, torch.ones_like(eta), eta)
    log_mass = (safe * a + torch.log(torch.expm1(safe * (b - a)).abs())
                - _log_abs_expm1(safe))
    # Near η = 0 the density is uniform to first order: mass (b − a)(1 + η((a + b) − 1)/2).
    flat = torch.log(b - a) + torch.log1p(eta * ((a + b) - 1.0) / 2.0)
    return torch.where(small, flat, log_mass).to(logits.dtype)


def _log_abs_expm1(eta: torch.Tensor) -> torch.Tensor:
    """Return log|e^η − 1| without overflow: η + log(1 − e^{−η}) for η > 0."""
    pos = eta + torch.log(-torch.expm1(-eta.clamp(min=1e-12)))
    neg = torch.log(-torch.expm1(eta.clamp(max=-1e-12)))
    return torch.where(eta > 0, pos, neg)


def gaussian_bin_log_mass(mean: torch.Tensor, std: float, x: torch.Tensor) -> torch.Tensor:
    """Return log P(bin of x) per pixel under N(mean, std²), the outer bins reaching ±∞
    (as PixelCNN++ discretises its logistics). Differences of Φ are taken on the side of
    the mean where they do not cancel."""
    a, b = bin_edges(x)
    lo = torch.where(a <= 0.0, torch.full_like(a, -math.inf), (a - mean) / std).double()
    hi = torch.where(b >= 1.0, torch.full_like(b, math.inf), (b - mean) / std).double()
    # Φ(hi) − Φ(lo) = Φ(−lo) − Φ(−hi): use the side whose values are below ½.
    right = lo > 0
    upper = torch.where(right, -lo, hi)
    lower = torch.where(right, -hi, lo)
    log_up = torch.special.log_ndtr(upper)
    log_low = torch.special.log_ndtr(lower)
    diff = log_up + torch.log(-torch.expm1((log_low - log_up).clamp(max=-1e-300)))
    return diff.to(mean.dtype)


def decoder_log_mass(logits: torch.Tensor, x: torch.Tensor, likelihood: str,
                     obs_std: float) -> torch.Tensor:
    """Return log P(x) per image (N) of 8-bit images `x` (floats k/255, N×C×H×W) under the
    decoder output `logits` read as `likelihood` ("bernoulli" or "gaussian")."""
    if likelihood == "bernoulli":
        per_pixel = continuous_bernoulli_bin_log_mass(logits, x)
    elif likelihood == "gaussian":
        per_pixel = gaussian_bin_log_mass(torch.sigmoid(logits), obs_std, x)
    else:
        raise ValueError(f"unknown likelihood {likelihood!r}")
    return per_pixel.flatten(1).sum(1)


def describe(likelihood: str, obs_std: float) -> str:
    """Return what the decoder's 8-bit distribution is, in words, for reports."""
    if likelihood == "bernoulli":
        return ("decoder read as a continuous Bernoulli (the normalised density "
                "∝ λ^x(1−λ)^(1−x) on [0, 1], λ = its sigmoid output) integrated over each "
                "8-bit bin; it was trained with plain binary cross-entropy, which is not "
                "a likelihood of 8-bit pixels")
    return (f"decoder read as N(sigmoid output, {obs_std:g}²) integrated over each 8-bit "
            f"bin (outer bins to ±∞)")
