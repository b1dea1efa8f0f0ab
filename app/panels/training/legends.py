"""The Training plots' legends: a row of named curves between a plot's title and its
curves, and the grey key to the three marks every plot draws."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSizePolicy

from app.panels.training.style import LEGEND_PEN, raw_pen, smooth_pen
from app.theme import plot_text_size

STYLE_LEGEND = ("each step", "smoothed (EMA)", "validation (epoch end)")


def add_legend(plot: pg.PlotItem, entries: int) -> pg.LegendItem:
    """Return a legend of `entries` in one row (a column was taller than a short plot),
    right-aligned between `plot`'s title and its view box: laid over the view box, it
    covered the top of the curves. Curves added with a name join it."""
    legend = pg.LegendItem(labelTextSize=plot_text_size(), colCount=entries)
    legend.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
    legend.layout.setContentsMargins(0, 0, 0, 0)
    # The top axis is never shown: its row of the plot's grid holds the legend instead.
    plot.layout.removeItem(plot.getAxis("top"))
    plot.layout.addItem(legend, 1, 1)
    plot.layout.setAlignment(legend, Qt.AlignmentFlag.AlignRight)
    plot.legend = legend  # what PlotItem.addItem adds named curves to
    return legend


def add_style_legend(legend: pg.LegendItem) -> None:
    """Explain the three marks of every plot, in grey: faint raw steps, the smoothed
    line and the validation diamonds (their colours are the metrics')."""
    raw = pg.PlotDataItem(pen=raw_pen(0, LEGEND_PEN))
    smooth = pg.PlotDataItem(pen=smooth_pen(0, LEGEND_PEN))
    val = pg.ScatterPlotItem(size=9, pen=pg.mkPen("w", width=1),
                             brush=pg.mkBrush(LEGEND_PEN), symbol="d")
    for item, label in zip((raw, smooth, val), STYLE_LEGEND, strict=True):
        legend.addItem(item, label)
