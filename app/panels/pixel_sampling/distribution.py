"""The 256-way distribution a value is drawn from, as bars, the drawn value marked and
its entropy in bits (GUI thread)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.panels.pixel_sampling.grid import CURRENT_COLOUR
from app.panels.pixel_sampling.recording import LEVELS, entropy_bits
from app.theme import line_scale, plot_text_size

BAR_COLOUR = "#1f77b4"
TITLE = "Predicted distribution"


class DistributionChart(QWidget):
    """A bar per level 0…255 (its probability), a line at the value drawn, and a line of
    text under the chart saying where, what was drawn, and the entropy."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget()
        self.plot.setObjectName("pixel_distribution")
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setMinimumHeight(200)
        self.plot.setLabel("bottom", "value (0 black … 255 white)")
        self.plot.setLabel("left", "probability")
        self.plot.setXRange(-2, LEVELS + 1, padding=0)
        self.plot.setYRange(0, 1, padding=0)
        self.heights = np.zeros(LEVELS)  # the bars shown (tests read them)
        self.bars = pg.BarGraphItem(x=np.arange(LEVELS), height=self.heights, width=1.0,
                                    brush=BAR_COLOUR, pen=pg.mkPen(None))
        self.plot.addItem(self.bars)
        self.marker = pg.InfiniteLine(angle=90, movable=False,
                                      pen=pg.mkPen(CURRENT_COLOUR, width=2 * line_scale()),
                                      label="", labelOpts={"position": 0.92,
                                                           "color": CURRENT_COLOUR,
                                                           "anchors": [(0, 0.5), (0, 0.5)]})
        self.plot.addItem(self.marker)
        self.marker.hide()
        self.drawn: int | None = None
        self.entropy: float | None = None
        self.info = QLabel()
        self.info.setObjectName("pixel_distribution_info")
        self.info.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.info)
        self.show_distribution(None, None, "")

    def show_distribution(self, probs: np.ndarray | None, drawn: int | None,
                          where: str) -> None:
        """Draw `probs` [256] with `drawn` marked (None: not drawn yet) and say `where` it
        is (None probs: an empty chart with `where` as the note)."""
        if probs is None:
            self.heights = np.zeros(LEVELS)
            self.bars.setOpts(height=self.heights)
            self.marker.hide()
            self.drawn, self.entropy = None, None
            self.plot.setTitle(TITLE, size=plot_text_size())
            self.info.setText(where)
            return
        self.heights = probs.astype(np.float64)
        self.bars.setOpts(height=self.heights)
        top = float(self.heights.max())
        self.plot.setYRange(0, max(0.05, top * 1.12), padding=0)
        self.entropy = entropy_bits(probs)
        self.drawn = drawn
        likeliest = int(self.heights.argmax())
        parts = [where]
        if drawn is not None:
            self.marker.setPos(drawn)
            self.marker.label.setFormat(f"drew {drawn}")
            # The label sits on the side with more room: never cut at the right edge.
            self.marker.label.anchors = [(1, 0.5), (1, 0.5)] if drawn > LEVELS * 0.7 \
                else [(0, 0.5), (0, 0.5)]
            self.marker.label.updatePosition()
            self.marker.show()
            parts.append(f"drew {drawn} (p = {self.heights[drawn]:.3f})")
        else:
            self.marker.hide()
            parts.append("not drawn yet")
        parts.append(f"most likely {likeliest} (p = {top:.3f})")
        self.plot.setTitle(f"{TITLE} — entropy {self.entropy:.2f} bits",
                           size=plot_text_size())
        self.info.setText(" · ".join(parts))
