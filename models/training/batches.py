"""How the trainer feeds a model: configs fitted to the data, the split on the device,
epoch order, float batches."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch

from models.config import ModelConfig
from models.data import DataError, ImageDataset, split_indices
from models.registry import FAMILIES, config_class, model_class
from models.training.pictures import EpochEndInterrupted


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


class DeviceSplit:
    """A dataset's training and validation images and labels, moved to the device once
    (see as_batches_source) and served as float batches."""

    def __init__(self, dataset: ImageDataset, val_fraction: float, seed: int,
                 min_val: int, device: torch.device) -> None:
        train_idx, val_idx = split_indices(len(dataset), val_fraction, seed)
        if len(val_idx) == 0:  # no validation split asked for: validate on a batch
            val_idx = train_idx[:min(len(train_idx), min_val)]
        self.n_train, self.n_val = len(train_idx), len(val_idx)
        images = torch.from_numpy(dataset.images)
        labels = torch.from_numpy(dataset.labels)
        self.train_x = as_batches_source(images[train_idx], device)
        self.train_y = labels[train_idx].to(device)
        self.val_x = as_batches_source(images[val_idx], device)
        self.val_y = labels[val_idx].to(device)
        # What the current phase's steps and validation take: the images, unless a phase
        # trains on something derived from them (latent diffusion's second phase).
        self.train_in, self.val_in = self.train_x, self.val_x

    def use_inputs(self, train_in: torch.Tensor, val_in: torch.Tensor) -> None:
        """Serve `train_in` and `val_in` (one row per training / validation image) as the
        batches from now on; pictures and quality still use the images."""
        if len(train_in) != self.n_train or len(val_in) != self.n_val:
            raise ValueError(f"phase inputs have {len(train_in)} / {len(val_in)} rows for "
                             f"{self.n_train} / {self.n_val} images")
        self.train_in, self.val_in = train_in, val_in

    def train_batch(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return the current phase's training inputs (float; the images unless a phase
        derived others) and labels at the indices `idx`."""
        return to_float(self.train_in[idx]), self.train_y[idx]

    def val_batches(self, bs: int, stopped: Callable[[], bool]
                    ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Yield the validation split in batches of `bs`; raise EpochEndInterrupted when
        `stopped()` says so between two (a diffusion model's pass takes seconds on a CPU)."""
        for i in range(0, self.n_val, bs):
            if stopped():
                raise EpochEndInterrupted
            yield to_float(self.val_in[i:i + bs]), self.val_y[i:i + bs]

    def recon_pairs(self, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Return up to `n` validation images spread over the split, and their labels."""
        return spread_batch(self.val_x, self.val_y, n)
