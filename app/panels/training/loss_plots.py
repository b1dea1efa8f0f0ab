"""Live loss curves: faint raw values under a debiased-EMA line, one plot per view.

Which plots appear is decided by the metric keys a run logs, never by the model class:
known pairs (reconstruction vs KL, D(real) vs D(fake)) share a plot; every other key
gets its own. In a run of phases, an earlier phase's plots show its steps alone, the
last phase's plots from where it begins: each phase's curves fill their plots' width.
A redraw costs O(new steps + screen width), not O(history): the smoothing
and the min/max decimation are extended incrementally (series.py), and the ranges grow
in steps (ranges.py) so the axes are not re-laid out on every redraw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor

from app.history import RunHistory
from app.panels.training.decimate import MAX_BINS
from app.panels.training.legends import STYLE_LEGEND, add_legend, add_style_legend
from app.panels.training.log_axis import LogAwareAxis
from app.panels.training.plot_plan import (
    LEGEND_NAMES,
    phase_boundaries,
    phase_span,
    plan_views,
    view_phase,
)
from app.panels.training.ranges import Bounds, RangeAnchor, follow_x, follow_y
from app.panels.training.series import CurveSeries
from app.panels.training.style import (
    CURSOR_PEN,
    PHASE_PEN,
    colour,
    raw_pen,
    smooth_pen,
)
from app.theme import plot_text_size, text_colour
from models.metric_units import metric_meaning

# Zoomed in (x auto-range off), the steps around the view are drawn at full resolution
# while there are at most this many; beyond that the decimated curve is drawn.
WINDOW_MAX_POINTS = 8 * MAX_BINS

EMPTY_TEXT = "Loss curves appear here once training starts."


@dataclass
class _Curve:
    key: str
    plot: int  # index into LossPlots.plots
    raw: pg.PlotDataItem
    smooth: pg.PlotDataItem
    val: pg.ScatterPlotItem
    series: CurveSeries


class LossPlots(pg.GraphicsLayoutWidget):
    """A column of linked plots over steps (GUI thread); call `refresh` to redraw."""

    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)
        self.setObjectName("loss_plots")
        self.smoothing = 0.9
        self.log_y = False
        self.cursor_step: float | None = None
        self._cursor_pending: set[int] = set()  # plots whose cursor moves at their redraw
        self._views: list[tuple[str, tuple[str, ...]]] = []
        self.plots: list[pg.PlotItem] = []
        self.groups: list[int | None] = []  # per plot: its earlier phase, None: the rest
        self.curves: list[_Curve] = []
        self._cursors: list[pg.InfiniteLine] = []
        # Phase boundaries as (step, label) and their lines (every plot has each one).
        self.boundaries: list[tuple[int, str]] = []
        self._boundary_lines: list[tuple[pg.PlotItem, pg.InfiniteLine]] = []
        self._anchors: list[RangeAnchor] = []
        self._history: RunHistory | None = None
        self._x_shown: Bounds = None  # the x range of the plots of group None
        self._x_phase: dict[int, Bounds] = {}  # of each earlier phase's plots
        self._y_shown: list[Bounds] = []  # per plot, as the rest below
        self._val_bounds: list[tuple[float, float]] = []
        self._val_epochs: list[int] = []  # epochs whose validation points are drawn
        self._window: tuple[float, float] | None = None  # x span drawn at full resolution
        self._span: tuple[int, int] | None = None  # its step indices, None: reduced curves
        self._todo: list[int] = []  # plots still to draw for the last refresh
        self._spread = QTimer(self)
        self._spread.setSingleShot(True)
        self._spread.setInterval(1)  # a real timer: the previous plot's paint comes first
        self._spread.timeout.connect(self._draw_next)
        # Panning or zooming while no steps arrive still needs the steps around the view.
        self._rewindow = QTimer(self)
        self._rewindow.setSingleShot(True)
        self._rewindow.setInterval(50)
        self._rewindow.timeout.connect(self._refresh_again)
        self._placeholder = self.addLabel(EMPTY_TEXT, color=text_colour("muted"),
                                          size=plot_text_size())

    def reset(self, placeholder: str = "") -> None:
        """Remove every plot (a new run starts); `placeholder` replaces the empty text
        until the first curves (a recorded history being read)."""
        self.clear()
        self._views, self.plots, self.curves, self._cursors = [], [], [], []
        self._anchors, self._history, self._todo = [], None, []
        self.boundaries, self._boundary_lines = [], []
        self.groups = []
        self._placeholder = self.addLabel(placeholder or EMPTY_TEXT,
                                          color=text_colour("muted"), size=plot_text_size())

    def set_smoothing(self, value: float) -> None:
        """Set the EMA smoothing (0 = none, 0.99 = heavy)."""
        self.smoothing = float(value)
        for curve in self.curves:
            curve.series.set_smoothing(self.smoothing)

    def set_log_y(self, on: bool) -> None:
        """Show the y axes on a log scale."""
        self.log_y = bool(on)
        for p in self.plots:
            p.setLogMode(False, self.log_y)
        self._restart()

    def set_cursor(self, step: float | None, defer: bool = False) -> None:
        """Move the epoch cursor to `step` (None hides it); `defer` waits for the next
        `refresh` (following a live run: one repaint for the new epoch's steps and line)."""
        self.cursor_step = step
        self._cursor_pending = set(range(len(self._cursors))) if defer else set()
        if not defer:
            for line in self._cursors:
                self._place_cursor(line)

    def _place_cursor(self, line: pg.InfiniteLine) -> None:
        if self.cursor_step is None:
            line.hide()
            return
        line.setValue(self.cursor_step)
        line.show()
        line.boundingRect()  # sized now, not lazily in the paint: that asks for a 2nd paint

    def point_count(self) -> int:
        """Return the number of raw points drawn in the first curve (for tests)."""
        if not self.curves:
            return 0
        x, _ = self.curves[0].raw.getOriginalDataset()
        return 0 if x is None else len(x)

    def refresh(self, history: RunHistory, spread: bool = False) -> None:
        """Draw the steps and epochs `history` gained since the last call (≤ screen rate).

        `spread`: draw one plot now and the others on the next passes of the event loop,
        so the GUI thread repaints one plot at a time (~1 ms each, not ~2 ms at once).
        """
        keys = list(history.metrics)
        if not keys:
            return
        shape = history.shape
        views = plan_views(keys, shape.family)
        groups = [view_phase(ks, shape) for _title, ks in views]
        if views != self._views or groups != self.groups:
            self._build(views, shape.family, groups)
        if history is not self._history:
            self._history = history
            self._restart()
        boundaries = phase_boundaries(history)
        if boundaries != self.boundaries:
            self._mark_boundaries(boundaries)
        x = history.steps.view()
        for curve in self.curves:
            curve.series.update(x, history.metrics[curve.key].view())
        self._span = self._full_resolution_span(x)
        if len(x):
            self._follow_x(x, history)
        self._todo = list(range(len(self.plots)))
        if spread:
            self._draw_next()
        while self._todo and not spread:
            self._draw_plot(self._todo.pop(0))

    # --- internals -----------------------------------------------------------------------
    def _follow_x(self, x: np.ndarray, history: RunHistory) -> None:
        """Grow each group's x range: an earlier phase's to its own steps, the rest's from
        where the last phase begins once reached (from the first step before)."""
        shape, first, last = history.shape, float(x[0]), float(x[-1])
        start, end = phase_span(shape, None)
        if start and last > start:
            first = max(first, float(start))
        self._x_shown = follow_x(self._x_shown, first, last, shape.total_steps)
        for phase in set(self.groups) - {None}:
            start, end = phase_span(shape, phase)
            if last > start:
                self._x_phase[phase] = follow_x(self._x_phase.get(phase), float(start),
                                                min(last, float(end)), end)

    def _mark_boundaries(self, boundaries: list[tuple[int, str]]) -> None:
        """Draw a vertical line on every plot where each phase begins, labelled on the
        top plot (the x axes are linked: one label names it for all)."""
        for plot, line in self._boundary_lines:
            plot.removeItem(line)
        self._boundary_lines = []
        self.boundaries = list(boundaries)
        lead = self.groups.index(None) if None in self.groups else 0
        for row, plot in enumerate(self.plots):
            for step, label in self.boundaries:
                # Hung from near the top, right of the line: short plots clip what
                # sticks out of their view box. On the plot's background: a phase's
                # first losses, high at the top left, run under it.
                opts = {"position": 0.97, "anchors": [(0, 0), (0, 0)],
                        "color": PHASE_PEN.color(), "fill": self._label_fill()}
                named = row == lead  # an earlier phase's line is at its plots' right edge
                line = pg.InfiniteLine(pos=step, angle=90, movable=False, pen=PHASE_PEN,
                                       label=label if named else None,
                                       labelOpts=opts if named else None)
                line.setZValue(9)
                plot.addItem(line, ignoreBounds=True)
                self._boundary_lines.append((plot, line))

    def _label_fill(self) -> QColor:
        """Return the plots' background, slightly see-through (a label's box)."""
        fill = QColor(self.backgroundBrush().color())
        fill.setAlpha(220)
        return fill

    def _restart(self) -> None:
        """Recompute everything drawn on the next refresh (log scale or run changed)."""
        for curve in self.curves:
            curve.series = CurveSeries(self.smoothing, self.log_y)
        self._x_shown = None
        self._x_phase = {}
        self._y_shown = [None] * len(self.plots)
        self._val_epochs = [-1] * len(self.plots)
        self._val_bounds = [(np.inf, -np.inf)] * len(self.plots)

    def _refresh_again(self) -> None:
        if self._history is not None:
            self.refresh(self._history)

    def _draw_next(self) -> None:
        if self._todo and self._history is not None:
            self._draw_plot(self._todo.pop(0))
        if self._todo:
            self._spread.start()

    def _draw_plot(self, i: int) -> None:
        """Hand plot i its curves, validation points, range and cursor."""
        history = self._history
        x = history.steps.view()
        curves = [c for c in self.curves if c.plot == i]
        for curve in curves:
            if self._span is None or self.groups[i] is not None:
                raw, smooth = curve.series.raw.points(), curve.series.smooth.points()
            else:
                rx, ry, sx, sy = curve.series.window(x, history.metrics[curve.key].view(),
                                                     *self._span)
                raw, smooth = (rx, ry), (sx, sy)
            curve.raw.setData(*raw)
            curve.smooth.setData(*smooth)
        if self._val_epochs[i] != len(history.epochs):
            self._draw_validation(i, curves, history)
        self._follow(i, curves)
        if i in self._cursor_pending:
            self._cursor_pending.discard(i)
            self._place_cursor(self._cursors[i])

    def _full_resolution_span(self, x: np.ndarray) -> tuple[int, int] | None:
        """Return the step indices to draw unreduced when zoomed in, else None."""
        self._window = None
        if self._following_x() or len(x) == 0:
            return None
        lo, hi = self._lead().vb.viewRange()[0]
        width = hi - lo  # a view's width either side: small pans need no new data
        i0 = int(np.searchsorted(x, lo - width))
        i1 = int(np.searchsorted(x, hi + width, side="right"))
        if i1 - i0 > WINDOW_MAX_POINTS:
            return None
        self._window = (lo - width, hi + width)
        return i0, i1

    def _following_x(self) -> bool:
        # The x axes are linked: the one whose auto-range is on drives the others.
        return any(p.vb.autoRangeEnabled()[0]
                   for p, g in zip(self.plots, self.groups, strict=True) if g is None)

    def _lead(self) -> pg.PlotItem:
        """Return the top plot of group None (the others of it are linked to it)."""
        return self.plots[self.groups.index(None) if None in self.groups else 0]

    def _on_x_range(self, _vb: object, x_range: tuple[float, float]) -> None:
        if self._following_x():
            stale = self._window is not None
        else:
            w = self._window
            stale = w is None or x_range[0] < w[0] or x_range[1] > w[1]
        if stale:
            self._rewindow.start()

    def _draw_validation(self, i: int, curves: list[_Curve], history: RunHistory) -> None:
        val_x = np.array([e.step for e in history.epochs], dtype=np.float64)
        lo, hi = np.inf, -np.inf
        for curve in curves:
            vals = [e.val_metrics.get(curve.key, np.nan) for e in history.epochs]
            vy = np.asarray(vals, dtype=np.float64)
            with np.errstate(divide="ignore", invalid="ignore"):
                ok = np.isfinite(vy) & ((vy > 0) if self.log_y else True)
                shown = np.log10(vy[ok]) if self.log_y else vy[ok]
            curve.val.setData(val_x[ok], shown)
            if len(shown):
                lo, hi = min(lo, shown.min()), max(hi, shown.max())
        self._val_bounds[i] = (lo, hi)
        self._val_epochs[i] = len(history.epochs)

    def _follow(self, i: int, curves: list[_Curve]) -> None:
        """Move plot i's range anchor when the data has outgrown it."""
        if self._x_shown is None:
            return
        lo, hi = self._val_bounds[i]
        for curve in curves:
            # The smoothed values are averages of the raw ones: within their extremes.
            c_lo, c_hi = curve.series.raw.lo, curve.series.raw.hi
            if not np.isfinite(c_lo):
                continue
            if self.log_y:  # the series hold data units (> 0 here); the view log10
                c_lo, c_hi = np.log10(c_lo), np.log10(c_hi)
            lo, hi = min(lo, c_lo), max(hi, c_hi)
        self._y_shown[i] = follow_y(self._y_shown[i], float(lo), float(hi))
        group = self.groups[i]
        x_shown = self._x_shown if group is None else self._x_phase.get(group)
        self._anchors[i].set_bounds(x_shown, self._y_shown[i])

    def _build(self, views: list[tuple[str, tuple[str, ...]]], family: str = "",
               groups: list[int | None] | None = None) -> None:
        self.clear()
        self._boundary_lines = []  # went with their plots
        self._views, self.plots, self.curves, self._cursors = views, [], [], []
        self.groups = list(groups) if groups is not None else [None] * len(views)
        firsts: dict[int | None, pg.PlotItem] = {}  # each group's top plot
        self._anchors = []
        colour_index = 0
        for row, (title, keys) in enumerate(views):
            plot = self.addPlot(row=row, col=0, axisItems={"left": LogAwareAxis("left")})
            # The unit goes in the title, which has the plot's width: on the left axis it
            # was longer than a short plot is tall (several plots on a 720-pixel screen).
            unit = metric_meaning(family, keys[0])[1]
            plot.setTitle(f"{title} ({unit})" if unit else title, size=plot_text_size())
            # No grid: translucent grid lines doubled the cost of a redraw while training.
            plot.setLogMode(False, self.log_y)
            if row == 0:
                add_style_legend(add_legend(plot, len(STYLE_LEGEND)))
            elif len(keys) > 1:
                add_legend(plot, len(keys))
            group = self.groups[row]
            if group in firsts:
                plot.setXLink(firsts[group])
            else:
                firsts[group] = plot
                if group is None:
                    plot.vb.sigXRangeChanged.connect(self._on_x_range)
            if row == len(views) - 1:
                plot.setLabel("bottom", "step")
            elif self.groups[row + 1] != group:
                pass  # the last plot of its phase's steps: its own values are read here
            else:
                # The x axes are linked: the steps are read off the bottom one, and the
                # room of the others' numbers goes to the curves (and the legends' rows).
                plot.getAxis("bottom").setStyle(showValues=False)
            anchor = RangeAnchor()
            plot.addItem(anchor)
            self._anchors.append(anchor)
            for key in keys:
                raw = pg.PlotDataItem(pen=raw_pen(colour_index))
                name = LEGEND_NAMES.get(key, key) if len(keys) > 1 else None
                smooth = pg.PlotDataItem(pen=smooth_pen(colour_index), name=name)
                for item in (raw, smooth):
                    # Used when zoomed in; following, the series are already reduced.
                    item.setDownsampling(auto=True, method="peak")
                    item.setClipToView(True)
                    plot.addItem(item, ignoreBounds=True)
                val = pg.ScatterPlotItem(size=9, pen=pg.mkPen("w", width=1),
                                         brush=pg.mkBrush(colour(colour_index)), symbol="d")
                plot.addItem(val, ignoreBounds=True)
                self.curves.append(_Curve(key, row, raw, smooth, val,
                                          CurveSeries(self.smoothing, self.log_y)))
                colour_index += 1
            line = pg.InfiniteLine(angle=90, movable=False, pen=CURSOR_PEN)
            line.setZValue(10)
            plot.addItem(line, ignoreBounds=True)
            self._cursors.append(line)
            self.plots.append(plot)
        self._todo, self._window, self._span = [], None, None
        self._restart()
        self.set_cursor(self.cursor_step)
        self._mark_boundaries(self.boundaries)


