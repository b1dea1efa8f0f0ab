"""Paths between latents: linear and spherical interpolation, arithmetic, traversals."""

from __future__ import annotations

import numpy as np


def lerp(a: np.ndarray, b: np.ndarray, alpha: float | np.ndarray) -> np.ndarray:
    """Return a + α(b − a); α outside [0, 1] extrapolates. α may be a vector (one row each)."""
    alpha = np.asarray(alpha, dtype=np.float64)
    out = a[None] + alpha.reshape(-1, *([1] * a.ndim)) * (b - a)[None]
    return (out if alpha.ndim else out[0]).astype(np.result_type(a, np.float32))


def slerp(a: np.ndarray, b: np.ndarray, alpha: float | np.ndarray) -> np.ndarray:
    """Return the spherical interpolation from a to b (magnitudes interpolated linearly).

    Equal-norm inputs keep their norm along the path; nearly parallel inputs fall back to
    lerp. α outside [0, 1] extrapolates along the same great circle.
    """
    alpha = np.asarray(alpha, dtype=np.float64)
    af, bf = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    na, nb = np.linalg.norm(af), np.linalg.norm(bf)
    if na == 0 or nb == 0:
        return lerp(a, b, alpha)
    ua, ub = af / na, bf / nb
    omega = np.arccos(np.clip(ua @ ub, -1.0, 1.0))
    if omega < 1e-6:
        return lerp(a, b, alpha)
    t = alpha.reshape(-1, 1)
    direction = (np.sin((1 - t) * omega) * ua + np.sin(t * omega) * ub) / np.sin(omega)
    out = direction * ((1 - t) * na + t * nb)
    out = out.reshape(-1, *a.shape).astype(np.result_type(a, np.float32))
    return out if alpha.ndim else out[0]


def arithmetic(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Return A − B + C (e.g. 'smiling woman' − 'woman' + 'man')."""
    return a - b + c


def attribute_vector(group_a: np.ndarray, group_b: np.ndarray) -> np.ndarray:
    """Return mean(group_a) − mean(group_b): the direction from group B's look to A's."""
    if len(group_a) == 0 or len(group_b) == 0:
        raise ValueError("both groups need at least one point")
    return group_a.mean(0) - group_b.mean(0)


def traversal_values(center: float, std: float, n: int, span: float = 3.0) -> np.ndarray:
    """Return n evenly spaced values over center ± span·std."""
    return np.linspace(center - span * std, center + span * std, n)


def traversal_grid(base: np.ndarray, dims: list[int], values: np.ndarray) -> np.ndarray:
    """Return len(dims)×len(values) latents: `base` with one dimension swept per row."""
    grid = np.repeat(base[None, None], len(dims), 0).repeat(len(values), 1).copy()
    for row, d in enumerate(dims):
        grid[row, :, d] = values
    return grid.reshape(-1, base.shape[-1])
