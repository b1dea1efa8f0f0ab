"""One bar chart per measure, the runs side by side (GUI thread): the measure and its unit
as the title, ↓/↑ saying which way is better, a run without a value marked "n/a" (its
reason in the table's tooltip)."""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetricsF
from PySide6.QtWidgets import QApplication, QWidget

from app import theme
from app.panels.compare.columns import MEASURES, Measure, run_colour
from app.panels.training.fitted_axis import FittedAxis  # a widget, not the panel

COLUMNS = 4  # charts per row
PLOT_LINES = 6  # a chart's height in lines of text: title, unit, bars and tick labels


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

    def fit_height(self) -> None:
        """Ask for the height every chart needs to stay readable in the current font (a
        scroll area holds the grid where the dock is shorter, as when presenting)."""
        line = QFontMetricsF(QApplication.font()).height()
        rows = -(-len(self.measures) // COLUMNS)
        self.setMinimumHeight(round((rows * PLOT_LINES + 2) * line))

    def changeEvent(self, event: QEvent) -> None:
        """Refit the height when the font changes (presentation mode, themes)."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self.fit_height()

    def show_rows(self, rows: list[dict[str, Any]]) -> None:
        """Draw every measure's bars for `rows` (none: empty charts with their titles)."""
        self.fit_height()
        for measure in self.measures:
            self._draw(self.plots[measure.key], measure, rows)
        self.legend.setText("&nbsp;&nbsp;&nbsp;".join(
            f"<span style='color:{run_colour(i)}'>■</span> {i + 1} {row['name']}"
            for i, row in enumerate(rows)), size=theme.plot_text_size())

    def _draw(self, plot: pg.PlotItem, measure: Measure, rows: list[dict[str, Any]]) -> None:
        plot.clear()
        size = theme.plot_text_size()
        small = f"{float(size.removesuffix('pt')) * 0.75:.0f}pt"
        note = "; hatched: upper bound" if any(_is_bound(measure, r) for r in rows) else ""
        unit = f"<br><span style='font-size:{small}'>{measure.unit}{note}</span>"
        plot.setTitle(f"{measure.name}{unit}", size=size)
        axis = plot.getAxis("bottom")
        axis.setTicks([[(i, str(i + 1)) for i in range(len(rows))]])
        values = [measure.value(row) for row in rows]
        shown = [(i, v) for i, v in enumerate(values) if v is not None]
        if shown:
            xs, heights = zip(*shown, strict=True)
            brushes = [_brush(run_colour(i), _is_bound(measure, rows[i])) for i in xs]
            plot.addItem(pg.BarGraphItem(x=list(xs), height=list(heights), width=0.6,
                                         brushes=brushes, pen=None))
        top = max((v for _i, v in shown), default=1.0) or 1.0
        muted = theme.text_colour("muted")
        for i, value in enumerate(values):
            if value is None:
                label = pg.TextItem("n/a", color=muted, anchor=(0.5, 1.0))
                label.setPos(i, 0)
                plot.addItem(label)
        plot.setXRange(-0.6, max(len(rows), 1) - 0.4, padding=0)
        plot.setYRange(min(0.0, min((v for _i, v in shown), default=0.0)), top * 1.1,
                       padding=0)


def _is_bound(measure: Measure, row: dict[str, Any]) -> bool:
    """Return True for a bits/dim value that is an upper bound (a VAE's IWAE)."""
    return measure.key == "bits_per_dim" and row.get("bits_per_dim_kind") == "bound"


def _brush(colour: str, hatched: bool) -> QBrush:
    """Return a bar's fill: the run's colour, hatched for an upper bound (the true value
    lies lower, somewhere inside the bar)."""
    return QBrush(QColor(colour), Qt.BrushStyle.BDiagPattern if hatched
                  else Qt.BrushStyle.SolidPattern)
