"""Sample-quality metrics during training (TrainConfig.metrics_every), kept cheap.

The trainer owns one `EpochQuality`; it embeds its real images on first use and then
scores METRICS_N generated images per call. Sampling uses fixed seeds and draws nothing
from torch's global RNG, so turning the metrics on does not change the training run.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import torch

from models.metrics.quality import (
    NoClassifierError,
    SampleQuality,
    quality_for_dataset,
    real_subset,
)

METRICS_N = 1000  # images per evaluation: ~1 s on 2 CPU cores for a small DCGAN
SCALARS = ("fd", "precision", "recall", "density", "coverage", "class_coverage",
           "max_class_share", "class_entropy", "mean_confidence", "mode_collapse",
           "label_accuracy")


class EpochQuality:
    """Scores a model's samples against a dataset's real images, when a classifier matches."""

    def __init__(self, dataset: str, real_images: torch.Tensor, seed: int = 0) -> None:
        """Keep `real_images` (uint8 or float in [0, 1], N×C×H×W) for the first call."""
        self.dataset = dataset
        self._real = real_images
        self._seed = seed
        self._quality: SampleQuality | None = None
        self._unavailable = False

    def __call__(self, model: Any) -> tuple[dict[str, float], dict[str, np.ndarray]]:
        """Return (scalar metrics, {"class_histogram": counts}); both empty if unavailable."""
        if self._unavailable:
            return {}, {}
        if self._quality is None:
            idx = torch.from_numpy(real_subset(len(self._real), METRICS_N, self._seed))
            try:
                self._quality = quality_for_dataset(self.dataset,
                                                    self._real[idx.to(self._real.device)],
                                                    model.device)
            except NoClassifierError as exc:
                self._unavailable = True
                warnings.warn(f"metrics_every: {exc}", stacklevel=2)
                return {}, {}
            self._real = None  # the features are kept; the images are not needed again
        scores = self._quality.evaluate(model, METRICS_N, self._seed)
        scalars = {k: float(scores[k]) for k in SCALARS if k in scores}
        hist = np.asarray(scores["class_histogram"], dtype=np.int64)
        return scalars, {"class_histogram": hist}
