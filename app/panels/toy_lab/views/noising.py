"""What the diffusion and score views share (toy lane; numpy only): the "Process" and
"Field t" options, the data points that travel the forward process, and the data's
exact density after noising as a heatmap, kept per model and noise level."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable, Mapping

import numpy as np

from app.panels.toy_lab.options import OptionValue, ViewOption
from app.panels.toy_lab.views.common import HEAT_BINS, PARTICLES
from models.toy.data import ToyData
from models.toy.metrics import Grid

PROCESS = ViewOption(
    "process", "Process", "choice", "reverse",
    "Reverse: the sampler turning noise into data. Forward: the data being noised",
    choices=(("reverse", "reverse: noise → data"), ("forward", "forward: data → noise")))
FIELD_T = ViewOption("field_t", "Field t", "slider", 0.5,
                     "Where the field arrows are drawn: data (left) to noise (right)")
DENSITY_POINTS = 1000  # data points the exact noised density sums over (~2 ms)
SIDE_REAL = 600  # green data points on the second plot


def forward_shown(options: Mapping[str, OptionValue]) -> bool:
    """Return True when the options ask for the forward (noising) process."""
    return options.get("process", PROCESS.default) == "forward"


def field_share(options: Mapping[str, OptionValue]) -> float:
    """Return the Field t slider's value in [0, 1] (0: data, 1: noise)."""
    return min(1.0, max(0.0, float(options.get("field_t", FIELD_T.default))))


def spread(points: np.ndarray, n: int) -> np.ndarray:
    """Return n of the points (all when fewer), evenly spaced through the array: the sets
    are drawn in random order, and a drawing's strokes all keep some."""
    p = np.asarray(points, dtype=np.float32)
    if len(p) <= n:
        return p.copy()
    return p[np.linspace(0, len(p) - 1, n).round().astype(int)]


def travellers(data: ToyData) -> np.ndarray:
    """Return the data points that travel the forward process (PARTICLES of them)."""
    return spread(data.points, PARTICLES)


def density_points(data: ToyData) -> np.ndarray:
    """Return the data points the exact noised density is a mixture over."""
    return spread(data.points, DENSITY_POINTS)


def side_real(data: ToyData) -> np.ndarray:
    """Return the green data points of a second plot."""
    return spread(data.points, SIDE_REAL)


# the noised densities a model's views computed, by noise level: they depend only on the
# data and the level, so a run recomputes one only when the Field t slider moves
_densities: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def kept_density(model, level: Hashable, compute: Callable[[], np.ndarray]) -> np.ndarray:
    """Return `compute()` for this model and level, computed once (the last 8 levels are
    kept; a model's entries go with it)."""
    mine = _densities.setdefault(model, {})
    if level not in mine:
        if len(mine) >= 8:
            mine.pop(next(iter(mine)))
        mine[level] = compute()
    return mine[level]


def heat_edges(data: ToyData) -> np.ndarray:
    """Return the cell edges of the heatmap's grid (HEAT_BINS cells per side)."""
    return Grid(data.extent, HEAT_BINS).edges
