"""How the trainer feeds a model: configs fitted to the data, epoch order, float batches."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from models.config import ModelConfig
from models.data import DataError, ImageDataset
from models.registry import FAMILIES, config_class, model_class


def fit_model_config(config: ModelConfig, dataset: ImageDataset) -> ModelConfig:
    """Return `config` with image size, channels and class count taken from the dataset.

    Raises DataError when the model is label-conditional and the dataset has images
    without a class (they would all silently train as class 0).
    """
    check_labels_for(config, dataset)
    changes: dict[str, Any] = {"image_size": dataset.image_size, "channels": dataset.channels}
    if dataset.num_classes:
        changes["num_classes"] = dataset.num_classes
    return config.replace(**changes)


def label_conditional_family(config: ModelConfig) -> str | None:
    """Return the family name of `config` when its model takes class labels, else None."""
    for name in FAMILIES:
        if config_class(name) is type(config):
            cls = model_class(name)
            # GANs and diffusion models say `conditional`, autoencoders `_conditional`.
            if getattr(cls, "conditional", False) or getattr(cls, "_conditional", False):
                return name
            return None
    return None


def check_labels_for(config: ModelConfig, dataset: ImageDataset) -> None:
    """Raise DataError (one line) when a label-conditional model meets unlabelled images."""
    if dataset.has_labels or not len(dataset):
        return
    family = label_conditional_family(config)
    if family is None:
        return
    name = dataset.name.removeprefix("folder:")
    if not dataset.num_classes:
        why = "has no classes (put images in one subfolder per class, or use mnist5k)"
    else:
        loose = int((dataset.labels < 0).sum())
        why = (f"has {loose} image(s) outside its class subfolders (move them into one, "
               f"or remove them)")
    raise DataError(f"{family} needs labelled images: {name!r} {why}")


FLOAT_CACHE_BYTES = 1 << 30


def as_batches_source(images: torch.Tensor, device: torch.device) -> torch.Tensor:
    """Return the uint8 images on `device`, as float32 in [0, 1] when that fits in 1 GiB.

    Converting once saves a conversion per step; large datasets stay uint8 (a quarter of
    the memory) and are converted per batch.
    """
    if images.numel() * 4 <= FLOAT_CACHE_BYTES:
        return images.to(device).float().div_(255.0)
    return images.to(device)


def to_float(batch: torch.Tensor) -> torch.Tensor:
    """Return a batch as float32 in [0, 1] that the caller owns (never a view of the cache)."""
    if batch.dtype == torch.float32:
        return batch if batch._base is None else batch.clone()
    return batch.float().div_(255.0)


def epoch_order(n: int, seed: int, epoch: int) -> np.ndarray:
    """Return the shuffled training order of epoch `epoch`, fixed by (seed, epoch)."""
    return np.random.default_rng([seed, epoch]).permutation(n)


def spread_batch(images: torch.Tensor, labels: torch.Tensor, n: int
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """Return up to n images spread evenly over `images` (as float) and their labels.

    Datasets often come sorted by class (mnist5k does), so the first n would all be
    zeros: spreading them shows every class in the reconstructions.
    """
    n = min(n, len(images))
    idx = torch.from_numpy(np.linspace(0, len(images) - 1, n).round().astype(np.int64))
    idx = idx.to(images.device)
    return to_float(images[idx]), labels[idx]
