"""Where along each path the picture changes: the digit classifier's feature distance
between consecutive frames of the Z and the W path, against α (GUI thread)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QVBoxLayout, QWidget

from app.panels.training.fitted_axis import FittedAxis
from app.panels.training.style import colour
from app.theme import line_scale, plot_text_size

Z_COLOUR, W_COLOUR = colour(1), colour(0)


class PathProfile(QWidget):
    """Two curves, Z and W: step i's distance drawn at the midpoint of its α interval. An
    even path is flat; a spike is where the picture jumps."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Presentation mode's large tick text crowds a short plot: FittedAxis thins them.
        self.plot = pg.PlotWidget(axisItems={"left": FittedAxis("left")})
        self.plot.setObjectName("wspace_path_profile")
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        # The title names the curves in their colours: a legend would cover them on a
        # plot this small (presentation mode's text).
        self.plot.setTitle(f"Change per step: <span style='color:{Z_COLOUR}'>Z</span>, "
                           f"<span style='color:{W_COLOUR}'>W</span>", size=plot_text_size())
        self.plot.setLabel("bottom", "α")
        self.plot.setToolTip("The digit classifier's feature distance between consecutive "
                             "frames of each path, at the middle of the step: an even path "
                             "is flat, a spike is where the picture jumps")
        self.plot.setXRange(0.0, 1.0, padding=0.02)
        self.plot.setMinimumHeight(140)
        self.z_curve = self.plot.plot(name="Z path", pen=pg.mkPen(Z_COLOUR, width=line_scale()),
                                      symbol="o", symbolSize=6, symbolBrush=Z_COLOUR)
        self.w_curve = self.plot.plot(name="W path", pen=pg.mkPen(W_COLOUR, width=line_scale()),
                                      symbol="o", symbolSize=6, symbolBrush=W_COLOUR)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)

    def show_steps(self, z_steps: np.ndarray | None, w_steps: np.ndarray | None) -> None:
        """Draw the steps' distances (None: that curve empty)."""
        top = 0.0
        for curve, steps in ((self.z_curve, z_steps), (self.w_curve, w_steps)):
            if steps is None or not len(steps):
                curve.setData([], [])
                continue
            n = len(steps)
            curve.setData((np.arange(n) + 0.5) / n, np.asarray(steps, float))
            top = max(top, float(np.max(steps)))
        self.plot.setYRange(0.0, top * 1.05 if top > 0 else 1.0, padding=0)
