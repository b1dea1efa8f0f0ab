"""Sample quality of a generative image model against real images, in classifier features.

`SampleQuality` embeds the real images once (the trainer reuses it every N epochs). The
Fréchet distance uses the classifier's penultimate features as they are; the k-NN metrics
(precision, recall, density, coverage) use them scaled to unit length, where noise and
blank images stay far from the digits (see `unit_rows`).
`quality_for_dataset` picks the shipped classifier matching a dataset, or explains why
there is none.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from models.metrics.classifier import CLASSIFIERS_DIR, find_classifier, load_classifier
from models.metrics.distances import (
    class_coverage,
    density_coverage,
    feature_stats,
    frechet_distance,
    kth_neighbour_radii,
    precision_recall,
    unit_rows,
)

K_NEAREST = 3  # precision/recall, as Kynkäänniemi et al. (2019)
K_DENSITY = 5  # density/coverage, as Naeem et al. (2020)


class NoClassifierError(ValueError):
    """No shipped classifier matches the dataset; the message says which exist."""


def generate(model: Any, n: int, seed: int, batch_size: int = 250
             ) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Return (n images in [0, 1] on the CPU, the labels asked for or None).

    Batch i uses seed + i, so the images depend on (n, seed, batch_size) only. Conditional
    models get balanced labels 0..K-1 cycling. The model runs in eval mode; its previous
    mode is restored.
    """
    caps = model.capabilities
    was_training = model.training
    model.eval()
    images, labels = [], []
    try:
        for i, start in enumerate(range(0, n, batch_size)):
            m = min(batch_size, n - start)
            y = None
            if caps.conditional:
                y = (torch.arange(start, start + m) % model.config.num_classes)
                labels.append(y)
            with torch.no_grad():
                images.append(model.sample(m, seed + i, labels=y).float().cpu())
    finally:
        model.train(was_training)
    return torch.cat(images), (torch.cat(labels) if labels else None)


class SampleQuality:
    """Real-image features of one classifier, to score generated images against."""

    def __init__(self, classifier_dir: Path, real_images: torch.Tensor,
                 device: torch.device | str = "cpu") -> None:
        """Embed `real_images` (uint8 or float in [0, 1], N×C×H×W) once."""
        self.classifier, self.info = load_classifier(classifier_dir, device)
        self.name = self.info.get("name", classifier_dir.name)
        real = real_images.float() / 255.0 if real_images.dtype == torch.uint8 \
            else real_images.float()
        self.real_features, _ = self.classifier.embed(real)
        self.real_stats = feature_stats(self.real_features)
        self.real_unit = unit_rows(self.real_features)
        self.real_radii = kth_neighbour_radii(self.real_unit, K_DENSITY)

    def score(self, images: torch.Tensor, labels: torch.Tensor | None = None,
              k: int = K_NEAREST) -> dict[str, Any]:
        """Return fd, precision, recall, density, coverage, and the class histogram with its
        class_coverage of `images`.

        `k` is precision/recall's; density/coverage always use K_DENSITY. `labels` (the
        classes a conditional model was asked for) adds label_accuracy: how often the
        classifier agrees with them.
        """
        feats, probs = self.classifier.embed(images)
        fd = frechet_distance(*feature_stats(feats), *self.real_stats)
        unit = unit_rows(feats)
        precision, recall = precision_recall(self.real_unit, unit, k=k)
        density, coverage = density_coverage(self.real_unit, unit, K_DENSITY,
                                             real_radii=self.real_radii)
        out: dict[str, Any] = {"fd": fd, "precision": precision, "recall": recall,
                               "density": density, "coverage": coverage,
                               **class_coverage(probs)}
        if labels is not None:
            out["label_accuracy"] = float((probs.argmax(1) == labels.cpu()).double().mean())
        return out

    def evaluate(self, model: Any, n: int, seed: int = 0) -> dict[str, Any]:
        """Return `score` of n images the model samples from `seed`."""
        images, labels = generate(model, n, seed)
        return self.score(images, labels)


def no_classifier_message(dataset: str) -> str:
    """Return why sample-quality metrics are unavailable for `dataset`, in one line."""
    names = sorted(p.parent.name for p in CLASSIFIERS_DIR.glob("*/config.json"))
    shipped = ", ".join(names) if names else "none"
    return (f"no feature classifier matches dataset {dataset!r} (shipped: {shipped}, "
            f"for MNIST digits); Fréchet distance, precision/recall, density/coverage and "
            f"class coverage "
            f"are skipped")


def quality_for_dataset(dataset: str, real_images: torch.Tensor,
                        device: torch.device | str = "cpu") -> SampleQuality:
    """Return a SampleQuality for `dataset`; NoClassifierError when none matches."""
    folder = find_classifier(dataset)
    if folder is None:
        raise NoClassifierError(no_classifier_message(dataset))
    return SampleQuality(folder, real_images, device)


def real_subset(n_total: int, n: int, seed: int = 0) -> np.ndarray:
    """Return n sorted indices drawn without replacement from range(n_total), fixed by seed."""
    rng = np.random.default_rng(seed)
    return np.sort(rng.permutation(n_total)[:min(n, n_total)])
