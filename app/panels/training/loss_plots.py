"""Live loss curves: faint raw values under a debiased-EMA line, one plot per view.

Which plots appear is decided by the metric keys a run logs, never by the model class:
known pairs (reconstruction vs KL, D(real) vs D(fake)) share a plot; every other key
gets its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg

from app.history import RunHistory, ema_debiased
from app.panels.training.style import CURSOR_PEN, colour, raw_pen, smooth_pen

# (title, keys): shown together when a run logs all of the keys.
PAIRED_VIEWS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Reconstruction vs KL", ("recon", "kl")),
    ("D(real) vs D(fake)", ("d_real", "d_fake")),
)
TITLES = {"loss": "Loss", "recon": "Reconstruction", "kl": "KL", "d_loss": "Discriminator loss",
          "g_loss": "Generator loss", "gp": "Gradient penalty"}


def plan_views(keys: list[str]) -> list[tuple[str, tuple[str, ...]]]:
    """Return (title, keys) for each plot to show, given the logged metric keys in order."""
    views: list[tuple[str, tuple[str, ...]]] = []
    used: set[str] = set()
    pairs = [(t, ks) for t, ks in PAIRED_VIEWS if all(k in keys for k in ks)]
    for key in keys:
        if key in used:
            continue
        pair = next(((t, ks) for t, ks in pairs if key in ks), None)
        if pair is not None:
            views.append(pair)
            used.update(pair[1])
        else:
            views.append((TITLES.get(key, key.replace("_", " ")), (key,)))
            used.add(key)
    return views


@dataclass
class _Curve:
    key: str
    raw: pg.PlotDataItem
    smooth: pg.PlotDataItem
    val: pg.ScatterPlotItem


class LossPlots(pg.GraphicsLayoutWidget):
    """A column of linked plots over steps (GUI thread); call `refresh` to redraw."""

    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)
        self.setObjectName("loss_plots")
        self.smoothing = 0.9
        self.log_y = False
        self.cursor_step: float | None = None
        self._views: list[tuple[str, tuple[str, ...]]] = []
        self.plots: list[pg.PlotItem] = []
        self.curves: list[_Curve] = []
        self._cursors: list[pg.InfiniteLine] = []
        self._placeholder = self.addLabel("Loss curves appear here once training starts.",
                                          color="#666666", size="11pt")

    def reset(self) -> None:
        """Remove every plot (a new run starts)."""
        self.clear()
        self._views, self.plots, self.curves, self._cursors = [], [], [], []
        self._placeholder = self.addLabel("Loss curves appear here once training starts.",
                                          color="#666666", size="11pt")

    def set_smoothing(self, value: float) -> None:
        """Set the EMA smoothing (0 = none, 0.99 = heavy)."""
        self.smoothing = float(value)

    def set_log_y(self, on: bool) -> None:
        """Show the y axes on a log scale."""
        self.log_y = bool(on)
        for p in self.plots:
            p.setLogMode(False, self.log_y)

    def set_cursor(self, step: float | None) -> None:
        """Move the epoch cursor to `step` (None hides it)."""
        self.cursor_step = step
        for line in self._cursors:
            if step is None:
                line.hide()
            else:
                line.setValue(step)
                line.show()

    def point_count(self) -> int:
        """Return the number of raw points shown in the first curve (for tests)."""
        if not self.curves:
            return 0
        x, _ = self.curves[0].raw.getOriginalDataset()
        return 0 if x is None else len(x)

    def refresh(self, history: RunHistory) -> None:
        """Redraw every curve from `history` (call at screen rate at most)."""
        keys = list(history.metrics)
        if not keys:
            return
        views = plan_views(keys)
        if views != self._views:
            self._build(views)
        x = history.steps.view()
        val_x = np.array([e.step for e in history.epochs], dtype=np.float64)
        for curve in self.curves:
            y = history.metrics[curve.key].view()
            with np.errstate(divide="ignore", invalid="ignore"):
                if self.log_y:
                    # Non-positive values cannot be drawn on a log axis; drop them.
                    ok = y > 0
                    curve.raw.setData(x[ok], y[ok])
                    curve.smooth.setData(x[ok], ema_debiased(y[ok], self.smoothing))
                else:
                    curve.raw.setData(x, y)
                    curve.smooth.setData(x, ema_debiased(y, self.smoothing))
            vals = [e.val_metrics.get(curve.key, np.nan) for e in history.epochs]
            vy = np.asarray(vals, dtype=np.float64)
            ok = np.isfinite(vy) & ((vy > 0) if self.log_y else True)
            curve.val.setData(val_x[ok], np.log10(vy[ok]) if self.log_y else vy[ok])

    def _build(self, views: list[tuple[str, tuple[str, ...]]]) -> None:
        self.clear()
        self._views, self.plots, self.curves, self._cursors = views, [], [], []
        colour_index = 0
        for row, (title, keys) in enumerate(views):
            plot = self.addPlot(row=row, col=0, title=title)
            # No grid: translucent grid lines doubled the cost of a redraw while training.
            plot.setLogMode(False, self.log_y)
            if len(keys) > 1:
                plot.addLegend(offset=(-10, 10), labelTextSize="10pt")
            if self.plots:
                plot.setXLink(self.plots[0])
            if row == len(views) - 1:
                plot.setLabel("bottom", "step")
            for key in keys:
                raw = plot.plot(pen=raw_pen(colour_index))
                smooth = plot.plot(pen=smooth_pen(colour_index), name=key)
                for item in (raw, smooth):
                    item.setDownsampling(auto=True, method="peak")
                    item.setClipToView(True)
                val = pg.ScatterPlotItem(size=9, pen=pg.mkPen("w", width=1),
                                         brush=pg.mkBrush(colour(colour_index)), symbol="d")
                plot.addItem(val)
                self.curves.append(_Curve(key, raw, smooth, val))
                colour_index += 1
            line = pg.InfiniteLine(angle=90, movable=False, pen=CURSOR_PEN)
            line.setZValue(10)
            plot.addItem(line, ignoreBounds=True)
            self._cursors.append(line)
            self.plots.append(plot)
        self.set_cursor(self.cursor_step)
