"""Linear discriminant analysis: the linear 2-D view of a latent space that best separates
its classes, with an exact inverse on its plane (so map positions can be decoded)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Within-class covariance shrinkage towards its mean variance: keeps the fit stable when a
# class has few samples or the latent has directions no sample varies along.
SHRINKAGE = 1e-3


@dataclass(frozen=True)
class LDAProjection:
    """A fitted LDA: positions p = (z − mean)·componentsᵀ, latents z = mean + p·inverse.

    `components` (k×D) are the top discriminant directions, scaled so each class spreads
    with unit standard deviation along each axis. `inverse` (k×D) maps a position to the
    least-squares estimate of the latents drawn there, E[z | p] under the latents' own
    covariance: a plane through `mean`, and transform(inverse_transform(p)) == p exactly.
    `explained_ratio` is each axis' share of the classes' separation (between-class
    variance over within-class variance, summed over all discriminant axes).
    """

    mean: np.ndarray
    components: np.ndarray
    inverse: np.ndarray
    explained_ratio: np.ndarray

    invertible = True

    @classmethod
    def fit(cls, latents: np.ndarray, labels: np.ndarray, k: int = 2) -> LDAProjection:
        """Return the LDA of N×D `latents` by `labels` (−1: unlabelled, left out of the fit).

        Raises ValueError with fewer than two labelled classes.
        """
        x = np.asarray(latents, np.float64)
        y = np.asarray(labels)
        known = y >= 0
        classes = np.unique(y[known])
        if len(classes) < 2:
            raise ValueError("LDA needs at least two classes")
        xk, yk = x[known], y[known]
        mean = x.mean(0)
        class_means = np.stack([xk[yk == c].mean(0) for c in classes])
        counts = np.array([(yk == c).sum() for c in classes], np.float64)
        resid = xk - class_means[np.searchsorted(classes, yk)]
        within = resid.T @ resid / max(len(xk) - len(classes), 1)
        d = len(within)
        within = (1 - SHRINKAGE) * within + SHRINKAGE * np.trace(within) / d * np.eye(d)
        centred_means = class_means - xk.mean(0)
        between = (centred_means.T * counts) @ centred_means / len(xk)
        # Whiten the within-class scatter, then the discriminants are the principal axes
        # of the whitened between-class scatter (the generalised eigenproblem Sb v = λ Sw v).
        w_val, w_vec = np.linalg.eigh(within)
        whiten = w_vec / np.sqrt(np.maximum(w_val, 1e-12))
        lam, vec = np.linalg.eigh(whiten.T @ between @ whiten)
        order = np.argsort(lam)[::-1]
        lam = np.maximum(lam[order], 0.0)
        comps = (whiten @ vec[:, order[:k]]).T
        # Fix each axis' sign so refits of similar data do not flip the picture.
        signs = np.sign(comps[np.arange(len(comps)), np.abs(comps).argmax(1)])
        comps = comps * np.where(signs == 0, 1.0, signs)[:, None]
        ratio = lam[:k] / max(lam.sum(), 1e-12)
        return cls(mean, comps, _least_squares_inverse(x, mean, comps), ratio)

    def transform(self, latents: np.ndarray) -> np.ndarray:
        """Return N×k positions of N×D latents."""
        z = np.asarray(latents, np.float64)
        return ((z - self.mean) @ self.components.T).astype(np.float32)

    def inverse_transform(self, points: np.ndarray) -> np.ndarray:
        """Return N×D latents on the map's plane for N×k positions."""
        return (self.mean + np.asarray(points, np.float64) @ self.inverse).astype(np.float32)

    def rotated(self, rotation: np.ndarray) -> LDAProjection:
        """Return this map with positions p·R (R k×k orthogonal): the same plane, turned."""
        r = np.asarray(rotation, np.float64)
        ratio = np.diag(r.T @ np.diag(self.explained_ratio) @ r)
        return LDAProjection(self.mean, r.T @ self.components, r.T @ self.inverse, ratio)


def _least_squares_inverse(x: np.ndarray, mean: np.ndarray, comps: np.ndarray) -> np.ndarray:
    """Return the k×D matrix B with z ≈ mean + p·B for p = (z − mean)·compsᵀ (least squares).

    B = (W Σ Wᵀ)⁻¹ W Σ for the latents' covariance Σ: then p·B·Wᵀ = p, so positions invert
    exactly; for isotropic latents (a GAN's prior samples) it is the pseudo-inverse of W.
    """
    centred = x - mean
    cov = centred.T @ centred / max(len(x) - 1, 1)
    cw = comps @ cov  # k×D
    gram = cw @ comps.T
    if np.linalg.cond(gram) > 1e12:  # degenerate data: fall back to the pseudo-inverse
        return np.linalg.pinv(comps).T
    return np.linalg.solve(gram, cw)


def separation(positions: np.ndarray, labels: np.ndarray) -> float:
    """Return between-class over within-class variance of labelled `positions` (Fisher's
    ratio: higher means the classes sit further apart relative to their spread)."""
    p = np.asarray(positions, np.float64)
    y = np.asarray(labels)
    p, y = p[y >= 0], y[y >= 0]
    centre = p.mean(0)
    between = within = 0.0
    for c in np.unique(y):
        pc = p[y == c]
        mc = pc.mean(0)
        between += len(pc) * float(np.sum((mc - centre) ** 2))
        within += float(np.sum((pc - mc) ** 2))
    return between / max(within, 1e-12)
