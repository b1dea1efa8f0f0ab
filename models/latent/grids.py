"""Regular grids over a map region: manifold-grid positions and prior-density images."""

from __future__ import annotations

import numpy as np


def grid_positions(x_range: tuple[float, float], y_range: tuple[float, float],
                   k: int) -> np.ndarray:
    """Return k·k cell-centre positions (row-major, top row = largest y) over a region."""
    (x0, x1), (y0, y1) = x_range, y_range
    xs = x0 + (np.arange(k) + 0.5) * (x1 - x0) / k
    ys = y1 - (np.arange(k) + 0.5) * (y1 - y0) / k
    gx, gy = np.meshgrid(xs, ys)
    return np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)


def standard_normal_density(x_range: tuple[float, float], y_range: tuple[float, float],
                            shape: tuple[int, int] = (200, 200),
                            variances: tuple[float, float] = (1.0, 1.0)) -> np.ndarray:
    """Return an H×W image (row 0 = top) of a zero-mean Gaussian density over the region.

    For a 2-D latent map `variances` is (1, 1): the VAE prior. Through PCA of a larger
    latent, the prior projected on orthonormal axes is again N(0, I).
    """
    h, w = shape
    (x0, x1), (y0, y1) = x_range, y_range
    xs = np.linspace(x0, x1, w)
    ys = np.linspace(y1, y0, h)
    gx, gy = np.meshgrid(xs, ys)
    vx, vy = variances
    dens = np.exp(-0.5 * (gx**2 / vx + gy**2 / vy)) / (2 * np.pi * np.sqrt(vx * vy))
    return dens.astype(np.float32)
