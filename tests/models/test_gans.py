"""The GAN family: shapes, one training step each, the gradient penalty, files and configs."""

import subprocess
import sys

import pytest
import torch
from torch import nn

from models.checkpoint import load_checkpoint, save_checkpoint
from models.config import TrainConfig
from models.gans.config import conv_levels
from models.gans.losses import gradient_penalty
from models.registry import build_model, config_class
from tests.models.helpers import quick_train, small_mnist

GAN_FAMILIES = ("gan", "dcgan", "wgan-gp", "cgan")
SIZES = [(1, 28), (3, 32), (1, 64), (3, 64)]
EXPECTED_KEYS = {"loss", "loss_g", "loss_d", "d_real", "d_fake", "grad_norm_g", "grad_norm_d"}


def tiny(name: str, channels: int = 1, size: int = 28, **changes):
    kwargs = {"channels": channels, "image_size": size, "latent_dim": 3, **changes}
    if name == "gan":
        kwargs.setdefault("hidden_dims", (16, 8))
    else:
        kwargs.setdefault("g_width", 4)
        kwargs.setdefault("d_width", 4)
    return build_model(name, config_class(name)(**kwargs))


def params_of(module: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in module.parameters()]


def changed(before: list[torch.Tensor], module: nn.Module) -> bool:
    return any(not torch.equal(a, b) for a, b in zip(before, module.parameters(), strict=True))


@pytest.mark.parametrize("name", GAN_FAMILIES)
@pytest.mark.parametrize(("channels", "size"), SIZES)
def test_decode_and_sample_shapes_ranges_and_seeds(name: str, channels: int, size: int) -> None:
    torch.manual_seed(0)
    model = tiny(name, channels, size)
    labels = torch.arange(5) % 10
    out = model.decode(torch.randn(5, 3), labels if name == "cgan" else None)
    assert out.shape == (5, channels, size, size)
    assert 0 <= out.min() and out.max() <= 1
    samples = model.sample(6, seed=1)
    assert samples.shape == (6, channels, size, size)
    assert torch.equal(samples, model.sample(6, seed=1))
    assert not torch.equal(samples, model.sample(6, seed=2))
    caps = model.capabilities
    assert not caps.can_encode and caps.has_prior and not caps.is_diffusion
    assert caps.latent_shape == (3,) and caps.conditional == (name == "cgan")
    assert model.latent_dim == caps.latent_dim == 3
    assert model.discriminator(torch.rand(5, channels, size, size) * 2 - 1,
                               labels).shape == (5,)


@pytest.mark.parametrize("name", GAN_FAMILIES)
def test_one_decoded_latent_matches_the_same_latent_in_a_batch(name: str) -> None:
    model = tiny(name).train()  # decode must use running statistics even while training
    z, y = torch.randn(4, 3), torch.arange(4)
    labels = y if name == "cgan" else None
    one = model.decode(z[:1], labels[:1] if labels is not None else None)
    torch.testing.assert_close(one, model.decode(z, labels)[:1])
    assert model.training


@pytest.mark.parametrize("name", GAN_FAMILIES)
@pytest.mark.parametrize("spectral", [False, True])
def test_one_training_step_updates_both_networks(name: str, spectral: bool) -> None:
    torch.manual_seed(0)
    extra = {"n_critic": 1} if name == "wgan-gp" else {}
    model = tiny(name, spectral_norm=spectral, **extra)
    opts = model.configure_optimizers(TrainConfig())
    g0, d0 = params_of(model.generator), params_of(model.discriminator)
    x, y = torch.rand(8, 1, 28, 28), torch.arange(8) % 10
    out = model.training_step(x, y, opts)
    expected = EXPECTED_KEYS | ({"gp", "wasserstein"} if name == "wgan-gp" else set())
    assert set(out) == expected
    for k, v in out.items():
        assert v.dim() == 0 and not v.requires_grad and torch.isfinite(v), k
    assert changed(g0, model.generator) and changed(d0, model.discriminator)
    assert out["grad_norm_g"] > 0 and out["grad_norm_d"] > 0
    if name != "wgan-gp":
        assert 0 < out["d_real"] < 1 and 0 < out["d_fake"] < 1
    assert all(p.requires_grad for p in model.discriminator.parameters())


@pytest.mark.parametrize("name", GAN_FAMILIES)
@pytest.mark.parametrize(("channels", "size"), SIZES[1:])
def test_one_training_step_at_every_size(name: str, channels: int, size: int) -> None:
    torch.manual_seed(0)
    extra = {"n_critic": 1} if name == "wgan-gp" else {}
    model = tiny(name, channels, size, **extra)
    opts = model.configure_optimizers(TrainConfig())
    g0, d0 = params_of(model.generator), params_of(model.discriminator)
    out = model.training_step(torch.rand(4, channels, size, size), torch.arange(4), opts)
    assert all(torch.isfinite(v) for v in out.values())
    assert changed(g0, model.generator) and changed(d0, model.discriminator)


