"""Distribution distances on feature vectors: Fréchet distance and k-NN precision/recall.

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


def _kth_neighbour_radii(f: torch.Tensor, k: int, chunk: int) -> torch.Tensor:
    """Return each row's distance to its k-th nearest other row."""
    radii = []
    for start in range(0, len(f), chunk):
        d = torch.cdist(f[start:start + chunk], f)
        # k + 1: the smallest distance is the point to itself (0).
        radii.append(d.topk(k + 1, dim=1, largest=False).values[:, k])
    return torch.cat(radii)


def _inside_any_ball(queries: torch.Tensor, centres: torch.Tensor, radii: torch.Tensor,
                     chunk: int) -> torch.Tensor:
    """Return, per query, whether it lies within radius of at least one centre."""
    hits = []
    for start in range(0, len(queries), chunk):
        d = torch.cdist(queries[start:start + chunk], centres)
        hits.append((d <= radii.unsqueeze(0)).any(dim=1))
    return torch.cat(hits)


def precision_recall(real: np.ndarray | torch.Tensor, fake: np.ndarray | torch.Tensor,
                     k: int = 3, chunk: int = 1024) -> tuple[float, float]:
    """Return (precision, recall) of Kynkäänniemi et al. (2019) with k-NN manifolds.

    Precision: share of fakes inside some real point's k-NN ball (realism).
    Recall: share of reals inside some fake point's k-NN ball (coverage of the data).
    """
    r = torch.as_tensor(_as_numpy64(real))
    f = torch.as_tensor(_as_numpy64(fake))
    if len(r) <= k or len(f) <= k:
        raise ValueError(f"precision/recall with k={k} needs more than {k} points per set")
    precision = _inside_any_ball(f, r, _kth_neighbour_radii(r, k, chunk), chunk)
    recall = _inside_any_ball(r, f, _kth_neighbour_radii(f, k, chunk), chunk)
    return float(precision.double().mean()), float(recall.double().mean())


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
