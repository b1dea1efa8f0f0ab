"""A DDPM's variational bound in bits per dimension (models/diffusion/vlb.py): the discretised
decoder is a distribution over the 256 values, the KL terms vanish for the true noise and
match the closed form for a known error, and a tiny model's stratified estimate is an
unbiased estimate of its full sum."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from models.diffusion import DDPMConfig
from models.diffusion.model import DDPM
from models.diffusion.vlb import (
    bound_terms,
    decoder_nll,
    prior_kl,
    stratified_timesteps,
)
from models.likelihood.bits import bits_per_dim

pytestmark = pytest.mark.usefixtures("one_thread")  # tiny models: one torch thread

T = 40  # diffusion steps of the tiny models: every term stays cheap
TINY = {"image_size": 8, "preset": "custom", "block_channels": (4, 8), "norm_groups": 4,
        "num_train_timesteps": T}


def tiny(**changes: object) -> DDPM:
    """Return a tiny seeded DDPM whose UNet's outputs are not all zero."""
    torch.manual_seed(0)
    model = DDPM(DDPMConfig(**{**TINY, **changes}))  # type: ignore[arg-type]
    with torch.no_grad():  # a fresh UNet's last conv is zero-initialised
        for p in model.unet.parameters():
            p.add_(torch.randn_like(p) * 0.05)
        if model.ema_unet is not None:
            model.ema_unet.load_state_dict(model.unet.state_dict())
    return model.eval()


def digits(n: int, seed: int = 1) -> torch.Tensor:
    """Return n random 8-bit 1×8×8 images, mostly black like digits, as floats k/255."""
    g = torch.Generator().manual_seed(seed)
    k = torch.randint(0, 256, (n, 1, 8, 8), generator=g)
    k = torch.where(torch.rand(k.shape, generator=g) < 0.6, torch.zeros_like(k), k)
    return k.float() / 255.0


def oracle(x0: torch.Tensor, alpha_bar: torch.Tensor, offset: float = 0.0):  # type: ignore[no-untyped-def]
    """Return a predictor of the true ε of x_t given x0 (plus `offset` everywhere)."""
    def predict(x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        ab = alpha_bar[t].to(x_t.dtype).reshape(-1, 1, 1, 1)
        return (x_t - ab.sqrt() * x0) / (1 - ab).sqrt() + offset
    return predict


@pytest.mark.parametrize(("mean", "std"), [(0.0, 0.01), (-0.97, 0.004), (0.5, 0.3),
                                           (1.3, 0.05)])
def test_discretised_decoder_masses_of_the_256_values_sum_to_one(mean: float,
                                                                  std: float) -> None:
    values = (torch.arange(256, dtype=torch.float64) / 255.0 * 2 - 1).reshape(256, 1, 1, 1)
    masses = torch.exp(-decoder_nll(values, torch.full_like(values, mean), std))
    assert float(masses.sum()) == pytest.approx(1.0, abs=1e-9)
    assert bool((masses >= 0).all())
    # Of the inner bins (the outer two also hold the tails), the one nearest the mean
    # gets the most mass.
    inner = values.flatten()[1:-1]
    nearest = int(torch.argmin((inner - mean).abs()))
    assert int(torch.argmax(masses[1:-1])) == nearest


def test_kl_terms_vanish_when_the_model_predicts_the_true_noise() -> None:
    model = tiny()
    x0 = model.to_model_space(digits(3))
    ab = model.schedule.alphas_cumprod
    terms = bound_terms(oracle(x0, ab), model.schedule, x0)
    assert terms.timesteps == T - 1
    assert float(terms.diffusion.abs().max()) < 1e-6
    assert float(terms.prior.min()) > 0.0  # ᾱ_T > 0: q(x_T | x0) is not exactly N(0, I)
    assert torch.allclose(terms.prior, prior_kl(x0, float(ab[-1])))


def test_kl_terms_of_a_known_noise_error_match_the_closed_form() -> None:
    # ε̂ = ε + δ moves the reverse mean by β_t δ / (√α_t √(1 − ᾱ_t)) (Ho et al. eq. 11), so
    # Σ_t KL = Σ_t D β_t² δ² / (2 α_t (1 − ᾱ_t) β̃_t). No clipping, so x̂0 is not bent back.
    model = tiny(clip_sample=False)
    x0 = model.to_model_space(digits(2))
    delta = 0.1
    terms = bound_terms(oracle(x0, model.schedule.alphas_cumprod, delta), model.schedule, x0)
    betas = model.schedule.scheduler.betas.double().numpy()
    ab = np.cumprod(1.0 - betas)
    t = np.arange(1, T)
    beta_tilde = betas[t] * (1 - ab[t - 1]) / (1 - ab[t])
    per_value = betas[t] ** 2 * delta**2 / (2 * (1 - betas[t]) * (1 - ab[t]) * beta_tilde)
    expected = x0[0].numel() * per_value.sum()
    assert terms.diffusion.numpy() == pytest.approx([expected] * 2, rel=1e-4)


def test_stratified_timesteps_cover_every_stratum_with_weights_summing_to_the_terms() -> None:
    picks = stratified_timesteps(1000, 7, seed=3)
    assert len(picks) == 7
    assert sum(w for _, w in picks) == 999
    ts = [t for t, _ in picks]
    assert ts == sorted(ts) and ts[0] >= 1 and ts[-1] <= 999
    assert stratified_timesteps(10, 50, seed=0) == [(t, 1.0) for t in range(1, 10)]


def test_tiny_model_bits_per_dim_is_finite_and_stratified_estimate_matches_full_sum() -> None:
    model = tiny()
    x = digits(4)
    bits = model.nll_bits_per_dim(x)
    assert bits.shape == (4,) and bool(torch.isfinite(bits).all()) and float(bits.min()) > 0
    assert torch.equal(model.nll_bits_per_dim(x), bits)  # fixed noise: the same every call
    x0 = model.to_model_space(x)
    predict = model.predictor()
    with torch.no_grad():
        full = bound_terms(predict, model.schedule, x0, None, seed=0).diffusion.mean()
        estimates = torch.stack([
            bound_terms(predict, model.schedule, x0, 4, seed=0, strata_seed=s).diffusion.mean()
            for s in range(24)])
    # Same noises, different t per stratum: E[estimate] is exactly the full sum.
    se = float(estimates.std()) / math.sqrt(len(estimates))
    assert se > 0
    assert abs(float(estimates.mean()) - float(full)) < 4 * se


def test_bits_per_dim_of_a_ddpm_is_a_bound_over_its_image_limit_and_says_how() -> None:
    model = tiny()
    model.likelihood_max_images = 3
    model.vlb_timesteps = 5
    images = (digits(5) * 255).round().to(torch.uint8)
    result = bits_per_dim(model, images)
    assert result.kind == "bound" and result.n_images == 3
    assert result.value is not None and math.isfinite(result.value)
    assert "5 of the 39 KL terms" in result.note and "unbiased estimate" in result.note