def test_spectral_norm_replaces_batch_norm_in_the_discriminator() -> None:
    plain, spectral = tiny("dcgan"), tiny("dcgan", spectral_norm=True)
    assert any(isinstance(m, nn.BatchNorm2d) for m in plain.discriminator.modules())
    assert not any(isinstance(m, nn.BatchNorm2d) for m in spectral.discriminator.modules())
    assert any(hasattr(m, "parametrizations") for m in spectral.discriminator.modules())
    critic = tiny("wgan-gp")
    assert not any(isinstance(m, nn.BatchNorm2d) for m in critic.discriminator.modules())


def test_wgan_gp_updates_the_generator_every_n_critic_steps() -> None:
    torch.manual_seed(0)
    model = tiny("wgan-gp", n_critic=3)
    opts = model.configure_optimizers(TrainConfig())
    x = torch.rand(8, 1, 28, 28)
    g0 = params_of(model.generator)
    for _ in range(2):
        out = model.training_step(x, torch.zeros(8, dtype=torch.long), opts)
        assert out["grad_norm_g"] == 0  # no generator update yet
    assert not changed(g0, model.generator)
    out = model.training_step(x, torch.zeros(8, dtype=torch.long), opts)
    assert changed(g0, model.generator) and out["grad_norm_g"] > 0
    assert int(model.critic_steps) == 3
    assert out["gp"] >= 0 and torch.isclose(out["wasserstein"], out["d_real"] - out["d_fake"])


def test_optimisers_use_separate_gan_learning_rates_and_betas_not_train_lr() -> None:
    model = tiny("dcgan", lr_g=3e-4, lr_d=1e-4, beta1_g=0.5, beta2_g=0.99, beta1_d=0.1,
                 beta2_d=0.9)
    opts = model.configure_optimizers(TrainConfig(lr=0.5))
    g, d = opts["generator"].param_groups[0], opts["discriminator"].param_groups[0]
    assert (g["lr"], d["lr"]) == (3e-4, 1e-4)
    assert g["betas"] == (0.5, 0.99) and d["betas"] == (0.1, 0.9)
    wgan = config_class("wgan-gp")()
    assert (wgan.beta1_g, wgan.beta2_g, wgan.beta1_d, wgan.beta2_d) == (0.0, 0.9, 0.0, 0.9)
    assert wgan.n_critic == 5


class LinearCritic(nn.Module):
    """score(x) = ⟨w, x⟩: its gradient is w everywhere."""

    def __init__(self, w: torch.Tensor) -> None:
        super().__init__()
        self.w = nn.Parameter(w)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(1) @ self.w


def test_gradient_penalty_is_zero_for_a_1_lipschitz_linear_critic_and_large_for_a_steep_one(
) -> None:
    g = torch.Generator().manual_seed(0)
    real, fake = torch.rand(16, 1, 4, 4, generator=g), torch.rand(16, 1, 4, 4, generator=g)
    w = torch.randn(16, generator=g)
    unit = gradient_penalty(LinearCritic(w / w.norm()), real, fake, generator=g)
    steep = gradient_penalty(LinearCritic(10 * w / w.norm()), real, fake, generator=g)
    assert unit.item() == pytest.approx(0.0, abs=1e-6)
    assert steep.item() == pytest.approx(81.0, rel=1e-4)
    critic = LinearCritic(10 * w / w.norm())
    gradient_penalty(critic, real, fake, generator=g).backward()  # differentiable in w
    assert critic.w.grad is not None and critic.w.grad.norm() > 0


@pytest.mark.parametrize("name", GAN_FAMILIES)
def test_validation_is_deterministic_and_leaves_the_global_rng_alone(name: str) -> None:
    model = tiny(name).eval()
    x, y = torch.rand(6, 1, 28, 28), torch.arange(6)
    state = torch.get_rng_state()
    first = model.validation_step(x, y)
    assert torch.equal(state, torch.get_rng_state())
    second = model.validation_step(x, y)
    assert first.keys() == second.keys() and {"loss", "d_real", "d_fake"} <= set(first)
    assert all(torch.equal(first[k], second[k]) for k in first)


