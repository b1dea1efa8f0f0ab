"""How the trainer feeds a model: configs fitted to the data, epoch order, float batches."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from models.config import ModelConfig
from models.data import ImageDataset


def fit_model_config(config: ModelConfig, dataset: ImageDataset) -> ModelConfig:
    """Return `config` with image size, channels and class count taken from the dataset."""
    changes: dict[str, Any] = {"image_size": dataset.image_size, "channels": dataset.channels}
    if dataset.num_classes:
        changes["num_classes"] = dataset.num_classes
    return config.replace(**changes)


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
