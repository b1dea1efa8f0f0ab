"""The 256-way distribution a value is drawn from, one stem per level, the drawn value's
stem marked, its entropy in bits in the title (GUI thread).

Stems, not bars: 256 bars are a pixel or two wide each, and a pixel model's mass often
sits on one or two levels (a digit's black and white); a stem of fixed screen width stays
visible at any chart size.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Slot
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from app import theme
from app.panels.pixel_sampling.grid import CURRENT_COLOUR
from app.panels.pixel_sampling.recording import LEVELS, entropy_bits
from app.theme import line_scale, plot_text_size

STEM_COLOUR = "#1f77b4"
TITLE = "Predicted distribution"  # until a value is shown; then its entropy
SHOWN_P = 1e-4  # stems below this are not drawn (they would be a dot on the axis)


LOG_FLOOR = math.log10(SHOWN_P)
LOG_TICKS = [[(k, f"{10.0 ** k:g}") for k in range(round(LOG_FLOOR), 1)]]


def _stems(x: np.ndarray, y: np.ndarray, floor: float) -> tuple[np.ndarray, np.ndarray]:
    """Return the (x, y) of vertical segments from (x, floor) to (x, y), as pairs."""
    return np.repeat(x, 2).astype(float), \
        np.stack([np.full_like(y, floor, dtype=float), y], 1).ravel()


class DistributionChart(QWidget):
    """A stem per level 0…255 (its probability), the value drawn in orange with its
    label, and a line of text under the chart saying where, what was drawn, the likeliest
    value."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget()
        self.plot.setObjectName("pixel_distribution")
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setMinimumHeight(200)
        self.plot.setLabel("bottom", "value (0 black … 255 white)")
        self.plot.setLabel("left", "predicted probability")
        self.plot.getAxis("left").enableAutoSIPrefix(False)  # 0.04, not "40 (x0.001)"
        self.plot.setXRange(-4, LEVELS + 3, padding=0)
        self.plot.setYRange(0, 1, padding=0)
        self._y_range = (0.0, 1.0)
        self._title = ""
        self.heights = np.zeros(LEVELS)  # the distribution shown (tests read it)
        self.stems = self.plot.plot(connect="pairs",
                                    pen=pg.mkPen(STEM_COLOUR, width=3 * line_scale()))
        self.drawn_stem = self.plot.plot(connect="pairs",
                                         pen=pg.mkPen(CURRENT_COLOUR, width=4 * line_scale()))
        # On the plot's background: readable where it crosses other stems.
        backdrop = pg.mkColor(theme.current().plot_background)
        backdrop.setAlpha(220)
        self.drawn_label = pg.TextItem(color=CURRENT_COLOUR, anchor=(0, 1),
                                       fill=pg.mkBrush(backdrop))
        font = QFont(QApplication.font())
        font.setPointSizeF(font.pointSizeF() * 1.15)  # as large as the plot's title
        font.setBold(True)
        self.drawn_label.setFont(font)
        self.plot.addItem(self.drawn_label)
        self.drawn: int | None = None
        self.entropy: float | None = None
        self.info = QLabel()
        self.info.setObjectName("pixel_distribution_info")
        self.info.setWordWrap(True)
        self.log_box = QCheckBox("Log scale")
        self.log_box.setObjectName("pixel_distribution_log")
        self.log_box.setToolTip("Probabilities on a log scale, down to 0.0001: the tail "
                                "of a peaked distribution shows")
        self.log_box.toggled.connect(self._redraw)
        self._shown: tuple[np.ndarray | None, int | None, str] = (None, None, "")
        below = QHBoxLayout()
        below.addWidget(self.info, 1)
        below.addWidget(self.log_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 1)
        layout.addLayout(below)
        self.show_distribution(None, None, "")

    def show_distribution(self, probs: np.ndarray | None, drawn: int | None,
                          where: str) -> None:
        """Draw `probs` [256] with `drawn` marked (None: not drawn yet) and say `where` it
        is (None probs: an empty chart with `where` as the note)."""
        self._shown = (probs, drawn, where)
        self._redraw()

    @Slot()
    def _redraw(self) -> None:
        probs, drawn, where = self._shown
        log = self.log_box.isChecked()
        self.plot.getAxis("left").setTicks(LOG_TICKS if log else None)
        if probs is None:
            self.heights = np.zeros(LEVELS)
            self.stems.setData([], [])
            self.drawn_stem.setData([], [])
            self.drawn_label.setText("")
            self.drawn, self.entropy = None, None
            self._set_title(TITLE)
            self.info.setText(where)
            return
        self.heights = probs.astype(np.float64)
        levels = np.flatnonzero(self.heights >= SHOWN_P)
        top = float(self.heights.max())
        if log:
            floor, y_max = LOG_FLOOR, 0.15
            y = np.log10(np.maximum(self.heights, SHOWN_P))
        else:
            # Tenths: the axis keeps its range over most steps instead of moving every time.
            floor, y_max = 0.0, max(0.1, math.ceil(top * 1.15 * 10) / 10)
            y = self.heights
        self.stems.setData(*_stems(levels, y[levels], floor))
        if (floor, y_max) != self._y_range:  # a range change re-lays the axes out
            self._y_range = (floor, y_max)
            self.plot.setYRange(floor, y_max, padding=0)
        self.entropy = entropy_bits(probs)
        self.drawn = drawn
        likeliest = int(self.heights.argmax())
        parts = [where]
        if drawn is not None:
            p = float(self.heights[drawn])
            self.drawn_stem.setData(*_stems(np.array([drawn]), np.array([y[drawn]]), floor))
            self.drawn_label.setText(f"drew {drawn}")
            # Beside its stem, on the side with room: never cut at the right edge.
            # Above the stem's top, or hanging from the chart's top beside a tall stem.
            right = drawn > LEVELS * 0.6
            span = y_max - floor
            high = y[drawn] > y_max - 0.2 * span
            self.drawn_label.setAnchor((1.0 if right else 0.0, 0.0 if high else 1.0))
            self.drawn_label.setPos(drawn + (-3 if right else 3),
                                    y_max - 0.02 * span if high else y[drawn] + 0.04 * span)
            parts.append(f"drew {drawn} (p = {p:.3f})")
        else:
            self.drawn_stem.setData([], [])
            self.drawn_label.setText("")
            parts.append("not drawn yet")
        parts.append(f"most likely {likeliest} (p = {top:.3f})")
        self._set_title(f"Entropy {self.entropy:.2f} bits")
        self.info.setText(" · ".join(parts))

    def _set_title(self, title: str) -> None:
        # Setting a title lays the plot out again: only when its text changed.
        if title != self._title:
            self._title = title
            self.plot.setTitle(title, size=plot_text_size())
