"""The Pipeline dock's pictures as numpy arrays (no Qt): the latent's channels as a grid,
a token's cross-attention map over x̂0, and what each preview cost in words."""

from __future__ import annotations

import numpy as np

from app.panels.diffusion.display import latent_mosaic
from models.diffusion.events import PixelViews

OVERLAY_ALPHA = 0.6  # how strongly the attention map covers the image where it is highest


def latent_grid(latents: np.ndarray) -> np.ndarray:
    """Return uint8: the first sample's channels of B×C×h×w `latents` in false colour, two
    to a row (the diffusion dock's mosaic)."""
    latent = np.asarray(latents[0], np.float32)
    zoom = max(1, 64 // max(latent.shape[-2:]))
    return latent_mosaic(latent, cols=2, zoom=zoom)


def heat(values: np.ndarray) -> np.ndarray:
    """Return uint8 …×3 of values in [0, 1]: black → red → yellow → white."""
    v = np.clip(np.asarray(values, np.float32), 0.0, 1.0)[..., None]
    r = np.clip(v * 3.0, 0, 1)
    g = np.clip(v * 3.0 - 1.0, 0, 1)
    b = np.clip(v * 3.0 - 2.0, 0, 1)
    return (np.concatenate([r, g, b], axis=-1) * 255.0 + 0.5).astype(np.uint8)


def normalised_map(amap: np.ndarray, height: int, width: int) -> np.ndarray:
    """Return the h×w map scaled to [0, 1] (its own min..max) and brought to height×width
    by repeating each cell (the image's size is a whole multiple of the latent's)."""
    m = np.asarray(amap, np.float32)
    low, high = float(m.min()), float(m.max())
    m = (m - low) / (high - low) if high > low else np.zeros_like(m)
    fy, fx = max(1, height // m.shape[0]), max(1, width // m.shape[1])
    return np.repeat(np.repeat(m, fy, axis=0), fx, axis=1)[:height, :width]


def attention_overlay(image: np.ndarray, amap: np.ndarray) -> np.ndarray:
    """Return uint8 H×W×3: `image` (uint8 H×W×3) with the token's map (h×w) in heat
    colours over it, more opaque where the token is attended more."""
    h, w = image.shape[:2]
    m = normalised_map(amap, h, w)
    a = (m * OVERLAY_ALPHA)[..., None]
    out = image.astype(np.float32) * (1 - a) + heat(m).astype(np.float32) * a
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def costs(views: PixelViews | None, decoded_at: int | None, index: int) -> str:
    """Return one line of what this step and each preview cost, in ms."""
    if views is None:
        return ""
    parts = [f"step {views.step_ms:.0f} ms", f"linear map {views.linear_ms:.1f} ms"]
    if views.decoded is not None:
        parts.append(f"VAE {views.decode_ms:.0f} ms")
    elif decoded_at is not None and decoded_at != index:
        parts.append(f"VAE not run here (shown: step {decoded_at + 1})")
    else:
        parts.append("VAE not run at this step")
    if views.tiny is not None:
        parts.append(f"tiny decoder {views.tiny_ms:.1f} ms")
    return " · ".join(parts)
