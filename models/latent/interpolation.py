"""Interpolation helpers: path frames, seeded latents, per-dimension activity and spread.

Qt-free building blocks of the Interpolation panel; the path maths itself lives in paths.py.
"""

from __future__ import annotations

import numpy as np

from models.latent.paths import lerp, slerp

LINEAR, SLERP = "linear", "slerp"
PATHS = {LINEAR: lerp, SLERP: slerp}


def path_latents(a: np.ndarray, b: np.ndarray, alphas: float | np.ndarray,
                 method: str = LINEAR) -> np.ndarray:
    """Return float32 latents on the `method` path from a to b at each α (N×D, or D if scalar)."""
    if method not in PATHS:
        raise ValueError(f"unknown path {method!r}; choose {' or '.join(PATHS)}")
    return np.asarray(PATHS[method](np.asarray(a, np.float32), np.asarray(b, np.float32),
                                    alphas), np.float32)


def frame_alphas(n: int, extrapolate: bool = False) -> np.ndarray:
    """Return n evenly spaced α over [0, 1], or over [−0.5, 1.5] when extrapolating."""
    if n < 2:
        raise ValueError("a strip needs at least two frames")
    lo, hi = (-0.5, 1.5) if extrapolate else (0.0, 1.0)
    return np.linspace(lo, hi, n)


def seeded_latent(seed: int, center: np.ndarray, std: np.ndarray) -> np.ndarray:
    """Return the float32 latent center + std·ε, ε ~ N(0, I) drawn from `seed` (same seed, same z).

    For a VAE or GAN pass center 0 and std 1 (the prior); for an AE the codes' moments.
    """
    eps = np.random.default_rng(int(seed)).standard_normal(np.shape(center))
    return (np.asarray(center, np.float64) + np.asarray(std, np.float64) * eps).astype(np.float32)


def kl_per_dimension(means: np.ndarray, logvars: np.ndarray) -> np.ndarray:
    """Return the mean KL(q(z_d|x) ‖ N(0, 1)) of each dimension over the N encoded images."""
    mu, lv = np.asarray(means, np.float64), np.asarray(logvars, np.float64)
    return (0.5 * (mu**2 + np.exp(lv) - lv - 1.0)).mean(0).astype(np.float32)


def dimension_order(activity: np.ndarray) -> np.ndarray:
    """Return dimension indices, most active first (ties keep index order)."""
    return np.argsort(-np.asarray(activity, np.float64), kind="stable")


def aggregate_spread(means: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (centre, σ) per dimension of the aggregate posterior (σ floored so sliders move)."""
    m = np.asarray(means, np.float64)
    return m.mean(0).astype(np.float32), np.maximum(m.std(0), 1e-3).astype(np.float32)


def with_dimension(z: np.ndarray, dim: int, value: float) -> np.ndarray:
    """Return a copy of latent z with dimension `dim` set to `value`."""
    out = np.array(z, np.float32, copy=True)
    out[dim] = value
    return out


def class_weights(label_a: int, label_b: int, alphas: float | np.ndarray,
                  num_classes: int) -> np.ndarray:
    """Return N×K class weights moving from one-hot(label_a) to one-hot(label_b) (N×K, or K).

    These interpolate a conditional model's class input the way `lerp` does its latent;
    α outside [0, 1] extrapolates (weights then leave the simplex, as the latent does).
    """
    eye = np.eye(num_classes, dtype=np.float32)
    return lerp(eye[label_a], eye[label_b], alphas).astype(np.float32)


def fill_order(n: int) -> list[int]:
    """Return frame indices coarse to fine: both ends, the middle, then the quarters, …

    Frames computed in this order give a usable (coarse) scrub early on.
    """
    if n <= 0:
        return []
    order, seen = [0], {0}
    if n > 1:
        order.append(n - 1)
        seen.add(n - 1)
    step = n - 1
    while step > 1:
        half = step / 2
        for k in np.arange(half, n - 1, step):
            i = round(float(k))
            if i not in seen:
                seen.add(i)
                order.append(i)
        step = half
    order += [i for i in range(n) if i not in seen]
    return order
