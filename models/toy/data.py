"""Seeded 2-D datasets: named sets with their mixture centres, points given as an array
(drawn by hand) and two-column CSV files. numpy only."""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

Sampler = Callable[[int, np.random.Generator], np.ndarray]


class ToyDataError(ValueError):
    """A toy dataset could not be made or read; the message is one line."""


@dataclass(frozen=True)
class ToyData:
    """A 2-D dataset: `points` (n, 2) float32 the models train on; for Gaussian mixtures
    the component `centres` (k, 2), their common standard deviation `sigma` and weights;
    `extent`, the half-width of the square [-extent, extent]² the views and grid metrics
    use; `sampler(n, rng)`, fresh points of the same distribution (None for drawn or
    imported points, whose only reference is the points themselves)."""

    name: str
    points: np.ndarray
    extent: float
    centres: np.ndarray | None = None
    sigma: float | None = None
    weights: np.ndarray | None = None
    sampler: Sampler | None = field(default=None, repr=False, compare=False)

    @property
    def is_mixture(self) -> bool:
        """True when the set is a Gaussian mixture with known centres (mode metrics apply)."""
        return self.centres is not None and self.sigma is not None


def _mixture(centres: np.ndarray, sigma: float) -> Sampler:
    def draw(n: int, rng: np.random.Generator) -> np.ndarray:
        idx = rng.integers(0, len(centres), n)
        return centres[idx] + sigma * rng.standard_normal((n, 2))
    return draw


RING_RADIUS = 2.0
RING_SIGMA = 0.1  # sharp enough that a dropped or smeared mode shows in every metric
GRID_SIGMA = 0.05


def ring_centres(k: int = 8, radius: float = RING_RADIUS) -> np.ndarray:
    """Return the (k, 2) centres of k modes evenly spaced on a circle."""
    a = 2 * np.pi * np.arange(k) / k
    return np.stack([radius * np.cos(a), radius * np.sin(a)], 1)


def grid_centres() -> np.ndarray:
    """Return the (25, 2) centres of the 5×5 grid at -2, -1, 0, 1, 2."""
    g = np.arange(-2.0, 3.0)
    return np.stack(np.meshgrid(g, g, indexing="xy"), -1).reshape(-1, 2)


def _moons(n: int, rng: np.random.Generator) -> np.ndarray:
    upper = rng.random(n) < 0.5
    t = rng.random(n) * np.pi
    x = np.where(upper, np.cos(t), 1 - np.cos(t))
    y = np.where(upper, np.sin(t), 0.5 - np.sin(t))
    pts = np.stack([x - 0.5, y - 0.25], 1) * 1.6
    return pts + 0.06 * rng.standard_normal((n, 2))


def _swissroll(n: int, rng: np.random.Generator) -> np.ndarray:
    t = 1.5 * np.pi * (1 + 2 * rng.random(n))
    pts = np.stack([t * np.cos(t), t * np.sin(t)], 1) / 5.0
    return pts + 0.05 * rng.standard_normal((n, 2))


def _spirals(n: int, rng: np.random.Generator) -> np.ndarray:
    t = np.sqrt(rng.random(n)) * 3 * np.pi
    sign = np.where(rng.random(n) < 0.5, 1.0, -1.0)
    pts = sign[:, None] * np.stack([t * np.cos(t), t * np.sin(t)], 1) / 3.6
    return pts + 0.05 * rng.standard_normal((n, 2))


def _checkerboard(n: int, rng: np.random.Generator) -> np.ndarray:
    # 4×4 board on [-2, 2]², the 8 squares where (row + column) is even
    x = rng.random(n) * 4 - 2
    col = np.floor(x + 2)
    row = rng.integers(0, 2, n) * 2 + (col % 2)
    y = row - 2 + rng.random(n)
    return np.stack([x, y], 1)


def _rings(n: int, rng: np.random.Generator) -> np.ndarray:
    radius = rng.choice(np.array([0.8, 1.6, 2.4]), n)
    a = rng.random(n) * 2 * np.pi
    pts = radius[:, None] * np.stack([np.cos(a), np.sin(a)], 1)
    return pts + 0.05 * rng.standard_normal((n, 2))


