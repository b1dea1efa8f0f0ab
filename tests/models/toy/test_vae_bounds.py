"""The toy VAE's bounds on log p(x): the ELBO below, the importance-weighted bound between
it and log p(x), found here by integrating p(x|z) p(z) over a fine latent grid."""

from __future__ import annotations

import numpy as np
import pytest

from models.toy.base import last_of
from models.toy.data import toy_dataset
from models.toy.vae import ToyVAE, ToyVAEConfig


def integrated_log_p(vae: ToyVAE, x: np.ndarray, half: float = 6.0, n: int = 500):
    """Return log p(x) = log ∫ N(x; f(z), s²) N(z; 0, I) dz by a Riemann sum (n² cells)."""
    axis = np.linspace(-half, half, n, dtype=np.float32)
    z = np.stack(np.meshgrid(axis, axis), -1).reshape(-1, 2)
    f = vae.decode(z)  # (n², 2)
    s2 = np.exp(vae.log_var_x.detach().numpy()).astype(np.float64)
    log_prior = -0.5 * (z ** 2).sum(1) - np.log(2 * np.pi)
    cell = np.log((axis[1] - axis[0]) ** 2)
    out = []
    for point in x:
        log_lik = -0.5 * (((point - f) ** 2) / s2 + np.log(2 * np.pi * s2)).sum(1)
        w = log_lik + log_prior + cell
        out.append(np.logaddexp.reduce(w))
    return np.array(out)


@pytest.fixture(scope="module")
def vae() -> ToyVAE:
    data = toy_dataset("8gaussians", 400, seed=0)
    model = ToyVAE(ToyVAEConfig(hidden=16, batch=64, seed=0), data)
    last_of(model.run(150))
    return model


def test_the_elbo_lies_below_log_p_and_the_iwae_bound_closes_the_gap(vae: ToyVAE) -> None:
    x = vae.data.points[:5]
    log_p = integrated_log_p(vae, x)
    nll, kl = vae.elbo_terms(np.repeat(x, 400, 0), seed=3)  # E[ELBO] over 400 draws
    elbo = -(nll + kl).reshape(5, 400).mean(1)
    iwae_8 = vae.iwae(np.repeat(x, 400, 0), k=8, seed=3).reshape(5, 400).mean(1)
    iwae_4096 = vae.iwae(x, k=4096, seed=3)
    assert (elbo < log_p).all()
    assert (log_p - elbo).mean() > 0.02  # a real gap, so the next checks mean something
    assert elbo.mean() < iwae_8.mean() < log_p.mean()  # per point the gap can be noise
    np.testing.assert_allclose(iwae_4096, log_p, atol=0.03)


def test_the_elbo_terms_are_per_point_and_sum_to_the_negative_elbo(vae: ToyVAE) -> None:
    x = vae.data.points[:50]
    nll, kl = vae.elbo_terms(x, seed=1)
    assert nll.shape == kl.shape == (50,) and (kl >= 0).all()
    assert vae.elbo(x, seed=1) == pytest.approx(float(-(nll + kl).mean()), rel=1e-6)


def test_prior_draws_are_the_latents_samples_decode(vae: ToyVAE) -> None:
    z = vae.prior_draws(64, seed=4)
    np.testing.assert_array_equal(vae.decode(z), vae.sample(64, seed=4))
