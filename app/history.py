"""What a run has produced so far: step metrics, epoch records and the run's shape.

Plain Python + numpy (no Qt), filled on the GUI thread by the session from either a live
training worker or a run folder being followed, and read by the panels.
"""

from __future__ import annotations

import math
import sys
from dataclasses import replace

import numpy as np

from models.training.run_record import EpochRecord, RunShape


class GrowingArray:
    """A float64 array that appends in amortised O(1); `view()` shows the filled part."""

    def __init__(self, capacity: int = 1024) -> None:
        self._data = np.empty(capacity, dtype=np.float64)
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def append(self, value: float) -> None:
        """Append one value, doubling the buffer when full."""
        if self._n == len(self._data):
            self._data = np.concatenate([self._data, np.empty_like(self._data)])
        self._data[self._n] = value
        self._n += 1

    def extend(self, values: np.ndarray) -> None:
        """Append many values at once (one copy, not a Python loop)."""
        m = len(values)
        if self._n + m > len(self._data):
            grown = np.empty(max(2 * len(self._data), self._n + m), dtype=np.float64)
            grown[:self._n] = self._data[:self._n]
            self._data = grown
        self._data[self._n:self._n + m] = values
        self._n += m

    def view(self) -> np.ndarray:
        """Return the filled part (a view: copy it before handing it to another thread)."""
        return self._data[:self._n]


def ema_filter(x: np.ndarray, a: float, zi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (y, zf) of y_t = (1-a)·x_t + a·y_(t-1), the state zi/zf being a·y_(t-1).

    scipy.signal.lfilter (a C loop: 100k points in ~1 ms) once it is imported: the warm-up
    job imports it with torch, off the GUI thread (1-3 s on 2 cores). A history shown
    before that (a demo opened while torch loads) is filtered in Python with the same
    recurrence rather than importing scipy on the GUI thread.
    """
    if "scipy.signal" in sys.modules:
        from scipy.signal import lfilter

        return lfilter([1.0 - a], [1.0, -a], x, zi=zi)
    return ema_filter_numpy(x, a, zi)


def ema_filter_numpy(x: np.ndarray, a: float, zi: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Return `ema_filter`'s (y, zf) without scipy: lfilter's own recurrence, step by
    step (the same operations, so the same bits in any chunking; ~30 ms per 100k)."""
    b, z = 1.0 - a, float(zi[0])
    out = []
    for v in np.asarray(x, dtype=np.float64).tolist():
        y = b * v + z
        out.append(y)
        z = a * y
    return np.array(out, dtype=np.float64), np.array([z])


def ema_debiased(values: np.ndarray, smoothing: float) -> np.ndarray:
    """Return the debiased exponential moving average of `values` (NaNs are skipped).

    s_t = a·s_(t-1) + (1-a)·x_t, divided by (1 - a^t) so the start is not pulled to 0,
    the way TensorBoard smooths scalars. smoothing=0 returns the values unchanged.
    """
    out = np.array(values, dtype=np.float64)
    if smoothing <= 0 or len(out) == 0:
        return out
    finite = np.isfinite(out)
    x = out[finite]
    if len(x) == 0:
        return out
    a = float(min(smoothing, 0.9999))
    s, _ = ema_filter(x, a, np.zeros(1))
    s /= 1.0 - a ** np.arange(1, len(x) + 1)
    out[finite] = s
    return out


class IncrementalEma:
    """`ema_debiased` computed chunk by chunk: the same numbers, without redoing the past.

    Keeps the filter state and the count of finite values seen, so extending by m values
    costs O(m) instead of O(history). Feeding any chunking of a series gives exactly
    (bit for bit) `ema_debiased` of the whole series, with or without scipy loaded (see
    `ema_filter`). Any thread, one at a time.
    """

    def __init__(self, smoothing: float) -> None:
        self.smoothing = float(smoothing)
        self._a = float(min(self.smoothing, 0.9999))
        self._zi = np.zeros(1)  # lfilter's state: a·s of the last finite value
        self._t = 0  # finite values seen (the debiasing exponent)

    def extend(self, values: np.ndarray) -> np.ndarray:
        """Return the smoothed values of the next chunk (NaNs skipped and kept, as batch)."""
        out = np.array(values, dtype=np.float64)
        if self.smoothing <= 0 or len(out) == 0:
            return out
        finite = np.isfinite(out)
        x = out[finite]
        if len(x) == 0:
            return out
        a = self._a
        s, self._zi = ema_filter(x, a, self._zi)
        s /= 1.0 - a ** np.arange(self._t + 1, self._t + len(x) + 1)
        self._t += len(x)
        out[finite] = s
        return out


class RunHistory:
    """Step metrics by name (x = step) and epoch records of one run."""

    def __init__(self, shape: RunShape | None = None) -> None:
        self.shape = shape or RunShape()
        self.steps = GrowingArray()
        self.metrics: dict[str, GrowingArray] = {}
        self.epochs: list[EpochRecord] = []
        self.last_images_per_s = 0.0

    @property
    def last_step(self) -> int:
        """Return the last step recorded (0 before any)."""
        return int(self.steps.view()[-1]) if len(self.steps) else 0

    def add_step(self, step: int, metrics: dict[str, float],
                 images_per_s: float | None = None) -> None:
        """Record one step's metrics; a metric first seen now is NaN-padded backwards.

        In a run of several phases an earlier phase's metrics are recorded under
        `RunShape.metric_key` (the autoencoder's "loss" as "autoencoder_loss").
        """
        shape = self.shape
        if shape.multi_phase:
            phase = shape.phase_of_step(step)
            metrics = {shape.metric_key(phase, k): v for k, v in metrics.items()}
        n = len(self.steps)
        self.steps.append(float(step))
        for key, value in metrics.items():
            col = self.metrics.get(key)
            if col is None:
                col = self.metrics[key] = GrowingArray(max(1024, 2 * n))
                col.extend(np.full(n, math.nan))
            col.append(float(value))
        if len(metrics) < len(self.metrics):  # some metric missed this step
            for col in self.metrics.values():
                if len(col) < n + 1:
                    col.append(math.nan)
        if images_per_s is not None:
            self.last_images_per_s = float(images_per_s)

    def add_epoch(self, record: EpochRecord) -> None:
        """Record a finished epoch (replacing one with the same number); its validation
        metrics are named as its phase's steps are (see `add_step`)."""
        shape = self.shape
        if shape.multi_phase:
            phase = shape.phase_index(record.epoch - 1)
            record = replace(record, val_metrics={shape.metric_key(phase, k): v
                                                  for k, v in record.val_metrics.items()})
        self.epochs = [e for e in self.epochs if e.epoch != record.epoch]
        self.epochs.append(record)
        self.epochs.sort(key=lambda e: e.epoch)

    def phase_label(self, epoch: int) -> str:
        """Return "phase i of n: name" for 0-based epoch `epoch` ("" for one phase)."""
        shape = self.shape
        if not shape.multi_phase:
            return ""
        i = shape.phase_index(epoch)
        return f"phase {i + 1} of {len(shape.phases)}: {shape.phases[i][0]}"

    def epoch(self, number: int) -> EpochRecord | None:
        """Return the record of epoch `number` (from 1), or None."""
        for e in self.epochs:
            if e.epoch == number:
                return e
        return None
