"""Toy metrics: modes and high-quality share, grid KL/JS, the true log-likelihood."""

import numpy as np

from models.toy.data import toy_dataset
from models.toy.metrics import (
    Grid,
    grid_divergence,
    mode_stats,
    true_cell_probs,
    true_log_likelihood,
)

RING = toy_dataset("8gaussians", 100)


def test_true_samples_cover_every_mode_with_high_quality() -> None:
    s = mode_stats(toy_dataset("8gaussians", 8000, seed=9).points, RING)
    assert s.modes_covered == 8 and s.high_quality > 0.98  # 3σ in 2-D holds 98.9 %


def test_collapsed_samples_cover_one_mode() -> None:
    one = RING.centres[2] + 0.05 * np.random.default_rng(0).standard_normal((1000, 2))
    s = mode_stats(one, RING)
    assert s.modes_covered == 1 and s.counts[2] == s.counts.sum()


def test_far_samples_are_not_high_quality() -> None:
    s = mode_stats(np.zeros((100, 2)), RING)  # the ring's centre is 20σ from every mode
    assert s.high_quality == 0 and s.modes_covered == 0


def test_exact_cell_probabilities_sum_to_one_and_match_a_big_sample() -> None:
    grid = Grid(3.0, 16)
    p = true_cell_probs(RING, grid)
    assert abs(p.sum() - 1) < 1e-9
    big = toy_dataset("8gaussians", 200_000, seed=1).points
    h = grid.histogram(big)
    np.testing.assert_allclose(h / h.sum(), p, atol=3e-3)


def test_true_samples_score_near_zero_and_a_blob_scores_high() -> None:
    true = grid_divergence(toy_dataset("8gaussians", 20000, seed=2).points, RING)
    blob = grid_divergence(np.random.default_rng(0).standard_normal((20000, 2)), RING)
    assert true.kl < 0.03 and true.js < 0.01
    assert blob.kl > 1 and 0.3 < blob.js <= np.log(2)


def test_points_outside_the_grid_count_against_the_model() -> None:
    inside = toy_dataset("8gaussians", 4000, seed=2).points
    half_out = np.concatenate([inside[:2000], np.full((2000, 2), 50.0)])
    assert grid_divergence(half_out, RING).kl > grid_divergence(inside, RING).kl + 0.5


def test_true_log_likelihood_is_highest_on_the_data() -> None:
    on = true_log_likelihood(RING, RING.centres)
    off = true_log_likelihood(RING, RING.centres + 0.3)
    assert on > off
    assert abs(on - (np.log(1 / 8) - np.log(2 * np.pi * 0.01))) < 1e-6


def test_the_true_density_scores_near_zero_from_its_density() -> None:
    from models.toy.metrics import density_divergence

    def true_log_density(x: np.ndarray) -> np.ndarray:
        d2 = ((x[:, None, :] - RING.centres[None]) ** 2).sum(-1)
        return np.log(np.exp(-d2 / 0.02).sum(1) / 8 / (2 * np.pi * 0.01))

    assert density_divergence(true_log_density, RING).kl < 0.01
    assert density_divergence(lambda x: -(x ** 2).sum(1) / 2 - np.log(2 * np.pi), RING).kl > 1
