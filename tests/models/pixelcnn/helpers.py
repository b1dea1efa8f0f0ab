"""Tiny PixelCNNs for the tests."""

from __future__ import annotations

import torch

from models.pixelcnn.config import PixelCNNConfig
from models.pixelcnn.model import PixelCNN


def tiny(channels: int = 1, size: int = 8, conditional: bool = False, seed: int = 0,
         **changes: object) -> PixelCNN:
    """Return a small PixelCNN in eval mode with weights drawn from `seed`."""
    torch.manual_seed(seed)
    kwargs = {"channels": channels, "image_size": size, "filters": 6, "gated_layers": 2,
              "output_filters": 6, "class_conditional": conditional, **changes}
    return PixelCNN(PixelCNNConfig(**kwargs)).eval()


def sharpened(model: PixelCNN, factor: float = 3.0) -> PixelCNN:
    """Return `model` with every weight scaled by `factor`: far-from-uniform outputs, so
    draws and dependencies show."""
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(factor)
    return model
