"""One metric's curves, kept ready to draw as steps arrive: raw and smoothed, decimated."""

from __future__ import annotations

import numpy as np

from app.history import GrowingArray, IncrementalEma
from app.panels.training.decimate import MAX_BINS, PeakDecimator


class CurveSeries:
    """Raw values of one metric and their debiased EMA, fed incrementally (GUI thread).

    `update` reads only the steps added since the last call, so a redraw costs the same
    after an hour of training as after a minute. In log mode the values a log axis cannot
    show (≤ 0) are left out, of the smoothing too, as the batch code did.
    """

    def __init__(self, smoothing: float, log_y: bool, max_bins: int = MAX_BINS) -> None:
        self.log_y = log_y
        self.raw = PeakDecimator(max_bins)
        self.smooth = PeakDecimator(max_bins)
        self._n_raw = 0
        self.set_smoothing(smoothing)

    def set_smoothing(self, smoothing: float) -> None:
        """Use a new smoothing; the EMA is recomputed from the start on the next update."""
        self._ema = IncrementalEma(smoothing)
        self._smoothed = GrowingArray()  # full resolution, aligned with the steps
        self.smooth.reset()
        self._n_smooth = 0

    def update(self, x: np.ndarray, y: np.ndarray) -> None:
        """Take in the steps of `x`, `y` (the whole history so far) not seen before."""
        if self._n_raw < len(y):
            self.raw.extend(x[self._n_raw:], self._drawable(y[self._n_raw:]))
            self._n_raw = len(y)
        if self._n_smooth < len(y):
            s = self._ema.extend(self._drawable(y[self._n_smooth:]))
            self._smoothed.extend(s)
            self.smooth.extend(x[self._n_smooth:], s)
            self._n_smooth = len(y)

    def window(self, x: np.ndarray, y: np.ndarray, i0: int,
               i1: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Return full-resolution (raw x, raw y, smooth x, smooth y) of steps i0:i1."""
        xs, ry, sy = x[i0:i1], self._drawable(y[i0:i1]), self._smoothed.view()[i0:i1]
        raw_ok, smooth_ok = np.isfinite(ry), np.isfinite(sy)
        return xs[raw_ok], ry[raw_ok], xs[smooth_ok], sy[smooth_ok]

    def _drawable(self, y: np.ndarray) -> np.ndarray:
        if not self.log_y:
            return y
        with np.errstate(invalid="ignore"):
            return np.where(y > 0, y, np.nan)
