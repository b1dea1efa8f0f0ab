"""Toy families: the run() generator, seeding, each family's views, and learning a little."""

import math

import numpy as np
import pytest

from models.toy.data import toy_dataset
from models.toy.diffusion import ToyDiffusion, ToyDiffusionConfig
from models.toy.ebm import ToyEBM, ToyEBMConfig
from models.toy.flow import ToyFlow, ToyFlowConfig
from models.toy.gan import ToyGAN, ToyGANConfig
from models.toy.metrics import Grid
from models.toy.score import ToyScore, ToyScoreConfig
from models.toy.vae import ToyVAE, ToyVAEConfig

pytestmark = pytest.mark.usefixtures("one_thread")

RING = toy_dataset("8gaussians", 2000)
SMALL = dict(hidden=16, layers=2, batch=64)
FAMILIES = {
    "gan": lambda **k: ToyGAN(ToyGANConfig(d_hidden=16, **{**SMALL, **k}), RING),
    "vae": lambda **k: ToyVAE(ToyVAEConfig(**{**SMALL, **k}), RING),
    "diffusion": lambda **k: ToyDiffusion(ToyDiffusionConfig(timesteps=10, **{**SMALL, **k}),
                                          RING),
    "score": lambda **k: ToyScore(ToyScoreConfig(levels=3, steps_per_level=2,
                                                 **{**SMALL, **k}), RING),
    "flow": lambda **k: ToyFlow(ToyFlowConfig(couplings=4, **{**SMALL, **k}), RING),
    "ebm": lambda **k: ToyEBM(ToyEBMConfig(chain_steps=2, buffer=128, sample_steps=3,
                                           **{**SMALL, **k}), RING),
}


@pytest.mark.parametrize("family", FAMILIES)
def test_run_yields_numbered_steps_and_the_same_seed_gives_the_same_model(family) -> None:
    a, b = FAMILIES[family](seed=3), FAMILIES[family](seed=3)
    events = list(a.run(4))
    assert [e.step for e in events] == [1, 2, 3, 4]
    assert all(math.isfinite(v) for e in events for v in e.losses.values())
    assert events[-1].elapsed >= events[0].elapsed > 0
    list(b.run(4))
    assert a.sample(50, seed=1).shape == (50, 2)
    np.testing.assert_array_equal(a.sample(50, seed=1), b.sample(50, seed=1))
    assert not np.array_equal(a.sample(50, seed=1), FAMILIES[family](seed=4).sample(50, 1))


def test_a_stop_request_ends_the_run_between_steps() -> None:
    model = FAMILIES["vae"]()
    seen = []
    for event in model.run():
        seen.append(event.step)
        if event.step == 3:
            model.request_stop()
    assert seen == [1, 2, 3] and model.steps == 3
    assert [e.step for e in model.run(2)] == [4, 5]  # a later run continues the count


@pytest.mark.parametrize("loss", ["ns", "lsgan", "wgan", "wgan-gp"])
def test_every_gan_loss_trains(loss) -> None:
    gan = FAMILIES["gan"](loss=loss, spectral_norm=loss == "ns")
    events = list(gan.run(3))
    assert set(events[-1].losses) == {"d", "g"}
    if loss == "wgan":
        assert max(p.abs().max().item() for p in gan.D.parameters()) <= gan.config.clip + 1e-6


def test_gan_step_modes_update_only_the_named_network() -> None:
    gan = FAMILIES["gan"]()
    g0 = [p.detach().clone() for p in gan.G.parameters()]
    d0 = [p.detach().clone() for p in gan.D.parameters()]
    gan.mode = "d"
    assert set(gan.train_step()) == {"d"}
    assert all((a == b).all() for a, b in zip(g0, gan.G.parameters(), strict=True))
    assert any((a != b).any() for a, b in zip(d0, gan.D.parameters(), strict=True))
    gan.mode = "g"
    d1 = [p.detach().clone() for p in gan.D.parameters()]
    assert set(gan.train_step()) == {"g"}
    assert all((a == b).all() for a, b in zip(d1, gan.D.parameters(), strict=True))


