"""Display mappings of the step viewer: UNet-frame arrays → uint8 images (no Qt here).

x_t and x̂0 live in [−1, 1]: clipped and mapped to 0..255. ε̂ is unit Gaussian noise when
the model is right: ±EPS_RANGE maps to 0..255, so 0 is mid-grey and ±3σ saturate.
"""

from __future__ import annotations

import numpy as np

from models.images import make_grid, to_uint8_nhwc

EPS_RANGE = 3.0
KINDS = ("x_t", "eps", "x0")
TITLES = {"x_t": "x_t (noisy image)", "eps": "ε̂ (predicted noise, ±3)",
          "x0": "x̂0 (predicted clean image)"}


def crop(arr: np.ndarray, image_size: int) -> np.ndarray:
    """Return B×C×S×S `arr` cropped to the centred image_size square (the UNet may pad)."""
    extra = arr.shape[-1] - image_size
    if extra <= 0:
        return arr
    a = extra // 2
    return arr[..., a:a + image_size, a:a + image_size]


def to_display(arr: np.ndarray, kind: str, image_size: int) -> np.ndarray:
    """Return uint8 B×H×W×C for a UNet-frame B×C×S×S array of `kind` (x_t, eps or x0)."""
    x = crop(np.asarray(arr, np.float32), image_size)
    scale = EPS_RANGE if kind == "eps" else 1.0
    return to_uint8_nhwc(np.clip(x / (2.0 * scale) + 0.5, 0.0, 1.0))


def tile(images: np.ndarray, sample: int | None = None, nrow: int | None = None) -> np.ndarray:
    """Return uint8 H×W×C: one sample of B×H×W×C `images`, or all of them as a grid."""
    if sample is not None:
        return np.ascontiguousarray(images[min(sample, len(images) - 1)])
    if len(images) == 1:
        return np.ascontiguousarray(images[0])
    return make_grid(images, nrow=nrow, padding=1, pad_value=60)

