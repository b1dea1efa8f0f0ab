"""Small shared builders for the models tests: tiny datasets and configs."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from models.config import DataConfig, TrainConfig
from models.data import ImageDataset, load_dataset


@functools.lru_cache(maxsize=1)
def mnist5k() -> ImageDataset:
    """Return the bundled 5,000 MNIST digits (loaded once per test session)."""
    return load_dataset("mnist5k")


def small_mnist(n: int = 512) -> ImageDataset:
    """Return the first n bundled digits."""
    return mnist5k().subset(np.arange(n))


def random_dataset(n: int = 32, channels: int = 1, size: int = 28,
                   classes: int = 10) -> ImageDataset:
    """Return n random images of the given shape with cycling labels."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(n, channels, size, size), dtype=np.uint8)
    return ImageDataset("random", images, np.arange(n) % classes,
                        tuple(str(i) for i in range(classes)))


def quick_train(**changes: object) -> TrainConfig:
    """Return a TrainConfig for fast CPU tests."""
    base = {"epochs": 1, "batch_size": 64, "lr": 1e-3, "seed": 0, "device": "cpu",
            "preview_n": 4, "keep_epoch_checkpoints": False}
    base.update(changes)
    return TrainConfig(**base)  # type: ignore[arg-type]


DATA = DataConfig(dataset="mnist5k")


def wake_unet(model: Any, scale: float = 0.7) -> Any:
    """Give a diffusion model's UNet (and its EMA copy) small random weight offsets, so
    its outputs are not all zero (diffusers zero-initialises the last layer), set a latent
    model's scale factor to `scale`, and return the model in eval mode."""
    import torch

    with torch.no_grad():
        for p in model.unet.parameters():
            p.add_(torch.randn_like(p) * 0.05)
        if model.ema_unet is not None:
            model.ema_unet.load_state_dict(model.unet.state_dict())
    model.set_scaling_factor(scale)
    return model.eval()
