"""Density and coverage (Naeem et al. 2020) and k-NN metrics that noise cannot fool: uniform
noise, blank images and a generator stuck on one image must score low where real digits
score high (issue 21: noise used to get precision 1.0)."""

import functools

import numpy as np
import pytest
import torch

from models.metrics.classifier import CLASSIFIERS_DIR
from models.metrics.distances import density_coverage, kth_neighbour_radii, unit_rows
from models.metrics.quality import K_DENSITY, SampleQuality
from tests.models.helpers import mnist5k

N = 500


def _digits(start: int, n: int) -> torch.Tensor:
    """Return n bundled digits in [0, 1] from position `start` of a fixed shuffle."""
    order = np.random.default_rng(0).permutation(len(mnist5k()))
    return torch.from_numpy(mnist5k().images[np.sort(order[start:start + n])]).float() / 255.0


@functools.lru_cache(maxsize=1)
def quality() -> SampleQuality:
    """Return SampleQuality against N real digits (embedded once per test session)."""
    return SampleQuality(CLASSIFIERS_DIR / "mnist-lenet", _digits(0, N))


# --- the estimator ---------------------------------------------------------------------------
def _brute_force(real: np.ndarray, fake: np.ndarray, k: int) -> tuple[float, float]:
    """Density and coverage written straight from the paper's formulas, with loops."""
    radii = []
    for x in real:
        dists = sorted(float(np.linalg.norm(x - other)) for other in real)
        radii.append(dists[k])  # dists[0] is the point itself
    hits = [[float(np.linalg.norm(y - x)) <= r for x, r in zip(real, radii, strict=True)]
            for y in fake]
    density = sum(sum(row) for row in hits) / (k * len(fake))
    coverage = sum(any(row[i] for row in hits) for i in range(len(real))) / len(real)
    return density, coverage


@pytest.mark.parametrize("k", [1, 3, 5])
def test_density_and_coverage_match_a_brute_force_reference(k: int) -> None:
    rng = np.random.default_rng(k)
    real, fake = rng.normal(size=(40, 3)), rng.normal(0.5, 1.2, size=(30, 3))
    expected = _brute_force(real, fake, k)
    assert density_coverage(real, fake, k=k, chunk=7) == pytest.approx(expected, abs=1e-12)
    assert 0 < expected[1] < 1  # the case is not trivial


def test_a_set_against_itself_has_full_coverage_and_density_k_plus_one_over_k() -> None:
    # Each ball holds its centre and its k neighbours: k + 1 hits per ball.
    real = np.random.default_rng(0).normal(size=(200, 4))
    assert density_coverage(real, real, k=5) == pytest.approx((6 / 5, 1.0))


def test_fakes_piled_on_one_spot_near_the_data_get_low_coverage() -> None:
    real = np.random.default_rng(1).normal(size=(300, 2))
    pile = np.repeat(real[:1] + 0.01, 300, axis=0)
    density, coverage = density_coverage(real, pile, k=5)
    assert coverage < 0.05
    assert density * 5 == pytest.approx(coverage * 300)  # every fake sits in the same balls
    far = real + 100.0
    assert density_coverage(real, far, k=5) == (0.0, 0.0)


def test_precomputed_real_radii_give_the_same_answer() -> None:
    rng = np.random.default_rng(2)
    real, fake = rng.normal(size=(50, 3)), rng.normal(size=(60, 3))
    radii = kth_neighbour_radii(torch.as_tensor(real), 5)
    assert density_coverage(real, fake, real_radii=radii) == density_coverage(real, fake)


def test_too_few_real_points_for_k_is_a_clear_value_error() -> None:
    with pytest.raises(ValueError, match="k=5 need more than 5 points"):
        density_coverage(np.zeros((5, 2)), np.zeros((10, 2)), k=5)


def test_unit_rows_scale_rows_to_length_one_and_keep_zero_rows_at_zero() -> None:
    rows = unit_rows(np.array([[3.0, 4.0], [0.0, 0.0], [0.0, -2.0]]))
    torch.testing.assert_close(rows, torch.tensor([[0.6, 0.8], [0.0, 0.0], [0.0, -1.0]],
                                                  dtype=torch.float64))


# --- the shipped classifier's features -------------------------------------------------------
def _fakes(kind: str) -> torch.Tensor:
    if kind == "uniform noise":
        return torch.rand(N, 1, 28, 28, generator=torch.Generator().manual_seed(1))
    if kind == "blank black":
        return torch.zeros(N, 1, 28, 28)
    return torch.ones(N, 1, 28, 28)  # blank white


@pytest.mark.parametrize("kind", ["uniform noise", "blank black", "blank white"])
def test_noise_and_blank_images_score_near_zero(kind: str) -> None:
    scores = quality().score(_fakes(kind))
    assert scores["coverage"] < 0.02 and scores["density"] < 0.05
    # k-NN precision used to read 1.0 here: the classifier maps these images near faint
    # digits whose large k-NN balls swallowed them.
    assert scores["precision"] < 0.02 and scores["recall"] == 0.0


def test_a_generator_stuck_on_one_real_digit_gets_low_coverage() -> None:
    one = _digits(N, 1).expand(N, -1, -1, -1)
    scores = quality().score(one)
    assert scores["coverage"] < 0.02 and scores["recall"] == 0.0
    assert scores["precision"] == 1.0  # the one image is real: fidelity is not the problem


def test_real_held_out_digits_score_high() -> None:
    scores = quality().score(_digits(N, N))
    assert scores["coverage"] > 0.9 and 0.8 < scores["density"] < 1.2
    assert scores["precision"] > 0.8 and scores["recall"] > 0.8


def test_density_uses_the_papers_k() -> None:
    assert K_DENSITY == 5
