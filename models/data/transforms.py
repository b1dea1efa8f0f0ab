"""Resizing and channel conversion of uint8 image batches (Pillow, no torch)."""

from __future__ import annotations

import numpy as np
from PIL import Image


def convert_channels(images: np.ndarray, channels: int) -> np.ndarray:
    """Return N×channels×H×W: grey is repeated to RGB, RGB is reduced by ITU-R 601 luma."""
    have = images.shape[1]
    if have == channels:
        return images
    if have == 1 and channels == 3:
        return np.repeat(images, 3, axis=1)
    if have == 3 and channels == 1:
        weights = np.array([0.299, 0.587, 0.114], dtype=np.float32)[None, :, None, None]
        grey = (images.astype(np.float32) * weights).sum(axis=1, keepdims=True)
        return np.clip(np.rint(grey), 0, 255).astype(np.uint8)
    raise ValueError(f"cannot convert {have} channels to {channels}")


def resize(images: np.ndarray, size: int) -> np.ndarray:
    """Return the batch resized to size×size with bicubic filtering (antialiased)."""
    if images.shape[2] == size and images.shape[3] == size:
        return images
    out = np.empty((len(images), images.shape[1], size, size), dtype=np.uint8)
    for i, img in enumerate(images):
        for c in range(images.shape[1]):
            pil = Image.fromarray(img[c])
            out[i, c] = np.asarray(pil.resize((size, size), Image.Resampling.BICUBIC))
    return out
