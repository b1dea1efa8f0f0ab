"""The in-memory image dataset every loader returns (numpy only, no torch)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np


class DataError(Exception):
    """A dataset cannot be loaded; the message says why and how to fix it, in one line."""


@dataclass(frozen=True)
class ImageDataset:
    """Images as uint8 N×C×H×W, labels as int64 N (−1 where unlabelled), and class names.

    `notes` are one-line remarks from the loader for the user (files it skipped and why).
    """

    name: str
    images: np.ndarray
    labels: np.ndarray
    class_names: tuple[str, ...]
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.images.ndim != 4 or self.images.dtype != np.uint8:
            raise ValueError("images must be a uint8 array of shape N×C×H×W")
        if self.labels.shape != (len(self.images),):
            raise ValueError("labels must have one entry per image")

    def __len__(self) -> int:
        return len(self.images)

    @property
    def channels(self) -> int:
        """Return the channel count (1 or 3)."""
        return int(self.images.shape[1])

    @property
    def image_size(self) -> int:
        """Return the image height (images are square)."""
        return int(self.images.shape[2])

    @property
    def num_classes(self) -> int:
        """Return the number of classes (0 when unlabelled)."""
        return len(self.class_names)

    @property
    def has_labels(self) -> bool:
        """Return True when every image carries a class label."""
        return bool(len(self.labels)) and bool((self.labels >= 0).all())

    def subset(self, indices: np.ndarray) -> ImageDataset:
        """Return the images at `indices` as a new dataset."""
        return replace(self, images=self.images[indices], labels=self.labels[indices])


def split_indices(n: int, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (train, validation) index arrays: a permutation fixed by `seed`."""
    order = np.random.default_rng(seed).permutation(n)
    n_val = round(n * val_fraction)
    if val_fraction > 0:
        n_val = max(1, n_val)
    n_val = min(n_val, n - 1)
    return np.sort(order[n_val:]), np.sort(order[:n_val])
