"""A whole anomaly run: progress, then a result whose JSON carries the AUC, curve,
histograms, summaries and extremes; an inverted result is reported as inverted."""

from __future__ import annotations

import json

import numpy as np
import pytest

from models.anomaly.run import AnomalyProgress, AnomalyResult, run_anomaly
from models.anomaly.sets import parse_anomalies
from models.config import DataConfig
from models.registry import build_model, config_class
from tests.models.anomaly.likelihood_double import BrightnessNLL
from tests.models.helpers import quick_train

pytestmark = pytest.mark.usefixtures("one_thread")

DATA = DataConfig(dataset="digits", exclude_class=(7,))


def result_of(model: object, anomalies: str, n: int | None = 60) -> tuple[list, AnomalyResult]:
    events = list(run_anomaly(model, DATA, quick_train(), parse_anomalies(anomalies), n,
                              seed=0, batch=25))
    assert isinstance(events[-1], AnomalyResult)
    return events[:-1], events[-1]


def test_a_run_reports_progress_then_a_json_ready_result() -> None:
    model = build_model("ae", config_class("ae")(latent_dim=2, hidden_dims=(8,)))
    progress, result = result_of(model, "noise")
    assert all(isinstance(p, AnomalyProgress) for p in progress)
    assert [p.done for p in progress] == [25, 50, 60, 85, 110, 120]
    report = json.loads(json.dumps(result.to_dict()))
    assert 0.0 <= report["auc"] <= 1.0 and report["held_out_classes"] == [7]
    assert report["summary"]["normal"]["n"] == 60 == report["summary"]["anomalous"]["n"]
    assert sum(report["histogram"]["normal"]) == 60
    assert len(report["histogram"]["edges"]) == len(report["histogram"]["normal"]) + 1
    assert report["roc"]["fpr"][0] == 0.0 and report["roc"]["tpr"][-1] == 1.0
    most, least = report["most_anomalous"], report["least_anomalous"]
    assert len(most) == len(least) == 8
    assert most[0]["score"] >= most[-1]["score"] >= least[-1]["score"] >= least[0]["score"]
    assert result.most[0].image.shape == (1, 28, 28)


def test_a_likelihood_that_prefers_the_anomalies_is_reported_inverted() -> None:
    # Inverted digits are bright: this model gives them a HIGHER likelihood (lower NLL).
    _, result = result_of(BrightnessNLL(bright_is_likely=True), "invert")
    report = result.to_dict()
    assert report["auc"] < 0.5 and report["inverted"] is True
    assert "LOWER" in report["inverted_note"] and "likelihood paradox" in report["inverted_note"]
    assert report["summary"]["anomalous"]["mean"] < report["summary"]["normal"]["mean"]
    assert report["score"]["unit"] == "bits/dim" and report["score"]["likelihood"]


def test_a_separating_score_is_not_inverted() -> None:
    _, result = result_of(BrightnessNLL(), "noise")
    assert result.auc > 0.99 and "inverted_note" not in result.to_dict()


def test_the_same_seed_gives_the_same_scores() -> None:
    model = build_model("vae", config_class("vae")(latent_dim=2, hidden_dims=(8,)))
    _, a = result_of(model, "class:7", n=30)
    _, b = result_of(model, "class:7", n=30)
    np.testing.assert_array_equal(a.normal_scores, b.normal_scores)
    assert a.auc == b.auc
