"""The toy GAN's step modes and its staged step (the Toy lab's slow motion): D only and G
only touch only the named network, and a staged step is exactly one ordinary step."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from models.toy.data import toy_dataset
from models.toy.gan import STAGES, ToyGAN, ToyGANConfig

pytestmark = pytest.mark.usefixtures("one_thread")

RING = toy_dataset("8gaussians", 1000)


def tiny_gan(**settings) -> ToyGAN:
    return ToyGAN(ToyGANConfig(hidden=16, d_hidden=16, layers=2, batch=32, **settings), RING)


def state(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Every weight and buffer (spectral norm's power-iteration vectors included)."""
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("spectral", [False, True])
@pytest.mark.parametrize("staged", [False, True])
def test_d_only_leaves_g_unchanged_and_g_only_leaves_d_unchanged(spectral, staged) -> None:
    gan = tiny_gan(spectral_norm=spectral)

    def one_step() -> None:
        if staged:
            list(gan.staged_step(probe=np.zeros((4, 2), np.float32)))
        else:
            gan.train_step()

    g0, d0 = state(gan.G), state(gan.D)
    gan.mode = "d"
    one_step()
    assert same(g0, state(gan.G))
    assert not same(d0, state(gan.D))
    d1, g1 = state(gan.D), state(gan.G)
    gan.mode = "g"
    one_step()
    assert same(d1, state(gan.D))
    assert not same(g1, state(gan.G))


def test_looking_at_the_gan_changes_nothing() -> None:
    gan = tiny_gan(spectral_norm=True)
    gan.train_step()
    before = state(gan.D)
    gan.decision(np.zeros((5, 2), np.float32))
    gan.fake_gradients(gan.sample(5))
    assert same(before, state(gan.D))


def test_a_staged_step_yields_the_four_stages_in_order_and_counts_one_step() -> None:
    gan = tiny_gan()
    probe = np.random.default_rng(0).normal(size=(50, 2)).astype(np.float32)
    seen = []
    for stage in gan.staged_step(probe):
        assert gan.stage is stage and gan.steps == 0  # counted only when done
        assert stage.step == 1
        seen.append(stage)
    assert [s.name for s in seen] == list(STAGES)
    assert gan.steps == 1 and gan.stage is None
    sample, update_d, g_grads, update_g = seen
    # D trains on the batch sampled at stage 1, and its surface moved at stage 2
    assert sample.real.shape == sample.fake.shape == (32, 2)
    assert np.array_equal(update_d.real, sample.real)
    assert not np.allclose(update_d.d_before, gan.decision(probe))  # moved since
    # stage 3: −∂L_G/∂x on G's batch, as fake_gradients computes it (with D as it is now)
    assert g_grads.grads.shape == (32, 2)
    # stage 4: the same batch, moved by G's update
    assert np.array_equal(update_g.fake, g_grads.fake)
    assert not np.allclose(update_g.moved, update_g.fake)
    assert set(update_g.losses) == {"d", "g"}


def test_stage_3_arrows_are_the_gradient_on_each_fake() -> None:
    gan = tiny_gan()
    stages = gan.staged_step()
    for stage in stages:
        if stage.name == "g_grads":
            break
    expected = gan.fake_gradients(stage.fake)  # G not yet updated, D already
    np.testing.assert_allclose(stage.grads, expected, rtol=1e-4, atol=1e-6)
    stages.close()


@pytest.mark.parametrize("loss", ["ns", "lsgan", "wgan", "wgan-gp"])
def test_staged_steps_train_exactly_like_ordinary_steps(loss) -> None:
    plain, staged = tiny_gan(loss=loss), tiny_gan(loss=loss)
    for mode in ("both", "d", "g", "both"):
        plain.mode = staged.mode = mode
        plain.train_step()
        list(staged.staged_step(probe=np.zeros((3, 2), np.float32)))
    assert staged.steps == 4
    assert same(state(plain.G), state(staged.G)) and same(state(plain.D), state(staged.D))


@pytest.mark.parametrize(("mode", "names"), [("d", ["sample", "update_d"]),
                                             ("g", ["g_grads", "update_g"])])
def test_a_one_network_step_shows_only_its_stages(mode, names) -> None:
    gan = tiny_gan()
    gan.mode = mode
    assert [s.name for s in gan.staged_step()] == names
    assert gan.steps == 1


def test_several_d_updates_show_sample_and_update_for_each() -> None:
    gan = tiny_gan(d_steps=2)
    names = [s.name for s in gan.staged_step()]
    assert names == ["sample", "update_d", "sample", "update_d", "g_grads", "update_g"]
