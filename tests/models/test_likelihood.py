"""Bits per dimension across families: the VAEs' decoders made 8-bit distributions, their
importance-weighted bound against the ELBO, and which families give no number and why."""

from __future__ import annotations

import math

import pytest
import torch

from models.autoencoders.config import VAEConfig
from models.likelihood.bits import GAN_REASON, bits_per_dim
from models.likelihood.discretised import (
    continuous_bernoulli_bin_log_mass,
    gaussian_bin_log_mass,
)
from models.likelihood.iwae import (
    elbo_log_likelihood,
    iwae_log_likelihood,
    nats_to_bits_per_dim,
)
from models.registry import build_model, config_class
from tests.models.helpers import small_mnist

pytestmark = pytest.mark.usefixtures("one_thread")

LEVELS = torch.arange(256, dtype=torch.float64) / 255.0


@pytest.mark.parametrize("eta", [-60.0, -8.0, -1e-8, 0.0, 1e-8, 0.4, 8.0, 60.0])
def test_the_continuous_bernoulli_gives_the_256_pixel_values_masses_summing_to_one(
        eta: float) -> None:
    log_mass = continuous_bernoulli_bin_log_mass(torch.full((256,), eta, dtype=torch.float64),
                                                 LEVELS)
    assert torch.isfinite(log_mass).all()
    assert float(log_mass.exp().sum()) == pytest.approx(1.0, abs=1e-9)


def test_a_flat_continuous_bernoulli_gives_each_bin_its_width() -> None:
    mass = continuous_bernoulli_bin_log_mass(torch.zeros(256, dtype=torch.float64),
                                             LEVELS).exp()
    assert float(mass[0]) == pytest.approx(0.5 / 255) and float(mass[-1]) == pytest.approx(
        0.5 / 255)
    assert torch.allclose(mass[1:-1], torch.full((254,), 1 / 255, dtype=torch.float64))


@pytest.mark.parametrize("mean", [-0.5, 0.0, 0.37, 1.0, 1.5])
@pytest.mark.parametrize("std", [0.01, 0.1, 1.0])
def test_the_discretised_gaussian_masses_sum_to_one(mean: float, std: float) -> None:
    log_mass = gaussian_bin_log_mass(torch.full((256,), mean, dtype=torch.float64), std,
                                     LEVELS)
    assert torch.isfinite(log_mass).all()
    assert float(log_mass.exp().sum()) == pytest.approx(1.0, abs=1e-9)


def _tiny_vae(likelihood: str = "bernoulli", steps: int = 60):
    """Return an MLP VAE trained `steps` Adam steps on 256 digits, and 64 held-out digits."""
    torch.manual_seed(0)
    model = build_model("vae", VAEConfig(latent_dim=4, hidden_dims=(64,),
                                         likelihood=likelihood))
    data = small_mnist(320)
    train = torch.from_numpy(data.images[:256]).float() / 255.0
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    for step in range(steps):
        batch = train[(step * 64) % 256:(step * 64) % 256 + 64]
        model.training_step(batch, torch.zeros(64, dtype=torch.long), {"model": opt})
    return model.eval(), torch.from_numpy(data.images[256:])


def test_iwae_bits_are_below_the_elbo_bits_and_fall_as_k_grows() -> None:
    model, held_out = _tiny_vae()
    dims = int(held_out[0].numel())
    elbo = float(nats_to_bits_per_dim(elbo_log_likelihood(model, held_out, samples=64),
                                      dims).mean())
    bits = {k: float(nats_to_bits_per_dim(iwae_log_likelihood(model, held_out, k, seed=3),
                                          dims).mean()) for k in (1, 8, 64)}
    # IWAE_1 is the ELBO with a sampled KL: the same number up to the draws.
    assert bits[1] == pytest.approx(elbo, abs=0.03)
    # Measured gaps: 0.12 (k 1 → 8), 0.07 (8 → 64), 0.2 (ELBO → k 64).
    assert bits[64] < bits[8] - 0.03 and bits[8] < bits[1] - 0.06
    assert bits[64] < elbo - 0.1
    assert 0 < bits[64] < 8


def test_the_gaussian_decoder_gives_a_finite_bound_too() -> None:
    model, held_out = _tiny_vae("gaussian", steps=20)
    result = bits_per_dim(model, held_out[:16], k=8)
    assert result.kind == "bound" and result.k == 8 and result.n_images == 16
    assert math.isfinite(result.value) and result.value > 0
    assert "N(sigmoid output, 0.1²)" in result.note


def test_a_conditional_vae_bounds_the_marginal_likelihood_over_its_classes() -> None:
    torch.manual_seed(0)
    model = build_model("cvae", config_class("cvae")(latent_dim=3, hidden_dims=(32,))).eval()
    images = torch.from_numpy(small_mnist(8).images)
    result = bits_per_dim(model, images, k=4)
    assert result.kind == "bound" and "classes uniform" in result.note
    # The marginal bound is at most log K nats worse than the best class's bound.
    per_class = torch.stack([iwae_log_likelihood(model, images, 4, 0, torch.full((8,), c))
                             for c in range(10)])
    best = float(nats_to_bits_per_dim(per_class.max(0).values, 784).mean())
    assert best <= result.value <= best + math.log2(10) / 784 + 1e-9


def test_a_gan_and_a_plain_autoencoder_give_no_number_and_say_why() -> None:
    images = torch.from_numpy(small_mnist(4).images)
    gan = build_model("dcgan", config_class("dcgan")())
    result = bits_per_dim(gan, images)
    assert (result.value, result.kind, result.note) == (None, None, GAN_REASON)
    ae = build_model("ae", config_class("ae")(latent_dim=2, hidden_dims=(16,)))
    assert bits_per_dim(ae, images).value is None
    assert "autoencoder" in bits_per_dim(ae, images).note


class _UniformPixels(torch.nn.Module):
    """The uniform model over 8-bit pixels, through the shared likelihood interface."""

    likelihood_kind = "exact"
    device = torch.device("cpu")

    def nll_bits_per_dim(self, x: torch.Tensor) -> torch.Tensor:
        return torch.full((len(x),), math.log2(256.0))


def test_a_model_with_its_own_likelihood_is_measured_by_it_and_called_exact() -> None:
    result = bits_per_dim(_UniformPixels(), torch.from_numpy(small_mnist(70).images))
    assert result.value == pytest.approx(8.0) and result.kind == "exact"
    assert result.n_images == 70 and result.note.startswith("exact")