def test_gan_views_have_one_value_per_point() -> None:
    gan = FAMILIES["gan"]()
    grid = Grid(3.0, 8).centres
    d = gan.decision(grid)
    assert d.shape == (64,) and ((d > 0) & (d < 1)).all()
    assert gan.transport(grid[:, :2]).shape == (64, 2)
    fakes = gan.sample(20)
    assert gan.fake_gradients(fakes).shape == (20, 2)


def test_vae_views_and_its_elbo_rises_with_training() -> None:
    vae = FAMILIES["vae"](hidden=32)
    mu, var = vae.encode(RING.points[:10])
    assert mu.shape == var.shape == (10, 2) and (var > 0).all()
    assert vae.decode(np.zeros((3, 2))).shape == (3, 2)
    before = vae.elbo(RING.points)
    list(vae.run(300))
    assert vae.elbo(RING.points) > before + 0.5


def test_diffusion_samplers_yield_every_intermediate_step() -> None:
    diff = FAMILIES["diffusion"]()
    ddpm = list(diff.ddpm(30, seed=2))
    assert [s.t for s in ddpm] == list(range(9, -1, -1))
    ddim = list(diff.ddim(30, seed=2, steps=4))
    assert len(ddim) == 4 and ddim[-1].t == 0 and ddim[-1].x.shape == (30, 2)
    np.testing.assert_array_equal(ddim[-1].x, list(diff.ddim(30, seed=2, steps=4))[-1].x)
    assert diff.eps_field(Grid(3.0, 4).centres, t=5).shape == (16, 2)
    full = ToyDiffusion(ToyDiffusionConfig(**SMALL), RING)
    noised = full.diffuse(RING.points, t=99)
    assert abs(noised.std() - 1) < 0.05  # ᾱ_T ≈ 0.006 leaves almost only noise


def test_diffusion_loss_falls() -> None:
    diff = FAMILIES["diffusion"](hidden=32, batch=128)
    losses = [e.losses["mse"] for e in diff.run(300)]
    assert np.mean(losses[-50:]) < np.mean(losses[:50])


def test_score_model_langevin_yields_each_step_and_a_field() -> None:
    score = FAMILIES["score"]()
    steps = list(score.langevin(20, seed=1))
    assert len(steps) == 3 * 2 + 1 and steps[-1].t == 0
    assert score.score_field(np.zeros((5, 2)), sigma=0.5).shape == (5, 2)


def test_flow_density_integrates_to_one_and_inverts() -> None:
    flow = FAMILIES["flow"]()
    list(flow.run(50))
    grid = Grid(8.0, 200)
    cell = (2 * grid.extent / grid.bins) ** 2
    mass = np.exp(flow.log_prob(grid.centres)).sum() * cell
    assert abs(mass - 1) < 0.02
    assert flow.roundtrip_error(RING.points) < 1e-4
    layers = flow.layers_forward(np.zeros((7, 2)))
    assert len(layers) == 4 + 1 and layers[-1].shape == (7, 2)


def test_flow_likelihood_rises() -> None:
    flow = FAMILIES["flow"](hidden=32, batch=128)
    before = flow.log_prob(RING.points).mean()
    list(flow.run(200))
    assert flow.log_prob(RING.points).mean() > before + 0.3


def test_ebm_energy_chains_and_samples_of_a_step() -> None:
    ebm = FAMILIES["ebm"]()
    list(ebm.run(2))
    pos, neg = ebm.samples_of_last_step()
    assert pos.shape == neg.shape == (64, 2)
    assert ebm.energy_at(Grid(3.0, 4).centres).shape == (16,)
    chains = list(ebm.chains_run(10, seed=0, steps=5, step=0.02, noise=0.0))
    assert len(chains) == 5 and chains[-1].t == 0
    density = ebm.grid_density(Grid(3.0, 4).centres)
    assert abs(density.sum() - 1) < 1e-9
