"""What the diffusion and score views share (toy lane; numpy only): the "Process" and
"Field t" options, the data points that travel the forward process, and the data's
exact density after noising as a heatmap; what they computed is kept per model."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable, Mapping
from typing import Any

import numpy as np

from app.panels.toy_lab.options import OptionValue, ViewOption
from app.panels.toy_lab.views.common import HEAT_BINS, PARTICLE_FRAMES, PARTICLES
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


# what a model's views computed, by name: (key, value). A reverse process is keyed by the
# training step (the weights) and its settings, so moving a slider while paused redraws
# at once; a noised density depends only on the data and the level, so it is computed
# once per level
_kept: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def kept(model, name: str, key: Hashable, compute: Callable[[], Any]) -> Any:
    """Return `compute()` for this model, computed again only when `key` differs from the
    last call's with this name (a model's entries go with it)."""
    mine = _kept.setdefault(model, {})
    hit = mine.get(name)
    if hit is not None and hit[0] == key:
        return hit[1]
    value = compute()
    mine[name] = (key, value)
    return value


def heat_edges(data: ToyData) -> np.ndarray:
    """Return the cell edges of the heatmap's grid (HEAT_BINS cells per side)."""
    return Grid(data.extent, HEAT_BINS).edges


def thin(frames, labels) -> tuple[np.ndarray, tuple[str, ...]]:
    """Return at most PARTICLE_FRAMES of the frames, evenly spaced with the first and last
    included (as `keep_frames` picks them), and the label of each frame kept."""
    idx = np.unique(np.linspace(0, len(frames) - 1, min(PARTICLE_FRAMES, len(frames)))
                    .round().astype(int))
    return (np.stack([frames[i] for i in idx]).astype(np.float32),
            tuple(labels[i] for i in idx))


def reverse_labels(steps) -> tuple[str, ...]:
    """Return the labels of a reverse process's frames, its starting noise first: frame k
    is x at the k-th step's timestep, the last one the data ("t = 99", …, "t = 0", "x₀")."""
    return (*(f"t = {step.t}" for step in steps), "x₀")
