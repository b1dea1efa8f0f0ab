"""Leaving classes out of a dataset (`--exclude-class`): what anomaly detection holds out."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from models.data.dataset import DataError, ImageDataset


def check_excludable(dataset: ImageDataset, classes: Iterable[int]) -> tuple[int, ...]:
    """Return the sorted distinct classes, or raise DataError (one line) when the dataset
    has no labels or a class is out of its range."""
    wanted = tuple(sorted({int(k) for k in classes}))
    if not wanted:
        return wanted
    name = dataset.name.removeprefix("folder:")
    if not dataset.num_classes or not dataset.has_labels:
        raise DataError(f"--exclude-class needs labelled images: {name!r} has images "
                        f"without a class")
    bad = [k for k in wanted if not 0 <= k < dataset.num_classes]
    if bad:
        raise DataError(f"--exclude-class {bad[0]} is out of range: {name!r} has classes "
                        f"0 to {dataset.num_classes - 1}")
    if len(wanted) == dataset.num_classes:
        raise DataError(f"--exclude-class leaves no class of {name!r} to train on")
    return wanted


def exclude_classes(dataset: ImageDataset, classes: Iterable[int]) -> ImageDataset:
    """Return `dataset` without the images of `classes` (the dataset itself when none).

    Class names and the class count stay whole, so a conditional model keeps one label per
    class and the held-out class keeps its index. Raises DataError as check_excludable.
    """
    wanted = check_excludable(dataset, classes)
    if not wanted:
        return dataset
    keep = np.flatnonzero(~np.isin(dataset.labels, wanted))
    return dataset.subset(keep)
