"""The range a live plot follows: it grows in steps with headroom, not on every redraw.

With pyqtgraph's auto-range over the curves themselves, every new step moved the x range
(and often the y range), so every redraw re-laid out all axes: ~4.5 of the ~7 ms a loss
plot redraw cost on the GUI thread (measured offscreen, 2 cores). Here the curves are
ignored for auto-range and an invisible `RangeAnchor` per plot carries the bounds.
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import QRectF

Bounds = tuple[float, float] | None

NICE = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)
X_HEADROOM = 1.1  # room for ≥10% more steps each time the x range grows
Y_MARGIN = 0.05  # share of the data's span added below and above when the y range grows


def nice_ceil(v: float) -> float:
    """Return the smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^k that is ≥ v (v > 0)."""
    e = 10.0 ** math.floor(math.log10(v))
    return next(m * e for m in NICE if m * e >= v * (1 - 1e-12))


def follow_x(shown: Bounds, first: float, last: float, total: int = 0) -> Bounds:
    """Return the x range to show for steps first..last: `shown` while it still fits.

    It grows to a round number of steps with headroom, and ends at `total` (the run's
    length, 0 = unknown) once that is closer.
    """
    if shown is not None and shown[0] == first and last <= shown[1]:
        return shown
    end = first + nice_ceil(max(last - first, 1.0) * X_HEADROOM)
    if total and first < total and last <= total:
        end = min(end, float(total))
    return (first, end)


def follow_y(shown: Bounds, lo: float, hi: float) -> Bounds:
    """Return the y range for data in lo..hi: `shown` while it fits, else with a margin."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return shown
    if shown is not None and shown[0] <= lo and hi <= shown[1]:
        return shown
    pad = Y_MARGIN * ((hi - lo) or abs(hi) or 1.0)
    return (lo - pad, hi + pad)


class RangeAnchor(pg.GraphicsObject):
    """Invisible item whose data bounds are the range its plot follows (GUI thread).

    Auto-range, zoom, pan and the 'A' button behave as pyqtgraph's own: the view's
    auto-range simply reads these bounds instead of every curve's.
    """

    def __init__(self) -> None:
        super().__init__()
        self.setFlag(self.GraphicsItemFlag.ItemHasNoContents)
        self._bounds: tuple[Bounds, Bounds] = (None, None)

    def boundingRect(self) -> QRectF:
        """Return an empty rectangle: nothing is drawn."""
        return QRectF()

    def paint(self, *_: object) -> None:
        """Draw nothing."""

    def dataBounds(self, axis: int, frac: float = 1.0, orthoRange: object = None) -> Bounds:
        """Return the followed (lo, hi) along `axis` (0 = x), or None."""
        return self._bounds[axis]

    def set_bounds(self, x: Bounds, y: Bounds) -> None:
        """Follow x, y; the view re-ranges only when they change."""
        if (x, y) != self._bounds:
            self._bounds = (x, y)
            self.informViewBoundsChanged()
