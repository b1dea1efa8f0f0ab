"""One bar chart per measure, the runs side by side (GUI thread): the measure and its unit
as the title, ↓/↑ saying which way is better, a run without a value marked "n/a" (its
reason in the table's tooltip)."""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from app import theme
from app.panels.compare.columns import MEASURES, Measure

COLUMNS = 4  # charts per row
BAR_COLOURS = ("#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2",
               "#eeca3b", "#9d755d")  # one per run, the same in every chart


class CompareCharts(pg.GraphicsLayoutWidget):
    """A grid of small bar charts, one per charted measure (GUI thread)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.measures = [m for m in MEASURES if m.chart]
        self.plots: dict[str, pg.PlotItem] = {}
        for i, measure in enumerate(self.measures):
            plot = self.addPlot(row=i // COLUMNS, col=i % COLUMNS)
            plot.setMenuEnabled(False)
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            plot.showGrid(y=True, alpha=0.25)
            plot.getAxis("left").setWidth(44)
            plot.getAxis("left").enableAutoSIPrefix(False)  # values as the table shows them
            self.plots[measure.key] = plot
        self.show_rows([])

    def show_rows(self, rows: list[dict[str, Any]]) -> None:
        """Draw every measure's bars for `rows` (none: empty charts with their titles)."""
        for measure in self.measures:
            self._draw(self.plots[measure.key], measure, rows)

    def _draw(self, plot: pg.PlotItem, measure: Measure, rows: list[dict[str, Any]]) -> None:
        plot.clear()
        size = theme.plot_text_size()
        unit = f"<br><span style='font-size:small'>{measure.unit}</span>"
        plot.setTitle(f"{measure.name}{unit}", size=size)
        axis = plot.getAxis("bottom")
        axis.setTicks([[(i, _short(row["name"])) for i, row in enumerate(rows)]])
        values = [measure.value(row) for row in rows]
        shown = [(i, v) for i, v in enumerate(values) if v is not None]
        if shown:
            xs, heights = zip(*shown, strict=True)
            brushes = [pg.mkBrush(BAR_COLOURS[i % len(BAR_COLOURS)]) for i in xs]
            plot.addItem(pg.BarGraphItem(x=list(xs), height=list(heights), width=0.6,
                                         brushes=brushes, pen=None))
        top = max((v for _i, v in shown), default=1.0) or 1.0
        muted = theme.text_colour("muted")
        for i, value in enumerate(values):
            if value is None:
                label = pg.TextItem("n/a", color=muted, anchor=(0.5, 1.0))
                label.setPos(i, 0)
                plot.addItem(label)
            elif measure.key == "bits_per_dim" and rows[i].get("bits_per_dim_kind") == "bound":
                label = pg.TextItem("bound", color=muted, anchor=(0.5, 1.0))
                label.setPos(i, value)  # an upper bound: the true value is lower
                plot.addItem(label)
        plot.setXRange(-0.6, max(len(rows), 1) - 0.4, padding=0)
        plot.setYRange(min(0.0, min((v for _i, v in shown), default=0.0)), top * 1.1,
                       padding=0)


def _short(name: str, limit: int = 12) -> str:
    """Return a run's name cut to `limit` characters for a tick label."""
    return name if len(name) <= limit else name[:limit - 1] + "…"
