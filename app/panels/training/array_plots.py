"""Bar charts of per-epoch arrays (KL per latent dimension, loss by timestep bucket, …).

Any 1-D array an epoch reports gets a chart; known names get a title and, for KL per
dimension, a count of active units so posterior collapse is visible at a glance.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from app.history import EpochRecord
from app.panels.training.fitted_axis import FittedAxis
from app.panels.training.ranges import nice_ceil
from app.panels.training.style import colour
from app.theme import plot_text_size
from models.metric_units import metric_meaning

ACTIVE_KL = 0.01  # nats: below this a latent dimension carries (almost) no information
TITLES = {"kl_per_dim": "KL per dimension", "loss_by_t": "Loss by timestep bucket",
          "loss_by_timestep": "Loss by timestep bucket"}
X_LABELS = {"kl_per_dim": "latent dimension", "loss_by_t": "bucket, noisier →",
            "loss_by_timestep": "bucket, noisier →"}
LOSS_BY_T = ("loss_by_t", "loss_by_timestep")
Y_LABELS = {"kl_per_dim": "nats / image", "loss_by_t": "MSE / pixel",
            "loss_by_timestep": "MSE / pixel"}


def array_title(key: str, values: np.ndarray) -> str:
    """Return the chart title for array `key`, with active units for KL per dimension."""
    title = TITLES.get(key, key.replace("_", " "))
    if key == "kl_per_dim":
        active = int(np.sum(values > ACTIVE_KL))
        title += f" — {active} of {len(values)} active"
        if active == 0:
            title += " (posterior collapse)"
    return title


def axis_label(key: str, family: str = "") -> str:
    """Return the bottom label of array `key`'s chart, with the bars' unit: a short chart
    (a demo's history shows these as soon as it opens) cut a left-axis label, and the
    title has the counts. A loss by timestep has the unit of `family`'s loss (latent
    diffusion's is per latent value, not per pixel)."""
    unit = Y_LABELS.get(key, "")
    if key in LOSS_BY_T and family:
        unit = metric_meaning(family, "loss")[1] or unit
    return f"{X_LABELS.get(key, 'index')} · {unit}" if unit else X_LABELS.get(key, "index")


class ArrayPlots(pg.GraphicsLayoutWidget):
    """One bar chart per 1-D array of the shown epoch (GUI thread)."""

    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)
        self.setObjectName("array_plots")
        self._keys: list[str] = []
        self.family = ""  # the run's family: it decides a loss's unit
        self.plots: dict[str, pg.PlotItem] = {}
        self.bars: dict[str, pg.BarGraphItem] = {}
        # What each chart shows now: a new epoch re-lays out a title, the ticks or the y
        # range only when they change (each is a re-layout or an axis redraw).
        self._shown: dict[str, dict[str, object]] = {}

    def keys(self) -> list[str]:
        """Return the array names shown."""
        return list(self._keys)

    def show_epoch(self, record: EpochRecord | None) -> None:
        """Draw the arrays of `record` (None clears)."""
        arrays = {} if record is None else {
            k: np.asarray(v, dtype=np.float64).ravel() for k, v in record.arrays.items()
            if np.ndim(v) == 1 and len(v) > 0}
        keys = list(arrays)
        if keys != self._keys:
            self.clear()
            self.plots, self.bars, self._shown = {}, {}, {}
            for row, key in enumerate(keys):
                # These charts are short: their y labels must not run into each other.
                plot = self.addPlot(row=row, col=0, axisItems={"left": FittedAxis("left")})
                plot.setLabel("bottom", axis_label(key, self.family))
                plot.setMouseEnabled(x=False, y=False)
                plot.hideButtons()
                bars = pg.BarGraphItem(x=[0], height=[0], width=0.8)
                plot.addItem(bars)
                self.plots[key], self.bars[key] = plot, bars
                self._shown[key] = {"brushes": (pg.mkBrush(colour(row)), pg.mkBrush("#bbbbbb"))}
            self._keys = keys
        self.setVisible(bool(keys))
        for key in keys:
            self._draw(key, arrays[key])

    def _draw(self, key: str, values: np.ndarray) -> None:
        shown, plot = self._shown[key], self.plots[key]
        on, off = shown["brushes"]
        brushes = [on if key != "kl_per_dim" or v > ACTIVE_KL else off for v in values]
        self.bars[key].setOpts(x=np.arange(len(values)), height=values, width=0.8,
                               brushes=brushes, pen=None)
        title = array_title(key, values)
        if shown.get("title") != title:
            plot.setTitle(title, size=plot_text_size())
            shown["title"] = title
        if shown.get("n") != len(values):
            # Whole-number ticks: dimension 0.5 does not exist.
            step = max(1, len(values) // 10)
            plot.getAxis("bottom").setTicks([[(i, str(i)) for i in range(0, len(values), step)]])
            shown["n"] = len(values)
        if key == "kl_per_dim":
            # A round top, moved only when the bars outgrow it or shrink below half.
            top = max(float(values.max()) * 1.1, 0.05)
            if not top <= shown.get("top", 0.0) <= 2 * top:
                shown["top"] = nice_ceil(top)
                plot.setYRange(0, shown["top"])
        elif "auto" not in shown:
            plot.enableAutoRange()
            shown["auto"] = True
