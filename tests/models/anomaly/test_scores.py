"""Each family's anomaly score: one finite number per image, the same on every call and in
any batch, and the quantity the family's docstring names."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from models.anomaly.scores import diffusion_timesteps, frozen_discriminator, score_for
from models.registry import build_model, config_class
from tests.models.anomaly.likelihood_double import BrightnessNLL
from tests.models.helpers import wake_unet

pytestmark = pytest.mark.usefixtures("one_thread")  # tiny models: one torch thread

UNET = {"preset": "custom", "block_channels": (4, 8), "norm_groups": 4, "sample_steps": 2}
TINY: dict[str, dict[str, Any]] = {
    "ae": {"latent_dim": 2, "hidden_dims": (8,)},
    "vae": {"latent_dim": 2, "hidden_dims": (8,)},
    "cvae": {"latent_dim": 2, "hidden_dims": (8,), "num_classes": 4},
    "conv-vae": {"latent_dim": 2},
    "gan": {"latent_dim": 3, "hidden_dims": (8,)},
    "dcgan": {"latent_dim": 3, "g_width": 4, "d_width": 4},
    "wgan-gp": {"latent_dim": 3, "g_width": 4, "d_width": 4},
    "cgan": {"latent_dim": 3, "g_width": 4, "d_width": 4, "num_classes": 4},
    "ddpm": UNET,
    "cddpm": {**UNET, "num_classes": 4},
    "ldm": {**UNET, "vae_channels": (4, 8, 8), "vae_norm_groups": 4, "latent_channels": 2},
}


def tiny(name: str) -> Any:
    """Return a tiny random model of family `name` in eval mode (UNets woken up)."""
    torch.manual_seed(0)
    model = build_model(name, config_class(name)(**TINY[name]))
    if hasattr(model, "unet"):
        wake_unet(model) if name == "ldm" else _wake(model)
    return model.eval()


def _wake(model: Any) -> None:
    with torch.no_grad():
        for p in model.unet.parameters():
            p.add_(torch.randn_like(p) * 0.05)
        if model.ema_unet is not None:
            model.ema_unet.load_state_dict(model.unet.state_dict())


def images(n: int = 5) -> torch.Tensor:
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(3))


@pytest.mark.parametrize("name", list(TINY))
def test_one_finite_deterministic_score_per_image_in_any_batch(name: str) -> None:
    model = tiny(name)
    x, ref = images(), images(16) * 0.5
    with torch.no_grad():
        first = score_for(model, seed=0, held_out=(1,), reference=ref).fn(x)
        again = score_for(model, seed=0, held_out=(1,), reference=ref).fn(x)
        alone = score_for(model, seed=0, held_out=(1,), reference=ref).fn(x[3:4])
    assert first.shape == (5,) and torch.isfinite(first).all()
    torch.testing.assert_close(first, again, rtol=0, atol=0)
    torch.testing.assert_close(alone, first[3:4], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ["vae", "ddpm"])
def test_the_seed_fixes_the_scores_random_numbers(name: str) -> None:
    model, x = tiny(name), images()
    with torch.no_grad():
        a = score_for(model, seed=0).fn(x)
        b = score_for(model, seed=1).fn(x)
    assert not torch.equal(a, b)


def test_the_autoencoder_scores_its_reconstruction_loss() -> None:
    from models.autoencoders.losses import reconstruction_loss

    model, x = tiny("ae"), images()
    with torch.no_grad():
        expected = reconstruction_loss(model._decode_logits(model.encode(x)[0], None), x,
                                       "bernoulli")
        torch.testing.assert_close(score_for(model).fn(x), expected)


def test_the_vae_scores_minus_its_elbo_with_beta_one() -> None:
    model = build_model("vae", config_class("vae")(latent_dim=2, hidden_dims=(8,), beta=4.0))
    model.eval()
    x = images()
    score = score_for(model)
    assert score.likelihood and score.name == "−ELBO"
    with torch.no_grad():
        terms = model.losses(x, None, stochastic=False)  # recon at the mean; KL batch-mean
        s = score.fn(x)
    # −ELBO ≥ KL ≥ 0, and near the deterministic recon + KL (β = 1, not the trained 4)
    assert (s > 0).all()
    assert s.mean().item() == pytest.approx((terms["recon"] + terms["kl"]).item(), rel=0.05)


def test_a_conditional_model_never_uses_a_held_out_class() -> None:
    model, x, ref = tiny("cgan"), images(), images(16)
    with torch.no_grad():
        all_classes = score_for(model, reference=ref).fn(x)
        held = score_for(model, held_out=(0, 1, 2), reference=ref).fn(x)  # class 3 left
        logits = frozen_discriminator(model, ref)(x * 2 - 1, torch.full((5,), 3))
    torch.testing.assert_close(held, 1 - torch.sigmoid(logits))
    assert (all_classes <= held + 1e-6).all()  # the best of four classes is at least as real


def test_a_batch_norm_discriminator_is_frozen_at_the_reference_statistics() -> None:
    model, x, ref = tiny("dcgan"), images(), images(16)
    with torch.no_grad():
        reference_batch = model.discriminator(torch.cat([ref, x[:1]]) * 2 - 1)
        frozen = frozen_discriminator(model, torch.cat([ref, x[:1]]))(x[:1] * 2 - 1)
        score = score_for(model, reference=torch.cat([ref, x[:1]])).fn(x[:1])
    # x[0] scored alone, normalised as it was inside the reference batch
    torch.testing.assert_close(frozen, reference_batch[-1:], rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(score, 1 - torch.sigmoid(frozen))
    assert model.discriminator.features[3].running_mean is None  # the model is unchanged
    with pytest.raises(ValueError, match="reference"):
        score_for(model)


def test_a_model_with_a_likelihood_is_scored_by_it() -> None:
    model, x = BrightnessNLL(), images()
    score = score_for(model)
    assert score.unit == "bits/dim" and "exact" in score.description
    torch.testing.assert_close(score.fn(x), 1 + 7 * x.flatten(1).mean(1))


def test_diffusion_timesteps_spread_over_the_schedule() -> None:
    steps = diffusion_timesteps(1000, 10)
    assert steps[0] == 50 and steps[-1] == 950 and len(set(steps)) == 10


def test_a_model_without_a_score_is_refused() -> None:
    with pytest.raises(ValueError, match="no anomaly score"):
        score_for(torch.nn.Linear(2, 2))
