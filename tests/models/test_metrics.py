"""Sample-quality metrics: Fréchet distance, precision/recall, density/coverage, class
coverage, the shipped classifier, `evaluate_checkpoint` and metrics during training."""

import functools
import json

import numpy as np
import pytest
import scipy.linalg
import torch

from models.metrics.classifier import CLASSIFIERS_DIR, find_classifier, load_classifier
from models.metrics.distances import (
    class_coverage,
    feature_stats,
    frechet_distance,
    frechet_distance_features,
    precision_recall,
)
from models.metrics.inception import inception_fid_status
from models.metrics.quality import NoClassifierError, SampleQuality, quality_for_dataset
from tests.models.helpers import mnist5k, quick_train, small_mnist

SHIPPED = CLASSIFIERS_DIR / "mnist-lenet"


@functools.lru_cache(maxsize=1)
def classifier():
    return load_classifier(SHIPPED)


@functools.lru_cache(maxsize=1)
def shuffled() -> np.ndarray:
    """Return a fixed permutation of mnist5k (its file is sorted by class)."""
    return np.random.default_rng(0).permutation(len(mnist5k()))


def real_images(start: int, n: int) -> torch.Tensor:
    """Return n digits in [0, 1] from position `start` of the fixed shuffle."""
    idx = np.sort(shuffled()[start:start + n])
    return torch.from_numpy(mnist5k().images[idx]).float() / 255.0


# --- Fréchet distance ------------------------------------------------------------------------
def test_frechet_distance_of_1d_gaussians_is_the_closed_form() -> None:
    fd = frechet_distance(np.array([1.0]), np.array([[4.0]]), np.array([3.0]), np.array([[9.0]]))
    assert fd == pytest.approx((1 - 3) ** 2 + (2 - 3) ** 2)


def test_frechet_distance_matches_the_scipy_sqrtm_formula() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(200, 6)), rng.normal(1.0, 2.0, size=(300, 6)) @ rng.normal(size=(6, 6))
    (m1, s1), (m2, s2) = feature_stats(a), feature_stats(b)
    covmean = scipy.linalg.sqrtm(s1 @ s2).real
    expected = ((m1 - m2) ** 2).sum() + np.trace(s1 + s2 - 2 * covmean)
    assert frechet_distance(m1, s1, m2, s2) == pytest.approx(expected, rel=1e-6)
    assert frechet_distance(m1, s1, m1, s1) == pytest.approx(0.0, abs=1e-8)


def test_frechet_distance_real_vs_real_is_far_below_real_vs_noise() -> None:
    model, _ = classifier()
    a, _ = model.embed(real_images(0, 500))
    b, _ = model.embed(real_images(500, 500))
    noise, _ = model.embed(torch.rand(500, 1, 28, 28, generator=torch.Generator().manual_seed(0)))
    same, other = frechet_distance_features(a, b), frechet_distance_features(a, noise)
    assert same * 20 < other


# --- precision / recall and coverage ---------------------------------------------------------
def test_precision_and_recall_of_real_vs_itself_are_one() -> None:
    feats = np.random.default_rng(0).normal(size=(300, 8))
    assert precision_recall(feats, feats, k=3) == (1.0, 1.0)


def test_precision_recall_separate_realism_from_coverage() -> None:
    rng = np.random.default_rng(1)
    real = rng.normal(size=(400, 2))
    one_corner = real[real[:, 0] > 1.0]  # realistic but covers a sliver of the data
    precision, recall = precision_recall(real, one_corner, k=3)
    assert precision > 0.9 and recall < 0.4
    far_away = rng.normal(size=(400, 2)) + 50.0
    assert precision_recall(real, far_away, k=3) == (0.0, 0.0)


def test_coverage_flags_a_single_class_generator() -> None:
    probs = np.zeros((200, 10))
    probs[:, 3] = 1.0
    cov = class_coverage(probs)
    assert cov["class_coverage"] == 1 and cov["mode_collapse"]
    assert cov["class_histogram"][3] == 200 and cov["max_class_share"] == 1.0
    uniform = np.eye(10)[np.arange(200) % 10]
    cov = class_coverage(uniform)
    assert cov["class_coverage"] == 10 and not cov["mode_collapse"]
    assert cov["class_entropy"] == pytest.approx(1.0)
    dominated = np.eye(10)[np.r_[np.zeros(100, int), np.arange(100) % 10]]
    assert class_coverage(dominated)["mode_collapse"]  # all covered, but one class rules


class OneDigitGenerator:
    """A stand-in model that 'generates' real images of one digit only."""

    family = "stub"

    def __init__(self, digit: int) -> None:
        ds = mnist5k()
        self.images = torch.from_numpy(ds.images[ds.labels == digit]).float() / 255.0
        self.training = False
        self.device = torch.device("cpu")

    @property
    def capabilities(self):
        from models.base import Capabilities

        return Capabilities(False, False, False, (1,), True)

    def eval(self):
        return self

    def train(self, mode: bool = True):
        return self

    def sample(self, n: int, seed: int, labels=None) -> torch.Tensor:
        return self.images[torch.randint(len(self.images), (n,),
                                         generator=torch.Generator().manual_seed(seed))]


