"""A y axis whose log scale reads in plain numbers: ticks at 1-2-5 steps, labelled 100, 200,
500 or 0.02, 0.05 (pyqtgraph's own labels a loss of 80–550 nats with one or two ticks
in 10^x notation). GUI thread, like every pyqtgraph item."""

from __future__ import annotations

import math
from itertools import pairwise

import numpy as np

from app.panels.training.fitted_axis import FittedAxis

# Mantissa sets from coarse to fine; the finest set that leaves room between labels wins.
MANTISSAS = ((1,), (1, 2, 5), (1, 2, 3, 5), (1, 2, 3, 4, 5, 6, 7, 8, 9))
MIN_LABEL_GAP_PX = 28  # between labelled ticks: a line of tick text and some air


def log_ticks(lo: float, hi: float, mantissas: tuple[int, ...]) -> list[float]:
    """Return the values m·10^k (m in `mantissas`) within [lo, hi] (data units, > 0)."""
    out: list[float] = []
    for k in range(math.floor(math.log10(lo)) - 1, math.ceil(math.log10(hi)) + 1):
        for m in mantissas:
            v = float(f"{m}e{k}")  # exact decimal, not m * 10**k's rounding
            if lo * (1 - 1e-9) <= v <= hi * (1 + 1e-9):
                out.append(v)
    return out


def linear_ticks(lo: float, hi: float, count: int = 4) -> list[float]:
    """Return about `count` round values within [lo, hi] at a 1-2-5 spacing (a span too
    narrow for even one 1..9 tick, e.g. a loss of 82–96)."""
    raw = (hi - lo) / max(count, 1)
    step = 10 ** math.floor(math.log10(raw))
    step *= next((m for m in (1, 2, 5, 10) if m * step >= raw), 10)
    first = math.ceil(lo / step) * step
    values = np.arange(first, hi + step * 1e-9, step)
    return [float(f"{v:.12g}") for v in values]


def plain_number(v: float) -> str:
    """Return `v` as a short plain number: 500, 0.05, 1500, 2.5; 1e6 or 2e-5 beyond."""
    if v == 0:
        return "0"
    if not 1e-4 <= abs(v) < 1e6:
        return f"{v:.2g}".replace("e+0", "e").replace("e+", "e").replace("e-0", "e-")
    return f"{float(f'{v:.3g}'):f}".rstrip("0").rstrip(".")


def choose_log_ticks(lo: float, hi: float, size_px: float) -> tuple[list[float], list[float]]:
    """Return (labelled, minor) tick values in data units for a log axis over [lo, hi]
    that is `size_px` long: the finest 1-2-5 family whose labels stay MIN_LABEL_GAP_PX
    apart, with the unlabelled 1..9 ticks between them."""
    if not (np.isfinite(lo) and np.isfinite(hi)) or hi <= lo or lo <= 0:
        return [], []
    decades = math.log10(hi / lo)
    fits = max(2, int(size_px / MIN_LABEL_GAP_PX))
    labelled: list[float] = []
    for mantissas in MANTISSAS:
        ticks = log_ticks(lo, hi, mantissas)
        # Labels crowd where their log spacing is narrowest: between 9 and 10 or 5 and 10.
        closest = min(math.log10(10 / max(mantissas)), *(
            math.log10(b / a) for a, b in pairwise(mantissas)), 1.0)
        if labelled and closest / decades * size_px < MIN_LABEL_GAP_PX:
            break
        labelled = ticks
        if len(ticks) >= fits:
            break
    if len(labelled) < 2:  # a narrow span: round values at an even spacing instead
        labelled = linear_ticks(lo, hi, min(fits, 5))
    minor = [] if decades > 3 else [v for v in log_ticks(lo, hi, MANTISSAS[-1])
                                    if not any(math.isclose(v, w) for w in labelled)]
    return labelled, minor


MINOR = 0.0  # the spacing that marks the unlabelled level (pyqtgraph passes it back)


class LogAwareAxis(FittedAxis):
    """An AxisItem that, in log mode, ticks at 1-2-5 values labelled in plain numbers;
    in linear mode it is a FittedAxis (pyqtgraph's ticks where they fit)."""

    def logTickValues(self, minVal: float, maxVal: float, size: float,
                      stdTicks: list) -> list:
        """Return [(None, labelled log10 values), (MINOR, unlabelled log10 values)]."""
        labelled, minor = choose_log_ticks(10 ** minVal, 10 ** maxVal, size)
        return [(None, list(np.log10(labelled))), (MINOR, list(np.log10(minor)))]

    def logTickStrings(self, values: list[float], scale: float,
                       spacing: float | None) -> list[str]:
        """Return plain numbers for the labelled level and "" for the minor one."""
        if spacing == MINOR:
            return [""] * len(values)
        return [plain_number(10 ** v * scale) for v in values]
