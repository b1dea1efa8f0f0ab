"""What one of the Toy lab's plots shows: an immutable bundle of numpy arrays made on the
toy lane and drawn on the GUI thread."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Plane:
    """One plot's content; every array is a copy the lane never touches again.

    `title` says what is drawn (the caption above the plot). `extent`: the plot shows
    [-extent, extent]². `heat` (bins, bins), rows along y from −extent, coloured with a
    `diverging` map (centred) or a sequential one, over `heat_levels` (low, high) when the
    values have a fixed scale (a probability: 0.45–0.55 is then a pale tint, not the full
    colours), else over their own range. `real` green points (None on the main
    plot: the panel draws the data there), `samples` purple points, `marks` orange points
    (what a view picks out), or each in its own colour when `mark_colors` (m, 3) RGB
    uint8 is given (a point and what it becomes in the other plot). `arrows` (m, 4: x, y,
    dx, dy) in data units; `segments` (k, 4) line pieces x0, y0, x1, y1; `ellipses` (e, 4:
    cx, cy, rx, ry) axis-aligned;
    `frames` (f, n, 2) a process shown as moving particles with trails, first frame first.

    `frame_labels`: one short text per frame ("t = 37"), shown before the title while
    that frame is drawn.
    """

    title: str = ""
    extent: float = 3.0
    heat: np.ndarray | None = None
    heat_label: str = ""
    diverging: bool = False
    heat_levels: tuple[float, float] | None = None
    real: np.ndarray | None = None
    samples: np.ndarray | None = None
    marks: np.ndarray | None = None
    mark_colors: np.ndarray | None = None
    arrows: np.ndarray | None = None
    segments: np.ndarray | None = None
    ellipses: np.ndarray | None = None
    frames: np.ndarray | None = None
    frame_labels: tuple[str, ...] | None = None
