"""The digit classifier score (Inception-Score style): exp E KL(p(y|x) ‖ p(y)) in [1, K]."""

from __future__ import annotations

import pytest
import torch

from models.metrics.classifier_score import classifier_score


def test_a_set_of_one_class_scores_one() -> None:
    probs = torch.zeros(50, 10)
    probs[:, 3] = 1.0
    assert classifier_score(probs) == pytest.approx(1.0)
    same = torch.softmax(torch.randn(1, 10), 1).repeat(40, 1)  # unsure, but always alike
    assert classifier_score(same) == pytest.approx(1.0)


def test_confident_balanced_classes_score_the_number_of_classes() -> None:
    assert classifier_score(torch.eye(10).repeat(7, 1)) == pytest.approx(10.0)


def test_any_set_scores_between_one_and_the_number_of_classes() -> None:
    g = torch.Generator().manual_seed(0)
    for temperature in (0.1, 1.0, 5.0):
        probs = torch.softmax(torch.randn(200, 10, generator=g) / temperature, 1)
        assert 1.0 <= classifier_score(probs) <= 10.0
    # Sharper predictions over the same spread of classes score higher.
    logits = torch.randn(200, 10, generator=g)
    assert classifier_score(torch.softmax(logits * 4, 1)) > classifier_score(
        torch.softmax(logits, 1))
