"""Metrics that are exact on toy data, because the true distribution is known. numpy only.

- Modes (Gaussian mixtures only): a sample is *high quality* when it lies within
  `k`·σ of its nearest mode centre (k = 3 by default, as in the unrolled-GAN and VEEGAN
  papers); a mode is *covered* when at least `cover_share`/K of all samples are
  high-quality samples of it (K modes; default 1/4 of a fair share: 3.1 % for 8 modes).
- Grid divergences: the square [-extent, extent]² cut into `bins`×`bins` cells plus one
  cell for everything outside. The true probability of each cell is exact for the mixtures
  (products of normal CDF differences), and for the other named sets the histogram of a
  fixed reference sample of 10⁶ points (of drawn/imported points: those points). The
  model's probability is the histogram of its samples with `alpha` = 0.01 pseudo-counts
  added to every cell (so a cell without samples costs a bounded amount, not infinity).
  KL(true‖model) and JS are in nats; JS ≤ ln 2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from models.toy.data import ToyData

HQ_SIGMAS = 3.0
COVER_SHARE = 0.25
GRID_BINS = 48
SMOOTHING = 0.01
REFERENCE_SIZE = 1_000_000


@dataclass(frozen=True)
class ModeStats:
    """Per-mode high-quality counts and the summary the targets use."""

    counts: np.ndarray  # (K,) high-quality samples nearest each mode
    n_samples: int
    modes_covered: int
    high_quality: float  # share of all samples that are high quality
    k_sigmas: float
    cover_share: float


def mode_stats(samples: np.ndarray, data: ToyData, k_sigmas: float = HQ_SIGMAS,
               cover_share: float = COVER_SHARE) -> ModeStats:
    """Return the modes covered and the high-quality share of `samples` (n, 2).

    Raises ValueError when `data` is not a mixture with known centres."""
    if not data.is_mixture:
        raise ValueError(f"{data.name} has no mode centres: mode metrics need a mixture")
    x = np.asarray(samples, dtype=np.float64)
    finite = np.isfinite(x).all(1)
    d2 = ((x[finite, None, :] - data.centres[None]) ** 2).sum(-1)
    nearest = d2.argmin(1)
    good = np.sqrt(d2.min(1)) <= k_sigmas * data.sigma
    k = len(data.centres)
    counts = np.bincount(nearest[good], minlength=k)
    n = len(x)
    need = cover_share * n / k
    return ModeStats(counts, n, int((counts >= need).sum()), float(good.sum() / max(n, 1)),
                     k_sigmas, cover_share)


@dataclass(frozen=True)
class Grid:
    """A square grid [-extent, extent]² of bins×bins cells."""

    extent: float
    bins: int = GRID_BINS

    @property
    def edges(self) -> np.ndarray:
        """Return the bins+1 cell edges along either axis."""
        return np.linspace(-self.extent, self.extent, self.bins + 1)

    @property
    def centres(self) -> np.ndarray:
        """Return the (bins*bins, 2) cell centres, x fastest (row-major image order)."""
        e = self.edges
        c = (e[:-1] + e[1:]) / 2
        xx, yy = np.meshgrid(c, c, indexing="xy")
        return np.stack([xx.ravel(), yy.ravel()], 1)

    def histogram(self, points: np.ndarray) -> np.ndarray:
        """Return counts (bins*bins + 1,): cells row-major (y rows), last = outside/NaN."""
        p = np.asarray(points, dtype=np.float64)
        inside = np.isfinite(p).all(1) & (np.abs(p) < self.extent).all(1)
        h, _, _ = np.histogram2d(p[inside, 1], p[inside, 0], bins=[self.edges, self.edges])
        return np.append(h.ravel(), len(p) - inside.sum())


def _normal_cdf(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


def true_cell_probs(data: ToyData, grid: Grid) -> np.ndarray:
    """Return the true probability of each grid cell (bins*bins + 1,), summing to 1."""
    if data.is_mixture:
        e = grid.edges
        probs = np.zeros((grid.bins, grid.bins))
        w = data.weights if data.weights is not None else np.full(len(data.centres),
                                                                  1 / len(data.centres))
        for (cx, cy), wi in zip(data.centres, w, strict=True):
            px = np.diff(_normal_cdf((e - cx) / data.sigma))
            py = np.diff(_normal_cdf((e - cy) / data.sigma))
            probs += wi * np.outer(py, px)
        inside = probs.ravel()
        return np.append(inside, max(0.0, 1 - inside.sum()))
    if data.sampler is not None:
        return _reference_probs(data.name, grid.extent, grid.bins, data.sampler)
    h = grid.histogram(data.points)
    return h / h.sum()


@lru_cache(maxsize=16)
def _reference_probs(name: str, extent: float, bins: int, sampler) -> np.ndarray:
    pts = sampler(REFERENCE_SIZE, np.random.default_rng(20261130))
    h = Grid(extent, bins).histogram(pts)
    return h / h.sum()


@dataclass(frozen=True)
class GridDivergence:
    """KL(true‖model) and JS(true, model) in nats on a stated grid."""

    kl: float
    js: float
    extent: float
    bins: int
    smoothing: float
    n_samples: int


def _kl(p: np.ndarray, q: np.ndarray) -> float:
    m = p > 0
    return float((p[m] * np.log(p[m] / q[m])).sum())


def grid_divergence(samples: np.ndarray, data: ToyData, bins: int = GRID_BINS,
                    alpha: float = SMOOTHING) -> GridDivergence:
    """Return KL(true‖model) and JS of the samples' histogram against the true cell
    probabilities on data's grid (see the module docstring for the grid and smoothing)."""
    grid = Grid(data.extent, bins)
    p = true_cell_probs(data, grid)
    h = grid.histogram(samples)
    q = (h + alpha) / (h.sum() + alpha * len(h))
    mid = (p + q) / 2
    js = 0.5 * _kl(p, mid) + 0.5 * _kl(q, mid)
    return GridDivergence(_kl(p, q), js, grid.extent, bins, alpha, int(h.sum()))


