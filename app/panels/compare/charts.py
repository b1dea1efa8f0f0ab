"""One bar chart per measure, the runs side by side (GUI thread): the measure and its unit
as the title, ↓/↑ saying which way is better, a run without a value marked "n/a" (its
reason in the table's tooltip)."""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from app import theme
from app.panels.compare.columns import MEASURES, Measure, run_colour
from app.panels.training.fitted_axis import FittedAxis  # a widget, not the panel

COLUMNS = 4  # charts per row


class CompareCharts(pg.GraphicsLayoutWidget):
    """A grid of small bar charts, one per charted measure (GUI thread)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.measures = [m for m in MEASURES if m.chart]
        self.plots: dict[str, pg.PlotItem] = {}
        # Run names do not fit under the bars of a small chart: the bars are numbered as
        # the table's rows, and this line names each number in its colour.
        self.legend = self.addLabel("", row=0, col=0, colspan=COLUMNS)
        for i, measure in enumerate(self.measures):
            plot = self.addPlot(row=1 + i // COLUMNS, col=i % COLUMNS,
                                axisItems={"left": FittedAxis("left")})
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
        self.legend.setText("&nbsp;&nbsp;&nbsp;".join(
            f"<span style='color:{run_colour(i)}'>■</span> {i + 1} {row['name']}"
            for i, row in enumerate(rows)), size=theme.plot_text_size())

    def _draw(self, plot: pg.PlotItem, measure: Measure, rows: list[dict[str, Any]]) -> None:
        plot.clear()
        size = theme.plot_text_size()
        unit = f"<br><span style='font-size:small'>{measure.unit}</span>"
        plot.setTitle(f"{measure.name}{unit}", size=size)
        axis = plot.getAxis("bottom")
        axis.setTicks([[(i, str(i + 1)) for i in range(len(rows))]])
        values = [measure.value(row) for row in rows]
        shown = [(i, v) for i, v in enumerate(values) if v is not None]
        if shown:
            xs, heights = zip(*shown, strict=True)
            brushes = [pg.mkBrush(run_colour(i)) for i in xs]
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
                # An upper bound: the true value is lower, somewhere inside the bar.
                label = pg.TextItem("≤", color="#ffffff", anchor=(0.5, 0.0))
                label.setPos(i, value)
                plot.addItem(label)
        plot.setXRange(-0.6, max(len(rows), 1) - 0.4, padding=0)
        plot.setYRange(min(0.0, min((v for _i, v in shown), default=0.0)), top * 1.1,
                       padding=0)

