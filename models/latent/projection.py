"""2-D views of a latent space: identity for 2-D latents, PCA (invertible), alignment."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PCAProjection:
    """A fitted PCA: mean, the top-k principal axes (rows) and their explained variance."""

    mean: np.ndarray
    components: np.ndarray  # k×D, orthonormal rows
    explained_variance: np.ndarray
    total_variance: float

    invertible = True

    @classmethod
    def fit(cls, latents: np.ndarray, k: int = 2) -> PCAProjection:
        """Return the PCA of N×D `latents` keeping k axes (sign fixed for stable views)."""
        x = latents.astype(np.float64)
        mean = x.mean(0)
        centred = x - mean
        _, s, vt = np.linalg.svd(centred, full_matrices=False)
        comps = vt[:k]
        # Fix each axis' sign so refits of similar data do not flip the picture.
        signs = np.sign(comps[np.arange(len(comps)), np.abs(comps).argmax(1)])
        comps = comps * signs[:, None]
        var = s**2 / max(len(x) - 1, 1)
        if comps.shape[0] < k:  # fewer dimensions than asked: pad with zero axes
            comps = np.vstack([comps, np.zeros((k - comps.shape[0], x.shape[1]))])
            var = np.concatenate([var, np.zeros(k - len(var))])
        return cls(mean, comps, var[:k], float(var.sum()))

    @property
    def explained_ratio(self) -> np.ndarray:
        """Return the share of the total variance each kept axis explains."""
        return self.explained_variance / max(self.total_variance, 1e-12)

    def transform(self, latents: np.ndarray) -> np.ndarray:
        """Return N×k coordinates of N×D latents."""
        return ((latents.astype(np.float64) - self.mean) @ self.components.T).astype(np.float32)

    def inverse_transform(self, points: np.ndarray) -> np.ndarray:
        """Return N×D latents for N×k map positions: the mean plus the kept axes only."""
        return (self.mean + np.asarray(points, np.float64) @ self.components).astype(np.float32)


def procrustes_rotation(previous: np.ndarray, current: np.ndarray) -> np.ndarray:
    """Return the k×k orthogonal matrix R minimising ‖current·R − previous‖ (same points)."""
    u, _, vt = np.linalg.svd(current.T.astype(np.float64) @ previous.astype(np.float64))
    return u @ vt


def align_pca(previous: PCAProjection, current: PCAProjection,
              latents: np.ndarray) -> PCAProjection:
    """Return `current` rotated/reflected so the points sit where `previous` drew them."""
    rot = procrustes_rotation(previous.transform(latents), current.transform(latents))
    comps = rot.T @ current.components
    var = np.diag(rot.T @ np.diag(current.explained_variance) @ rot)
    return PCAProjection(current.mean, comps, var, current.total_variance)


def align_pca_to_positions(previous_positions: np.ndarray, current: PCAProjection,
                           latents: np.ndarray) -> PCAProjection:
    """Return `current` rotated/reflected so each point lands near its previous position.

    For refreshes of one dataset's map (row i is the same image before and after): unlike
    align_pca, this follows the points even when the encoder itself flipped or rotated its
    latent space between epochs.
    """
    rot = procrustes_rotation(previous_positions, current.transform(latents))
    comps = rot.T @ current.components
    var = np.diag(rot.T @ np.diag(current.explained_variance) @ rot)
    return PCAProjection(current.mean, comps, var, current.total_variance)
