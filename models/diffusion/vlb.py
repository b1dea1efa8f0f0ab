"""A DDPM's variational bound on the negative log-likelihood of 8-bit images, in bits per
dimension (Ho et al., 2020, eq. 5; Nichol & Dhariwal, 2021, section 2):

    −log p(x₀) ≤ L_T + Σ_{t=2..T} L_{t−1} + L_0,
    L_T     = KL(q(x_T | x₀) ‖ N(0, I))                      (closed form, no network)
    L_{t−1} = E_q KL(q(x_{t−1} | x_t, x₀) ‖ p_θ(x_{t−1} | x_t))  (one UNet pass each)
    L_0     = E_q −log p_θ(x₀ | x₁)                            (discretised Gaussian)

Indices here are diffusers' (0..T−1): Ho's x_t is our index t−1. Data are pixels k/255
scaled to [−1, 1] and padded like training data (`to_model_space`). The reverse step
p_θ(x_{t−1} | x_t) = N(μ̃(x̂₀, x_t), β̃_t) is the one the model's ancestral DDPM sampler
takes: the posterior mean with the (clipped, when the schedule clips) predicted x̂₀ and
the posterior variance β̃_t ("fixed_small"); L_0's decoder is N(x̂₀, β̃ at Ho's t = 2)
integrated over each pixel's 8-bit bin, the outer bins reaching ±∞, as in Ho et al.'s
and improved-diffusion's code.

Each E_q is estimated with one noise draw per timestep (drawn from (seed, t) and shared
by every image, so an image scores the same in any batch, and the global RNG is not
touched): with every
timestep the result is an unbiased estimate of the bound, which is how the bound is
reported in the literature. With `timesteps` = K < T − 1, the T − 1 KL terms are split
into K equal strata, one t drawn uniformly in each and weighted by its stratum's size:
an unbiased but noisier estimate of the same sum, at K + 1 UNet passes per image
instead of T.

When the UNet's frame is padded (28 → 32 px), the bound is on the whole frame with the
border fixed black, which is a bound on the image itself (p(x) ≥ p(x, black border));
bits are divided by the image's own C·H·W.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from models.likelihood.discretised import gaussian_bin_log_mass

STRATA_SEED = 7919  # which t each stratum draws: fixed, and never from the global RNG


@dataclass(frozen=True)
class BoundTerms:
    """The bound's parts per image, in nats, shape [N] each (float64)."""

    prior: torch.Tensor  # L_T
    diffusion: torch.Tensor  # Σ L_{t−1}, or its stratified estimate
    decoder: torch.Tensor  # L_0
    timesteps: int  # KL terms evaluated (T − 1: all of them)

    @property
    def total(self) -> torch.Tensor:
        """Return L_T + Σ L_{t−1} + L_0 per image, in nats."""
        return self.prior + self.diffusion + self.decoder


def posterior_coefficients(alpha_bar: torch.Tensor, t: int) -> tuple[float, float, float]:
    """Return (c₀, c_t, β̃_t) of q(x_{t−1} | x_t, x₀) = N(c₀·x₀ + c_t·x_t, β̃_t) at diffusers
    index t ≥ 1 of the cumulative products `alpha_bar` (computed in float64)."""
    ab = alpha_bar.double()
    ab_t, ab_prev = float(ab[t]), float(ab[t - 1])
    beta_t = 1.0 - ab_t / ab_prev
    c0 = beta_t * math.sqrt(ab_prev) / (1.0 - ab_t)
    ct = (1.0 - ab_prev) * math.sqrt(1.0 - beta_t) / (1.0 - ab_t)
    return c0, ct, beta_t * (1.0 - ab_prev) / (1.0 - ab_t)


def prior_kl(x0: torch.Tensor, alpha_bar_last: float) -> torch.Tensor:
    """Return L_T = KL(N(√ᾱ·x₀, 1 − ᾱ) ‖ N(0, 1)) summed over each image's values [N]."""
    var = 1.0 - alpha_bar_last
    per_value = 0.5 * (alpha_bar_last * x0.double() ** 2 + var - 1.0 - math.log(var))
    return per_value.flatten(1).sum(1)


def equal_variance_kl(mean_q: torch.Tensor, mean_p: torch.Tensor, var: float) -> torch.Tensor:
    """Return KL(N(mean_q, var) ‖ N(mean_p, var)) summed over each image's values [N]."""
    return ((mean_q.double() - mean_p.double()) ** 2 / (2.0 * var)).flatten(1).sum(1)