def test_sample_quality_of_a_single_class_generator() -> None:
    quality = SampleQuality(SHIPPED, real_images(0, 600))
    scores = quality.evaluate(OneDigitGenerator(1), n=300, seed=0)
    assert scores["mode_collapse"] and scores["class_coverage"] == 1
    assert scores["precision"] > 0.8 and scores["recall"] < 0.3  # real ones, one class
    assert scores["coverage"] < 0.3 and scores["density"] > 0.5
    real = quality.score(real_images(1000, 600))
    assert scores["fd"] > 5 * real["fd"]
    assert real["class_coverage"] == 10 and not real["mode_collapse"]


# --- the shipped classifier ------------------------------------------------------------------
def test_shipped_classifier_is_small_accurate_and_matches_mnist() -> None:
    info = json.loads((SHIPPED / "config.json").read_text())
    assert (SHIPPED / "model.safetensors").stat().st_size < 1_000_000
    assert info["val_accuracy"] >= 0.95
    assert find_classifier("mnist5k") == SHIPPED and find_classifier("cifar10") is None
    model, _ = classifier()
    idx = np.sort(shuffled()[:300])
    _, probs = model.embed(real_images(0, 300))
    assert (probs.argmax(1).numpy() == mnist5k().labels[idx]).mean() > 0.95
    _, rgb_probs = model.embed(real_images(0, 8).expand(-1, 3, -1, -1))
    torch.testing.assert_close(rgb_probs, model.embed(real_images(0, 8))[1], atol=1e-4,
                               rtol=1e-4)  # colour input is converted to grey


def test_data_without_a_classifier_gets_a_clear_message() -> None:
    with pytest.raises(NoClassifierError, match="no feature classifier matches dataset "
                                                "'cifar10'"):
        quality_for_dataset("cifar10", torch.zeros(4, 3, 32, 32))


def test_inception_fid_never_downloads_and_says_why_it_is_missing() -> None:
    ok, reason = inception_fid_status()
    assert ok or reason.startswith("not available")


# --- evaluate_checkpoint and the trainer -----------------------------------------------------
def test_eval_reports_sample_quality_for_a_vae_checkpoint(tmp_path) -> None:
    from models.evaluation import evaluate_checkpoint
    from models.registry import config_class
    from models.training import Trainer
    from tests.models.helpers import DATA

    cfg = config_class("vae")(latent_dim=4, hidden_dims=(64,))
    trainer = Trainer("vae", cfg, quick_train(), DATA, tmp_path / "run",
                      dataset=small_mnist(256))
    list(trainer.run())
    result = evaluate_checkpoint(tmp_path / "run", device="cpu", n_samples=200)
    quality = result["sample_quality"]
    assert quality["available"] and quality["classifier"] == "mnist-lenet"
    assert quality["n_generated"] == 200 and len(quality["class_histogram"]) == 10
    for key in ("fd", "fd_real_vs_real", "precision", "recall", "density", "coverage",
                "class_coverage", "mode_collapse"):
        assert key in quality
    assert quality["k"] == 3 and quality["k_density"] == 5
    assert quality["fd_real_vs_real"] < quality["fd"]
    assert "available" in result["inception_fid"]
    kl = result["val"]["kl_per_dim"]
    assert len(kl) == 4 and sum(kl) == pytest.approx(result["val"]["kl"], rel=1e-4)
    json.dumps(result)


def _run(tmp_path, metrics_every: int, epochs: int = 2):
    from models.registry import config_class
    from models.training import EpochEnd, Trainer
    from tests.models.helpers import DATA

    cfg = config_class("dcgan")(latent_dim=4, g_width=4, d_width=4)
    trainer = Trainer("dcgan", cfg, quick_train(epochs=epochs, batch_size=64,
                                                metrics_every=metrics_every),
                      DATA, tmp_path / f"run{metrics_every}", dataset=small_mnist(128))
    ends = [e for e in trainer.run() if isinstance(e, EpochEnd)]
    return ends, trainer.model


def test_metrics_every_n_epochs_without_changing_the_training(tmp_path) -> None:
    ends, model = _run(tmp_path, metrics_every=2)
    assert "fd" not in ends[0].val_metrics
    assert {"fd", "precision", "recall", "density", "coverage", "class_coverage",
            "mode_collapse"} <= set(ends[1].val_metrics)
    assert ends[1].arrays["class_histogram"].sum() == 1000
    plain_ends, plain = _run(tmp_path, metrics_every=0)
    assert all("fd" not in e.val_metrics for e in plain_ends)
    for a, b in zip(model.state_dict().values(), plain.state_dict().values(), strict=True):
        assert torch.equal(a, b)