def _pinwheel(n: int, rng: np.random.Generator) -> np.ndarray:
    arms, radial, tangential, rate = 5, 0.3, 0.08, 0.25
    arm = rng.integers(0, arms, n)
    feats = rng.standard_normal((n, 2)) * np.array([radial, tangential]) + np.array([1.0, 0])
    angle = 2 * np.pi * arm / arms + rate * np.exp(feats[:, 0])
    c, s = np.cos(angle), np.sin(angle)
    pts = np.stack([c * feats[:, 0] - s * feats[:, 1], s * feats[:, 0] + c * feats[:, 1]], 1)
    return 1.6 * pts


def _line(n: int, rng: np.random.Generator) -> np.ndarray:
    t = rng.random(n) * 4 - 2
    pts = np.stack([t, 0.5 * t], 1)
    return pts + 0.03 * rng.standard_normal((n, 2))


# name → (sampler, extent, centres, sigma)
_SETS: dict[str, tuple[Sampler, float, np.ndarray | None, float | None]] = {
    "8gaussians": (_mixture(ring_centres(), RING_SIGMA), 3.0, ring_centres(), RING_SIGMA),
    "25gaussians": (_mixture(grid_centres(), GRID_SIGMA), 3.0, grid_centres(), GRID_SIGMA),
    "moons": (_moons, 3.0, None, None),
    "swissroll": (_swissroll, 3.0, None, None),
    "spirals": (_spirals, 3.0, None, None),
    "checkerboard": (_checkerboard, 3.0, None, None),
    "rings": (_rings, 3.0, None, None),
    "pinwheel": (_pinwheel, 3.0, None, None),
    "line": (_line, 3.0, None, None),
}
TOY_SETS: tuple[str, ...] = tuple(_SETS)
DEFAULT_SIZE = 4000


def toy_dataset(name: str, n: int = DEFAULT_SIZE, seed: int = 0) -> ToyData:
    """Return `n` points of the named set, the same for the same seed.

    Raises ToyDataError naming the known sets for an unknown name."""
    if name not in _SETS:
        raise ToyDataError(f"unknown toy dataset {name!r}; choose one of {', '.join(TOY_SETS)}")
    if n < 1:
        raise ToyDataError(f"a toy dataset needs at least one point, not {n}")
    sampler, extent, centres, sigma = _SETS[name]
    pts = sampler(n, np.random.default_rng(seed)).astype(np.float32)
    weights = None if centres is None else np.full(len(centres), 1 / len(centres))
    return ToyData(name, pts, extent, centres, sigma, weights, sampler)


def from_points(points: object, name: str = "drawn") -> ToyData:
    """Return a dataset of the given (n, 2) points (a hand drawing), extent fitted to them.

    Raises ToyDataError for a wrong shape, no points, or NaN/infinite values."""
    arr = np.asarray(points, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ToyDataError(f"points must be an (n, 2) array, not shape {arr.shape}")
    if len(arr) == 0:
        raise ToyDataError("no points: draw or import at least one")
    if not np.isfinite(arr).all():
        raise ToyDataError("points must be finite (NaN or infinity found)")
    reach = float(np.abs(arr).max())
    extent = max(1.0, math.ceil(reach * 1.2 * 2) / 2)  # fitted, on half-units
    return ToyData(name, arr.astype(np.float32), extent)


def read_csv(path: str | Path) -> ToyData:
    """Return the points of a two-column CSV file (an optional header line is skipped).

    Raises ToyDataError, one line naming the file and every bad row by line number
    (at most ten shown), for rows that are not two finite numbers."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise ToyDataError(f"{path}: cannot read ({e})") from None
    rows: list[tuple[float, float]] = []
    bad: list[int] = []
    for lineno, row in enumerate(csv.reader(text.splitlines()), start=1):
        if not row or all(not cell.strip() for cell in row):
            continue
        try:
            if len(row) != 2:
                raise ValueError
            x, y = float(row[0]), float(row[1])
            if not (math.isfinite(x) and math.isfinite(y)):
                raise ValueError
        except ValueError:
            if lineno == 1 and not rows and len(row) == 2:
                continue  # a header
            bad.append(lineno)
            continue
        rows.append((x, y))
    if bad:
        shown = ", ".join(map(str, bad[:10])) + (f" and {len(bad) - 10} more" if len(bad) > 10
                                                  else "")
        raise ToyDataError(f"{path}: rows must be two finite numbers; bad line"
                           f"{'s' if len(bad) > 1 else ''} {shown}")
    if not rows:
        raise ToyDataError(f"{path}: no points")
    return from_points(np.array(rows), name=path.stem)
