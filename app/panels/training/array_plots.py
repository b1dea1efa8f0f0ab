"""Bar charts of per-epoch arrays (KL per latent dimension, loss by timestep bucket, …).

Any 1-D array an epoch reports gets a chart; known names get a title and, for KL per
dimension, a count of active units so posterior collapse is visible at a glance.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from app.history import EpochRecord
from app.panels.training.style import colour

ACTIVE_KL = 0.01  # nats: below this a latent dimension carries (almost) no information
TITLES = {"kl_per_dim": "KL per latent dimension", "loss_by_t": "Loss by timestep bucket",
          "loss_by_timestep": "Loss by timestep bucket"}
X_LABELS = {"kl_per_dim": "latent dimension", "loss_by_t": "timestep bucket (noisier →)",
            "loss_by_timestep": "timestep bucket (noisier →)"}


def array_title(key: str, values: np.ndarray) -> str:
    """Return the chart title for array `key`, with active units for KL per dimension."""
    title = TITLES.get(key, key.replace("_", " "))
    if key == "kl_per_dim":
        active = int(np.sum(values > ACTIVE_KL))
        title += f" — {active} of {len(values)} active"
        if active == 0:
            title += " (posterior collapse)"
    return title


class ArrayPlots(pg.GraphicsLayoutWidget):
    """One bar chart per 1-D array of the shown epoch (GUI thread)."""

    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)
        self.setObjectName("array_plots")
        self._keys: list[str] = []
        self.plots: dict[str, pg.PlotItem] = {}
        self.bars: dict[str, pg.BarGraphItem] = {}

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
            self.plots, self.bars = {}, {}
            for row, key in enumerate(keys):
                plot = self.addPlot(row=row, col=0)
                plot.setLabel("bottom", X_LABELS.get(key, "index"))
                plot.setMouseEnabled(x=False, y=False)
                plot.hideButtons()
                bars = pg.BarGraphItem(x=[0], height=[0], width=0.8)
                plot.addItem(bars)
                self.plots[key], self.bars[key] = plot, bars
            self._keys = keys
        self.setVisible(bool(keys))
        for i, key in enumerate(keys):
            values = arrays[key]
            brushes = [pg.mkBrush(colour(i) if key != "kl_per_dim" or v > ACTIVE_KL
                                  else "#bbbbbb") for v in values]
            self.bars[key].setOpts(x=np.arange(len(values)), height=values, width=0.8,
                                   brushes=brushes, pen=None)
            self.plots[key].setTitle(array_title(key, values), size="10pt")
            # Whole-number ticks: dimension 0.5 does not exist.
            step = max(1, len(values) // 10)
            self.plots[key].getAxis("bottom").setTicks(
                [[(i, str(i)) for i in range(0, len(values), step)]])
            if key == "kl_per_dim":
                self.plots[key].setYRange(0, max(float(values.max()) * 1.1, 0.05))
            else:
                self.plots[key].enableAutoRange()
