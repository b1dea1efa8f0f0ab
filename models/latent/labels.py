"""Class labels for images that have none (generated samples), from the digit classifier."""

from __future__ import annotations

import numpy as np
import torch


def predicted_labels(images: np.ndarray, dataset: str) -> np.ndarray | None:
    """Return the shipped classifier's predicted class per uint8 N×C×H×W image, or None.

    None when no classifier matches `dataset` (the map then leaves labels at −1).
    """
    try:
        from models.metrics.classifier import find_classifier, load_classifier
    except ImportError:  # the metrics package is optional
        return None
    folder = find_classifier(dataset)
    if folder is None:
        return None
    classifier, _ = load_classifier(folder)
    x = torch.from_numpy(images).float().div_(255.0)
    _, probs = classifier.embed(x)
    return probs.argmax(1).numpy().astype(np.int64)