def decoder_nll(x0: torch.Tensor, mean: torch.Tensor, std: float) -> torch.Tensor:
    """Return L_0 = −log P(x₀) per image [N] (nats) under N(mean, std²) integrated over
    each value's 8-bit bin, x₀ being k/255 scaled to [−1, 1] (bins ±1/255 wide, the outer
    ones reaching ±∞). The masses of the 256 values sum to 1."""
    # The same bins in [0, 1] units: an affine map leaves every bin's mass unchanged.
    x01 = ((x0.double() + 1.0) * 0.5 * 255.0).round() / 255.0
    log_mass = gaussian_bin_log_mass((mean.double() + 1.0) * 0.5, std * 0.5, x01)
    return -log_mass.flatten(1).sum(1)


def stratified_timesteps(total: int, k: int, seed: int) -> list[tuple[int, float]]:
    """Return (t, weight) pairs covering diffusers indices 1..total−1: all of them with
    weight 1 when k ≥ total − 1, else one uniform t in each of k equal strata, weighted by
    the stratum's size (an unbiased estimate of the sum over all t)."""
    n_terms = total - 1
    if k >= n_terms:
        return [(t, 1.0) for t in range(1, total)]
    g = torch.Generator().manual_seed(STRATA_SEED + seed)
    edges = [1 + (n_terms * i) // k for i in range(k + 1)]
    picks = []
    for lo, hi in itertools.pairwise(edges):
        t = lo + int(torch.randint(hi - lo, (1,), generator=g))
        picks.append((t, float(hi - lo)))
    return picks


def _noise(shape: tuple[int, ...], seed: int, t: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed * 1_000_003 + t)
    return torch.randn(shape, generator=g)


def bound_terms(predict: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                schedule: Any, x0: torch.Tensor, timesteps: int | None = None,
                seed: int = 0, strata_seed: int | None = None) -> BoundTerms:
    """Return the bound's terms for `x0` (N×C×S×S in the UNet's [−1, 1] frame, 8-bit
    values) under `predict` (x_t, t) → UNet output and `schedule` (a NoiseSchedule).
    `timesteps` None evaluates all T − 1 KL terms, K < T − 1 a stratified estimate whose
    t are drawn from `strata_seed` (None: `seed`); the noises come from `seed`."""
    ab = schedule.alphas_cumprod.double()
    total = len(ab)
    n, shape = len(x0), (1, *x0.shape[1:])

    def x0_hat(t: int) -> tuple[torch.Tensor, torch.Tensor]:
        ab_t = torch.tensor(float(ab[t]), dtype=x0.dtype, device=x0.device)
        x_t = ab_t.sqrt() * x0 + (1.0 - ab_t).sqrt() * _noise(shape, seed, t).to(x0)
        out = predict(x_t, torch.full((n,), t, dtype=torch.long, device=x0.device))
        return schedule.split_output(out, x_t, ab_t)[1], x_t

    picks = stratified_timesteps(total, total if timesteps is None else timesteps,
                                 seed if strata_seed is None else strata_seed)
    diffusion = torch.zeros(n, dtype=torch.float64, device=x0.device)
    for t, weight in picks:
        c0, ct, var = posterior_coefficients(ab, t)
        pred, x_t = x0_hat(t)
        diffusion += weight * equal_variance_kl(c0 * x0 + ct * x_t, c0 * pred + ct * x_t, var)
    pred, _ = x0_hat(0)  # at t = 0 the posterior mean with x̂₀ is x̂₀ itself
    decoder_std = math.sqrt(posterior_coefficients(ab, 1)[2])
    return BoundTerms(prior_kl(x0, float(ab[-1])), diffusion,
                      decoder_nll(x0, pred, decoder_std), len(picks))


def nats_to_bits_per_dim(nats: torch.Tensor, dims: int) -> torch.Tensor:
    """Return nats per image as bits per dimension (D = `dims`)."""
    return nats / (dims * math.log(2.0))


def quantised(x: torch.Tensor) -> torch.Tensor:
    """Return images in [0, 1] rounded to their 8-bit values k/255 (float32)."""
    return (x.float().clamp(0.0, 1.0) * 255.0).round() / 255.0


def describe(timesteps: int | None, total: int) -> str:
    """Return how the bound was computed, in words, for reports."""
    how = (f"all T = {total} steps (L_T, {total - 1} KL terms, L_0), each expectation from "
           "one noise draw: an unbiased estimate of the bound"
           if timesteps is None or timesteps >= total - 1 else
           f"L_T, L_0 and {timesteps} of the {total - 1} KL terms by stratified sampling of "
           "t: an unbiased estimate of the bound, noisier than all terms")
    return (f"DDPM variational bound (Ho et al. 2020), discretised Gaussian decoder, "
            f"reverse variance β̃_t: {how}")
