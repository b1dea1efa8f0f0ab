"""ROC AUC, curve, shared histograms and extremes: anomalies are the positives and a
higher score means more anomalous; an inverted score is reported, not flipped."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.metrics import roc_curve as sk_roc_curve

from models.anomaly.metrics import (
    extremes,
    inverted_note,
    roc_auc,
    roc_curve,
    shared_histograms,
    summary,
    thin_curve,
)


def test_a_perfect_score_has_auc_one() -> None:
    normal, anomalous = np.array([0.1, 0.2, 0.3]), np.array([0.5, 0.9])
    assert roc_auc(normal, anomalous) == 1.0
    assert inverted_note(1.0, "NLL") is None


def test_an_inverted_score_has_auc_zero_and_says_so() -> None:
    normal, anomalous = np.array([5.0, 6.0, 7.0]), np.array([1.0, 2.0])
    auc = roc_auc(normal, anomalous)
    assert auc == 0.0
    note = inverted_note(auc, "NLL", likelihood=True)
    assert note is not None and "LOWER" in note and "not flipped" in note
    assert "likelihood paradox" in note
    assert "paradox" not in inverted_note(auc, "denoising error")


def test_equal_scores_give_one_half() -> None:
    assert roc_auc(np.ones(4), np.ones(3)) == 0.5


def test_auc_and_curve_match_scikit_learn_with_ties() -> None:
    rng = np.random.default_rng(1)
    normal = rng.integers(0, 20, 300).astype(float)  # many ties
    anomalous = rng.integers(5, 25, 200).astype(float)
    y = np.r_[np.zeros(300), np.ones(200)]
    s = np.r_[normal, anomalous]
    assert roc_auc(normal, anomalous) == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    fpr, tpr = roc_curve(normal, anomalous)
    sk_fpr, sk_tpr, _ = sk_roc_curve(y, s, drop_intermediate=False)
    np.testing.assert_allclose(fpr, sk_fpr)
    np.testing.assert_allclose(tpr, sk_tpr)
    assert (fpr[0], tpr[0], fpr[-1], tpr[-1]) == (0.0, 0.0, 1.0, 1.0)


def test_a_thinned_curve_keeps_its_ends() -> None:
    fpr, tpr = np.linspace(0, 1, 1000), np.linspace(0, 1, 1000) ** 0.5
    a, b = thin_curve(fpr, tpr, most=50)
    assert len(a) <= 50 and (a[0], a[-1], b[-1]) == (0.0, 1.0, 1.0)


def test_histograms_share_bins_and_count_every_finite_score() -> None:
    normal = np.array([0.0, 1.0, 2.0, np.inf])
    anomalous = np.array([5.0, 6.0, 10.0])
    edges, n_counts, a_counts = shared_histograms(normal, anomalous, bins=10)
    assert edges[0] == 0.0 and edges[-1] == 10.0 and len(edges) == 11
    assert n_counts.sum() == 3 and a_counts.sum() == 3
    assert summary(normal)["n_infinite"] == 1 and summary(normal)["max"] == 2.0


def test_extremes_are_the_highest_and_lowest_scores_in_order() -> None:
    scores = np.array([3.0, 9.0, 1.0, 7.0, 5.0])
    most, least = extremes(scores, 2)
    assert most.tolist() == [1, 3] and least.tolist() == [2, 0]
