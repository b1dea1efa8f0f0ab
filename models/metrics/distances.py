"""Distribution distances on feature vectors: Fréchet distance, k-NN precision/recall and
density/coverage.

Inputs are N×D feature arrays (numpy or torch). Statistics are float64: the Fréchet
distance subtracts nearly equal traces and loses digits in float32.
"""

from __future__ import annotations

import numpy as np
import torch


def _as_numpy64(features: np.ndarray | torch.Tensor) -> np.ndarray:
    if isinstance(features, torch.Tensor):
        features = features.detach().cpu().numpy()
    return np.asarray(features, dtype=np.float64)


def _cdist(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Return exact pairwise distances: the matrix-product shortcut rounds d(x, y) and
    d(y, x) differently, which moves points that sit on a k-NN ball's edge in or out."""
    return torch.cdist(a, b, compute_mode="donot_use_mm_for_euclid_dist")


def _as_torch64(features: np.ndarray | torch.Tensor) -> torch.Tensor:
    return torch.as_tensor(_as_numpy64(features))


def feature_stats(features: np.ndarray | torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Return (mean D, covariance D×D) of N×D features in float64."""
    f = _as_numpy64(features)
    if len(f) < 2:
        raise ValueError("need at least 2 feature vectors for a covariance")
    return f.mean(0), np.cov(f, rowvar=False)


def _psd_sqrt(m: np.ndarray) -> np.ndarray:
    """Return the symmetric square root of a symmetric positive semi-definite matrix."""
    w, v = np.linalg.eigh((m + m.T) * 0.5)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray,
                     sigma2: np.ndarray) -> float:
    """Return ‖μ1 − μ2‖² + tr(Σ1 + Σ2 − 2 (Σ1 Σ2)^½) between two Gaussians.

    tr((Σ1 Σ2)^½) is computed as Σ √λ of the symmetric PSD matrix Σ1^½ Σ2 Σ1^½ (same
    eigenvalues), which stays real and stable where scipy's sqrtm of Σ1 Σ2 can go complex
    on singular covariances (post-ReLU features often have dead units).
    """
    s1 = _psd_sqrt(sigma1)
    inner = s1 @ sigma2 @ s1
    eig = np.linalg.eigvalsh((inner + inner.T) * 0.5)
    tr_sqrt = float(np.sqrt(np.clip(eig, 0.0, None)).sum())
    diff = mu1 - mu2
    value = float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * tr_sqrt)
    return max(value, 0.0)


def frechet_distance_features(a: np.ndarray | torch.Tensor,
                              b: np.ndarray | torch.Tensor) -> float:
    """Return the Fréchet distance between the Gaussians fitted to two feature sets."""
    return frechet_distance(*feature_stats(a), *feature_stats(b))


def unit_rows(features: np.ndarray | torch.Tensor) -> torch.Tensor:
    """Return the N×D features as float64 rows scaled to unit length (all-zero rows stay 0).

    The k-NN metrics compare feature directions: a classifier maps inputs unlike its
    training data (noise, blank images) to low-activation features near the origin, where
    the large k-NN balls of faint real digits reach them; on the unit sphere they point
    away from every digit. A zero row is at distance 1 from every unit row, farther than
    any real k-NN radius for the shipped classifier (largest: 0.7).
    """
    f = _as_torch64(features)
    return f / f.norm(dim=1, keepdim=True).clamp_min(1e-12)


def kth_neighbour_radii(f: torch.Tensor, k: int, chunk: int = 1024) -> torch.Tensor:
    """Return each row's distance to its k-th nearest other row (NND_k)."""
    if len(f) <= k:
        raise ValueError(f"k-NN metrics with k={k} need more than {k} points per set")
    radii = []
    for start in range(0, len(f), chunk):
        d = _cdist(f[start:start + chunk], f)
        # k + 1: the smallest distance is the point to itself (0).
        radii.append(d.topk(k + 1, dim=1, largest=False).values[:, k])
    return torch.cat(radii)


def ball_hits(queries: torch.Tensor, centres: torch.Tensor, radii: torch.Tensor,
              chunk: int = 1024) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (per query: how many centres' balls hold it, per centre: whether any query
    lies in its ball). A point on the sphere's surface counts as inside."""
    counts = torch.zeros(len(queries), dtype=torch.int64)
    reached = torch.zeros(len(centres), dtype=torch.bool)
    for start in range(0, len(queries), chunk):
        inside = _cdist(queries[start:start + chunk], centres) <= radii.unsqueeze(0)
        counts[start:start + chunk] = inside.sum(dim=1)
        reached |= inside.any(dim=0)
    return counts, reached


def precision_recall(real: np.ndarray | torch.Tensor, fake: np.ndarray | torch.Tensor,
                     k: int = 3, chunk: int = 1024) -> tuple[float, float]:
    """Return (precision, recall) of Kynkäänniemi et al. (2019) with k-NN manifolds.

    Precision: share of fakes inside some real point's k-NN ball (realism).
    Recall: share of reals inside some fake point's k-NN ball (coverage of the data).
    One real outlier's large ball can hold a whole cluster of bad fakes, so precision can
    read 1.0 for garbage: read it beside `density_coverage`.
    """
    r, f = _as_torch64(real), _as_torch64(fake)
    if len(r) <= k or len(f) <= k:
        raise ValueError(f"precision/recall with k={k} needs more than {k} points per set")
    in_real, _ = ball_hits(f, r, kth_neighbour_radii(r, k, chunk), chunk)
    in_fake, _ = ball_hits(r, f, kth_neighbour_radii(f, k, chunk), chunk)
    return float((in_real > 0).double().mean()), float((in_fake > 0).double().mean())


def density_coverage(real: np.ndarray | torch.Tensor, fake: np.ndarray | torch.Tensor,
                     k: int = 5, chunk: int = 1024,
                     real_radii: torch.Tensor | None = None) -> tuple[float, float]:
    """Return (density, coverage) of Naeem et al. (2020) with real k-NN balls only.

    Density = (1/kM) Σ_j Σ_i 1[Y_j ∈ B(X_i, NND_k(X_i))]: how many real balls hold a fake
    on average, over k (≈1 for fakes distributed like the reals, unbounded above).
    Coverage = (1/N) Σ_i 1[∃ j: Y_j ∈ B(X_i, NND_k(X_i))]: the share of real points with
    a fake nearby, in [0, 1]. Fakes piled on one spot reach few real balls, so a collapsed
    generator (or one that maps everything to one feature point) gets low coverage however
    close that spot is to the data. `real_radii` (NND_k of `real`) skips recomputing them.
    """
    r, f = _as_torch64(real), _as_torch64(fake)
    if len(f) == 0:
        raise ValueError("density/coverage need at least one generated point")
    radii = kth_neighbour_radii(r, k, chunk) if real_radii is None else real_radii
    counts, reached = ball_hits(f, r, radii, chunk)
    return float(counts.sum()) / (k * len(f)), float(reached.double().mean())


def class_coverage(probs: np.ndarray | torch.Tensor, min_share: float = 0.25,
                   dominant_share: float = 3.0, min_classes: float = 0.8) -> dict[str, object]:
    """Return the predicted-class histogram of generated images and a mode-collapse flag.

    A class counts as covered when it gets at least `min_share` of its uniform share (2.5%
    of samples for 10 classes). Mode collapse: fewer than `min_classes` of the classes
    covered, or one class above `dominant_share` times its uniform share (30% for 10).
    Returns class_histogram (counts), class_coverage, max_class_share,
    class_entropy (normalised: 1 = uniform), mean_confidence and mode_collapse.
    """
    p = _as_numpy64(probs)
    n, k = p.shape
    counts = np.bincount(p.argmax(1), minlength=k)
    shares = counts / max(n, 1)
    covered = int((shares >= min_share / k).sum())
    nz = shares[shares > 0]
    entropy = float(-(nz * np.log(nz)).sum() / np.log(k)) if k > 1 else 1.0
    max_share = float(shares.max())
    collapse = covered < int(np.ceil(min_classes * k)) or max_share > dominant_share / k
    return {"class_histogram": counts.tolist(), "class_coverage": covered,
            "max_class_share": max_share, "class_entropy": entropy,
            "mean_confidence": float(p.max(1).mean()), "mode_collapse": bool(collapse)}
