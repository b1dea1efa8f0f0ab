"""How well a score separates anomalies from normal images (numpy only, no torch).

Positives are the anomalies; a higher score means more anomalous. Nothing here flips a
score's sign: an AUC under 0.5 is reported as it is (the model ranks the anomalies as
more typical than the normal images).
"""

from __future__ import annotations

from typing import Any

import numpy as np

HIST_BINS = 30


def roc_curve(normal: np.ndarray, anomalous: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (false positive rates, true positive rates) from (0, 0) to (1, 1), one point
    per distinct score used as the threshold `score >= threshold` (ties move together)."""
    scores = np.concatenate([anomalous, normal]).astype(np.float64)
    positive = np.concatenate([np.ones(len(anomalous)), np.zeros(len(normal))])
    order = np.argsort(-scores, kind="mergesort")
    scores, positive = scores[order], positive[order]
    # The last index of each run of equal scores: a threshold passes the whole run.
    last = np.flatnonzero(np.r_[scores[1:] != scores[:-1], True])
    tp = np.cumsum(positive)[last]
    fp = (last + 1) - tp
    tpr = np.r_[0.0, tp / max(len(anomalous), 1)]
    fpr = np.r_[0.0, fp / max(len(normal), 1)]
    return fpr, tpr


def roc_auc(normal: np.ndarray, anomalous: np.ndarray) -> float:
    """Return the area under the ROC curve: the chance that a random anomaly scores above
    a random normal image, ties counting one half (the Mann–Whitney statistic)."""
    if len(normal) == 0 or len(anomalous) == 0:
        raise ValueError("the ROC AUC needs normal and anomalous images")
    fpr, tpr = roc_curve(normal, anomalous)
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2.0))


def thin_curve(fpr: np.ndarray, tpr: np.ndarray, most: int = 201
               ) -> tuple[np.ndarray, np.ndarray]:
    """Return at most `most` points of the curve, its ends kept (for JSON and plots)."""
    if len(fpr) <= most:
        return fpr, tpr
    idx = np.unique(np.linspace(0, len(fpr) - 1, most).round().astype(np.int64))
    return fpr[idx], tpr[idx]


def shared_histograms(normal: np.ndarray, anomalous: np.ndarray, bins: int = HIST_BINS
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (bin edges, normal counts, anomalous counts) on one set of bins spanning the
    finite scores of both sets (infinite scores are counted in `summary`, not here)."""
    both = np.concatenate([normal, anomalous])
    finite = both[np.isfinite(both)]
    if len(finite) == 0:
        finite = np.zeros(1)
    lo, hi = float(finite.min()), float(finite.max())
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    edges = np.linspace(lo, hi, bins + 1)
    count = [np.histogram(s[np.isfinite(s)], edges)[0] for s in (normal, anomalous)]
    return edges, count[0], count[1]


def summary(scores: np.ndarray) -> dict[str, Any]:
    """Return n, mean, std, min, 5 %, median, 95 %, max of the finite scores, and how many
    were infinite."""
    finite = scores[np.isfinite(scores)].astype(np.float64)
    out: dict[str, Any] = {"n": len(scores), "n_infinite": int(len(scores) - len(finite))}
    if len(finite) == 0:
        return out
    q05, median, q95 = np.quantile(finite, [0.05, 0.5, 0.95])
    out.update(mean=float(finite.mean()), std=float(finite.std()), min=float(finite.min()),
               q05=float(q05), median=float(median), q95=float(q95), max=float(finite.max()))
    return out


def extremes(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the indices of the k highest scores (most anomalous first) and of the k
    lowest (least anomalous first); ties keep index order."""
    order = np.argsort(-scores, kind="mergesort")
    least = np.argsort(scores, kind="mergesort")
    return order[:k], least[:k]


def inverted_note(auc: float, score_name: str, likelihood: bool = False) -> str | None:
    """Return the sentence saying the model ranks anomalies as more normal (AUC < 0.5),
    naming the likelihood paradox when the score is a negative log-likelihood; else None."""
    if auc >= 0.5:
        return None
    why = ("it gives these out-of-distribution images a HIGHER likelihood than the normal "
           "ones (the known likelihood paradox)" if likelihood else
           "it ranks them as more typical than the normal images")
    return (f"Inverted: the model's {score_name} is LOWER for the anomalies than for the "
            f"normal images (AUC {auc:.3f} < 0.5): {why}. The score's sign was not flipped.")