@pytest.mark.parametrize("name", ["gan", "dcgan", "wgan-gp"])
def test_validation_fakes_follow_the_generator_weights(name: str) -> None:
    from models.gans.base import VAL_SEED

    torch.manual_seed(0)
    model, other = tiny(name).eval(), tiny(name).eval()
    x, y = torch.rand(6, 1, 28, 28), torch.arange(6)

    def fakes_now() -> torch.Tensor:  # what the current weights generate, uncached
        with torch.no_grad():
            return model._generate(model._latents(6, VAL_SEED), None)

    def used() -> torch.Tensor:
        with torch.no_grad():
            return model._val_fakes(x, y)[0]

    first = used()
    torch.testing.assert_close(first, fakes_now())
    model.load_state_dict(other.state_dict())  # new weights, same tensors: no mode switch
    assert not torch.allclose(used(), first)
    torch.testing.assert_close(used(), fakes_now())
    with torch.no_grad():  # an in-place update, as an optimiser step makes
        next(model.generator.parameters()).mul_(1.5)
    torch.testing.assert_close(used(), fakes_now())
    torch.testing.assert_close(model._val_fakes(x[:4], y[:4])[0], used()[:4])
    before = model.validation_step(x, y)
    opts = model.configure_optimizers(TrainConfig())
    model.train()
    model.training_step(x, y, opts)
    model.eval()
    torch.testing.assert_close(used(), fakes_now())
    assert set(model.validation_step(x, y)) == set(before)


@pytest.mark.parametrize("name", GAN_FAMILIES)
def test_checkpoint_round_trip_gives_the_same_samples(name: str, tmp_path) -> None:
    model = tiny(name, spectral_norm=True)
    model.training_step(torch.rand(4, 1, 28, 28), torch.arange(4),
                        model.configure_optimizers(TrainConfig()))
    model.eval()
    save_checkpoint(tmp_path / "ck", model)
    loaded = load_checkpoint(tmp_path / "ck").model
    assert loaded.family == name
    torch.testing.assert_close(loaded.sample(4, seed=3), model.sample(4, seed=3))


def test_cgan_needs_labels() -> None:
    model = tiny("cgan")
    with pytest.raises(ValueError, match="labels"):
        model.decode(torch.randn(2, 3))
    a = model.sample(3, seed=0, labels=torch.tensor([1, 1, 1]))
    b = model.sample(3, seed=0, labels=torch.tensor([2, 2, 2]))
    assert not torch.equal(a, b)
    opts = model.configure_optimizers(TrainConfig())
    with pytest.raises(ValueError, match="label"):
        model.training_step(torch.rand(2, 1, 28, 28), torch.tensor([0, -1]), opts)


@pytest.mark.parametrize(("size", "levels"), [(28, 2), (32, 2), (64, 4), (16, 1)])
def test_conv_levels(size: int, levels: int) -> None:
    assert conv_levels(size) == levels


def test_sizes_the_conv_stack_cannot_halve_are_rejected() -> None:
    with pytest.raises(ValueError, match="image_size 30"):
        config_class("dcgan")(image_size=30).validate()


def test_gan_configs_import_without_torch() -> None:
    code = ("import sys, models.gans.config, models.registry as r; "
            "[r.config_class(n)() for n in ('gan', 'dcgan', 'wgan-gp', 'cgan')]; "
            "assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_dcgan_trains_an_epoch_through_the_trainer(tmp_path) -> None:
    from models.training import EpochEnd, Trainer
    from tests.models.helpers import DATA

    cfg = config_class("dcgan")(latent_dim=8, g_width=8, d_width=8)
    trainer = Trainer("dcgan", cfg, quick_train(batch_size=32), DATA, tmp_path / "run",
                      dataset=small_mnist(128))
    events = list(trainer.run())
    end = next(e for e in events if isinstance(e, EpochEnd))
    assert {"loss", "d_real", "d_fake", "d_accuracy"} <= set(end.val_metrics)
    assert end.preview.dtype == "uint8" and end.reconstructions is None
    assert (tmp_path / "run" / "samples").is_dir()


@pytest.mark.parametrize("name", ["dcgan", "wgan-gp"])
def test_resume_equals_an_uninterrupted_run(name: str, tmp_path) -> None:
    from models.training import Trainer, TrainStep
    from tests.models.helpers import DATA

    extra = {"n_critic": 2} if name == "wgan-gp" else {}
    cfg = config_class(name)(latent_dim=4, g_width=4, d_width=4, **extra)

    def make(folder):
        return Trainer(name, cfg, quick_train(epochs=2, batch_size=32), DATA, folder,
                       dataset=small_mnist(96))

    def metrics(events):
        return [e.metrics for e in events if isinstance(e, TrainStep)]

    whole = list(make(tmp_path / "whole").run())
    trainer = make(tmp_path / "cut")
    first = []
    for event in trainer.run():
        first.append(event)
        if isinstance(event, TrainStep) and event.step == 3:  # mid-epoch, odd critic count
            trainer.request_stop()
    second = list(Trainer.resume(tmp_path / "cut", dataset=small_mnist(96)).run())
    assert metrics(first) + metrics(second) == metrics(whole)
