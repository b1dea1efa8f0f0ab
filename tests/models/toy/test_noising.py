"""The forward processes the diffusion and score views show: the samplers' shared
starting noise, each point's smooth path to noise, and the exact noised density."""

import numpy as np
import pytest

from models.toy.data import toy_dataset
from models.toy.diffusion import ToyDiffusion, ToyDiffusionConfig, noised_cell_masses
from models.toy.metrics import Grid
from models.toy.score import ToyScore, ToyScoreConfig

pytestmark = pytest.mark.usefixtures("one_thread")

RING = toy_dataset("8gaussians", 2000)
SMALL = dict(hidden=16, layers=2, batch=64)


def test_ddpm_and_ddim_start_from_the_noise_start_noise_returns() -> None:
    diff = ToyDiffusion(ToyDiffusionConfig(timesteps=10, **SMALL), RING)
    start = diff.start_noise(40, seed=3)
    assert start.shape == (40, 2)
    # one step of each from t = T−1 with β_T−1 = 0.1: both stay close to their start,
    # while a different seed's start is far away
    first_ddpm = next(iter(diff.ddpm(40, seed=3))).x
    first_ddim = next(iter(diff.ddim(40, seed=3, steps=10))).x
    other = diff.start_noise(40, seed=4)
    for first in (first_ddpm, first_ddim):
        assert np.abs(first - start).mean() < 0.5 * np.abs(other - start).mean()


def test_the_forward_path_starts_at_the_data_and_matches_diffuse() -> None:
    diff = ToyDiffusion(ToyDiffusionConfig(**SMALL), RING)
    x0 = RING.points[:500]
    path = diff.forward_path(x0, seed=5)
    assert path.shape == (101, 500, 2)
    np.testing.assert_allclose(path[0], x0)
    for t in (0, 37, 99):
        np.testing.assert_allclose(path[t + 1], diff.diffuse(x0, t, seed=5), atol=1e-5)
    assert abs(path[-1].var(0).mean() - 1) < 0.15  # x_T is almost pure N(0, I)
    assert np.abs(np.diff(path, axis=0)).max() < 1.0  # one ε per point: no jumps


def test_noised_cell_masses_are_the_noised_data_histogram() -> None:
    grid = Grid(3.0, 24)
    points = RING.points[:300]
    exact = noised_cell_masses(points, 0.8, 0.3, grid.edges)
    assert exact.shape == (24, 24) and abs(exact.sum() - 1) < 0.01
    rng = np.random.default_rng(0)
    many = np.repeat(points, 400, 0) * 0.8 + 0.3 * rng.standard_normal((300 * 400, 2))
    counts = grid.histogram(many)[:-1].reshape(24, 24) / len(many)  # rows along y
    assert np.abs(exact - counts).max() < 0.003
    # no noise: the data's own histogram
    np.testing.assert_allclose(noised_cell_masses(points, 1.0, 0.0, grid.edges),
                               grid.histogram(points)[:-1].reshape(24, 24) / 300)


def test_forward_masses_at_the_last_step_are_a_standard_normal() -> None:
    diff = ToyDiffusion(ToyDiffusionConfig(**SMALL), RING)
    grid = Grid(3.0, 30)
    q = diff.forward_masses(RING.points, 99, grid.edges)
    c = grid.centres.reshape(30, 30, 2)
    normal = np.exp(-(c ** 2).sum(-1) / 2) / (2 * np.pi) * (6 / 30) ** 2
    assert np.abs(q - normal).max() < 0.002


def test_the_score_models_perturbation_path_grows_with_sigma() -> None:
    x0 = RING.points[:400]
    sigmas = np.array([0.0, 0.1, 1.0, 2.5])
    path = ToyScore.perturb_path(x0, sigmas, seed=1)
    np.testing.assert_allclose(path[0], x0)
    for s, x in zip(sigmas[1:], path[1:], strict=True):
        assert abs((x - x0).std() / s - 1) < 0.1
    eps = (path[3] - x0) / 2.5
    np.testing.assert_allclose((path[1] - x0) / 0.1, eps, atol=1e-4)  # the same ε
    grid = Grid(3.0, 20)
    score = ToyScore(ToyScoreConfig(levels=3, **SMALL), RING)
    p = score.perturbed_masses(x0, 0.2, grid.edges)
    np.testing.assert_allclose(p, noised_cell_masses(x0, 1.0, 0.2, grid.edges))
