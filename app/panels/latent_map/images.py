"""Numpy image helpers of the latent map: class colours, manifold mosaics, prior shading."""

from __future__ import annotations

import numpy as np

# tab10: distinct and colour-blind-friendlier than pyqtgraph's defaults.
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")
UNLABELLED = "#9a9a9a"


def class_colour(label: int) -> str:
    """Return the colour of class `label` (grey for −1, unlabelled)."""
    return UNLABELLED if label < 0 else PALETTE[label % len(PALETTE)]


def manifold_mosaic(tiles: np.ndarray, k: int) -> np.ndarray:
    """Return an RGBA mosaic of k·k uint8 N×H×W×C tiles (row-major, top row first),
    flipped so row 0 is the bottom, as a y-up ImageItem draws it.

    Grey tiles become dark ink whose opacity is the pixel value, so the coloured scatter
    stays visible between the strokes; colour tiles are drawn nearly opaque.
    """
    _, h, w, c = tiles.shape
    mosaic = tiles[:k * k].reshape(k, k, h, w, c).transpose(0, 2, 1, 3, 4).reshape(
        k * h, k * w, c)
    rgba = np.empty((k * h, k * w, 4), np.uint8)
    if c == 1:
        rgba[..., :3] = 20
        rgba[..., 3] = (mosaic[..., 0].astype(np.uint16) * 200 // 255).astype(np.uint8)
    else:
        rgba[..., :3] = mosaic
        rgba[..., 3] = 230
    return np.ascontiguousarray(rgba[::-1])


def prior_shading(density: np.ndarray, rgb: tuple[int, int, int] = (106, 61, 154),
                  max_alpha: int = 150) -> np.ndarray:
    """Return an RGBA image (row 0 = bottom) shading an H×W density (row 0 = top).

    Opacity follows density^0.6 so the 2–3σ shoulders, where holes between clusters
    usually sit, stay visible on a projector.
    """
    alpha = (density / max(float(density.max()), 1e-12)) ** 0.6 * max_alpha
    rgba = np.empty((*density.shape, 4), np.uint8)
    rgba[..., :3] = rgb
    rgba[..., 3] = alpha.astype(np.uint8)
    return np.ascontiguousarray(rgba[::-1])
