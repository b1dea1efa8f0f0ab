"""A y axis with no more tick labels than its height has room for: pyqtgraph puts two or
three labels on any axis, and on a short chart (a bar chart under the sample grid, the
loss plots of a GAN, with presentation mode's large text) they ran into each other.
GUI thread, like every pyqtgraph item."""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtGui import QFontMetricsF

LABEL_GAP_LINES = 1.4  # between labelled ticks: a line of tick text and some air


def fitted_ticks(lo: float, hi: float, fits: int) -> tuple[float, list[float]]:
    """Return (spacing, values): the multiples within [lo, hi] of the finest 1-2-5 spacing
    giving at most `fits` of them (≥ 2); when the next spacing up leaves fewer than two,
    the first and last of the finest one, so a short axis still shows its scale."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return 1.0, []
    step = 10.0 ** (math.floor(math.log10(hi - lo)) - 2)
    previous: tuple[float, list[float]] | None = None
    while True:
        for m in (1, 2, 5):
            spacing = m * step
            first, last = math.ceil(lo / spacing - 1e-9), math.floor(hi / spacing + 1e-9)
            values = [float(f"{k * spacing:.12g}") for k in range(first, last + 1)]
            if len(values) < 2 and previous is not None:
                spacing, values = previous
                return spacing, [values[0], values[-1]]
            if len(values) <= max(fits, 2):
                return spacing, values
            previous = spacing, values
        step *= 10


class FittedAxis(pg.AxisItem):
    """An AxisItem whose vertical labels stay a line and a half apart: pyqtgraph's ticks
    where they fit, fewer round ones where they would crowd."""

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:
        """Return pyqtgraph's tick levels, or one level of as many round values as the
        axis' height fits when its labelled ticks would be closer than that."""
        levels = super().tickValues(minVal, maxVal, size)
        if self.logMode or self.orientation not in ("left", "right") or not levels:
            return levels
        font = self.style.get("tickFont") or self.font()
        fits = int(size / (QFontMetricsF(font).height() * LABEL_GAP_LINES)) + 1
        if len(levels[0][1]) <= fits:
            return levels
        lo, hi = sorted((minVal * self.scale, maxVal * self.scale))
        spacing, values = fitted_ticks(lo, hi, fits)
        return [(spacing / self.scale, [v / self.scale for v in values])]