def true_log_likelihood(data: ToyData, points: np.ndarray) -> float:
    """Return the mean true log-density (nats) of `points` under a mixture set: the
    ceiling a model's log-likelihood on the data approaches."""
    if not data.is_mixture:
        raise ValueError(f"{data.name}: the true density is known in closed form for mixtures")
    x = np.asarray(points, dtype=np.float64)
    s2 = data.sigma ** 2
    d2 = ((x[:, None, :] - data.centres[None]) ** 2).sum(-1)
    w = data.weights if data.weights is not None else np.full(len(data.centres),
                                                              1 / len(data.centres))
    logc = np.log(w)[None] - d2 / (2 * s2) - math.log(2 * math.pi * s2)
    top = logc.max(1, keepdims=True)
    return float((top[:, 0] + np.log(np.exp(logc - top).sum(1))).mean())


def density_divergence(log_density, data: ToyData, bins: int = GRID_BINS,
                       normalised: bool = True, sub: int = 4) -> GridDivergence:
    """Return KL(true‖model) and JS with the model's cell masses taken from its density
    instead of samples: `log_density(points) -> (n,)` evaluated at sub×sub midpoints per
    cell. For a normalised density (a flow) the mass left outside the grid is the outside
    cell; an unnormalised one (an EBM's −E) is normalised over the grid, outside 0."""
    grid = Grid(data.extent, bins * sub)
    logp = np.asarray(log_density(grid.centres), dtype=np.float64)
    cell_area = (2 * data.extent / (bins * sub)) ** 2
    if normalised:
        fine = np.exp(logp) * cell_area
    else:
        fine = np.exp(logp - logp.max())
        fine = fine / fine.sum()
    mass = fine.reshape(bins, sub, bins, sub).sum((1, 3)).ravel()
    q = np.append(mass, max(0.0, 1 - mass.sum()))
    q = np.maximum(q / q.sum(), 1e-12)
    p = true_cell_probs(data, Grid(data.extent, bins))
    mid = (p + q) / 2
    js = 0.5 * _kl(p, mid) + 0.5 * _kl(q, mid)
    return GridDivergence(_kl(p, q), js, data.extent, bins, 0.0, 0)
