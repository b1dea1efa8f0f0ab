"""Min/max decimation of a growing curve, updated incrementally for live plots.

A run logs one point per step: hours of training are 10^5-10^6 points per curve, far more
than a plot has pixels. Handing all of them to pyqtgraph every redraw made each redraw
O(history); this keeps at most `max_bins` min/max pairs and updates them in O(new points).
"""

from __future__ import annotations

import numpy as np

MAX_BINS = 1024  # ~1-2 bins per pixel of a typical plot; a redraw draws ≤ 2·MAX_BINS points


class PeakDecimator:
    """Consecutive runs of `width` points reduced to their min and max (GUI thread).

    `width` doubles (neighbouring runs merged) whenever `max_bins` runs are full, so the
    output never exceeds 2·max_bins points; NaNs are ignored, and a run with no finite
    value is left out. With `width` 1 the points are the data themselves.
    """

    def __init__(self, max_bins: int = MAX_BINS) -> None:
        self.max_bins = max_bins + max_bins % 2  # even: runs merge in pairs
        self.reset()

    def reset(self) -> None:
        """Forget every point."""
        self.width = 1
        self.count = 0  # points fed
        self._x = np.empty(self.max_bins)
        self._lo = np.empty(self.max_bins)
        self._hi = np.empty(self.max_bins)
        self._bins = 0  # full runs
        self._part = (0.0, np.nan, np.nan, 0)  # the run being filled: x, lo, hi, points
        self.lo, self.hi = np.inf, -np.inf  # finite extremes of everything fed

    def extend(self, x: np.ndarray, y: np.ndarray) -> None:
        """Append points (x increasing) in O(len(x)) amortised."""
        m = len(y)
        if m == 0:
            return
        self.count += m
        lo, hi = np.fmin.reduce(y), np.fmax.reduce(y)  # NaN only if all are NaN
        if np.isfinite(lo):
            self.lo = min(self.lo, lo)
        if np.isfinite(hi):
            self.hi = max(self.hi, hi)
        i = 0
        px, plo, phi, pn = self._part
        if pn:  # top up the run being filled
            i = min(self.width - pn, m)
            plo = np.fmin(plo, np.fmin.reduce(y[:i]))
            phi = np.fmax(phi, np.fmax.reduce(y[:i]))
            pn += i
            if pn < self.width:
                self._part = (px, plo, phi, pn)
                return
            self._push(np.array([px]), np.array([plo]), np.array([phi]))
        while m - i >= self.width:
            k = min((m - i) // self.width, self.max_bins - self._bins)
            end = i + k * self.width
            runs = y[i:end].reshape(k, self.width)
            self._push(x[i:end:self.width], np.fmin.reduce(runs, axis=1),
                       np.fmax.reduce(runs, axis=1))
            i = end
        rest = y[i:]
        self._part = ((float(x[i]), np.fmin.reduce(rest), np.fmax.reduce(rest), len(rest))
                      if len(rest) else (0.0, np.nan, np.nan, 0))

    def points(self) -> tuple[np.ndarray, np.ndarray]:
        """Return (x, y) to draw: each run as its min then its max at the run's first x."""
        n = self._bins
        x, lo, hi = self._x[:n], self._lo[:n], self._hi[:n]
        px, plo, phi, pn = self._part
        if pn:
            x, lo, hi = np.append(x, px), np.append(lo, plo), np.append(hi, phi)
        if self.width == 1:
            xs, ys = x, lo
        else:
            xs = np.repeat(x, 2)
            ys = np.column_stack((lo, hi)).ravel()
        keep = np.isfinite(ys)
        return (xs, ys) if keep.all() else (xs[keep], ys[keep])

    def _push(self, x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
        # Callers push at most the free room and only while no run is part-filled, so a
        # merge (as soon as the room is full) always pairs runs of the same width.
        n, k = self._bins, len(x)
        self._x[n:n + k], self._lo[n:n + k], self._hi[n:n + k] = x, lo, hi
        self._bins += k
        if self._bins == self.max_bins:
            self._merge()

    def _merge(self) -> None:
        h = self.max_bins // 2
        self._x[:h] = self._x[0::2]
        self._lo[:h] = np.fmin(self._lo[0::2], self._lo[1::2])
        self._hi[:h] = np.fmax(self._hi[0::2], self._hi[1::2])
        self._bins = h
        self.width *= 2
