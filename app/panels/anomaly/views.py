"""What the Anomaly panel draws (GUI thread): the two score histograms on shared bins, the
ROC curve with its AUC, and strips of the most and least anomalous images."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from app.panels.training.style import colour
from app.theme import line_scale, plot_text_size
from app.widgets.images import to_pixmap

if TYPE_CHECKING:
    from models.anomaly.run import AnomalyResult, Extreme

NORMAL_COLOUR, ANOMALY_COLOUR = colour(0), colour(3)  # blue, red


def _plot(name: str, title: str) -> pg.PlotWidget:
    """Return a fixed (no mouse zoom) plot with a title in the theme's plot text size."""
    plot = pg.PlotWidget()
    plot.setObjectName(name)
    plot.setMenuEnabled(False)
    plot.setMouseEnabled(x=False, y=False)
    plot.hideButtons()
    plot.setTitle(title, size=plot_text_size())
    plot.setMinimumHeight(170)
    return plot


def _filled(hex_colour: str, alpha: int) -> object:
    c = pg.mkColor(hex_colour)
    c.setAlpha(alpha)
    return pg.mkBrush(c)


class Histograms(QWidget):
    """Normal and anomalous score histograms, drawn as filled steps on the same bins."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = _plot("anomaly_histograms", "Scores")
        self.plot.setLabel("left", "images")
        # Scores are shown as they are: a probability of 0.4 read "400 (x0.001)".
        self.plot.getAxis("bottom").enableAutoSIPrefix(False)
        self.legend = self.plot.addLegend(offset=(-8, 8), labelTextSize=plot_text_size())
        self.normal = self.plot.plot(stepMode="center", fillLevel=0, name="normal",
                                     pen=pg.mkPen(NORMAL_COLOUR, width=line_scale()),
                                     brush=_filled(NORMAL_COLOUR, 70))
        self.anomalous = self.plot.plot(stepMode="center", fillLevel=0, name="anomalous",
                                        pen=pg.mkPen(ANOMALY_COLOUR, width=line_scale()),
                                        brush=_filled(ANOMALY_COLOUR, 70))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)

    def show_result(self, result: AnomalyResult | None) -> None:
        """Draw `result`'s histograms (None: empty)."""
        if result is None:
            self.normal.setData([], [])
            self.anomalous.setData([], [])
            self.plot.setLabel("bottom", "")
            return
        self.normal.setData(result.edges, result.normal_counts)
        self.anomalous.setData(result.edges, result.anomalous_counts)
        self.plot.setLabel("bottom", f"{result.score_name} ({result.score_unit}), "
                           f"higher = more anomalous")


class RocCurve(QWidget):
    """The ROC curve (anomalies as positives) over the chance diagonal, AUC in the title."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = _plot("anomaly_roc", "ROC")
        self.plot.setLabel("bottom", "false positive rate")
        self.plot.setLabel("left", "true positive rate")
        self.plot.setXRange(0, 1, padding=0.02)
        self.plot.setYRange(0, 1, padding=0.02)
        self.plot.setAspectLocked(True)
        self.plot.plot([0, 1], [0, 1], pen=pg.mkPen("#888888", width=1,
                                                      style=Qt.PenStyle.DashLine))
        self.curve = self.plot.plot(pen=pg.mkPen(colour(2), width=2 * line_scale()))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)

    def show_result(self, result: AnomalyResult | None) -> None:
        """Draw `result`'s curve and AUC (None: empty)."""
        if result is None:
            self.curve.setData([], [])
            self.plot.setTitle("ROC", size=plot_text_size())
            return
        self.curve.setData(result.fpr, result.tpr)
        flag = " — inverted" if result.inverted else ""
        self.plot.setTitle(f"ROC, AUC {result.auc:.3f}{flag}", size=plot_text_size())


def thumbnail(image: np.ndarray) -> np.ndarray:
    """Return uint8 C×H×W as H×W×C for Qt."""
    return np.ascontiguousarray(image.transpose(1, 2, 0))


class ExtremeStrip(QWidget):
    """One row of images with their score and set under each (GUI thread)."""

    def __init__(self, title: str, slots: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(0)
        self.title = QLabel(title)
        grid.addWidget(self.title, 0, 0, 1, slots)
        self.images: list[QLabel] = []
        self.captions: list[QLabel] = []
        for i in range(slots):
            image, caption = QLabel(), QLabel()
            image.setAlignment(Qt.AlignmentFlag.AlignCenter)
            caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
            grid.addWidget(image, 1, i)
            grid.addWidget(caption, 2, i)
            self.images.append(image)
            self.captions.append(caption)
        grid.setColumnStretch(slots, 1)

    def show_extremes(self, extremes: tuple[Extreme, ...]) -> None:
        """Show the images of `extremes` (empty tuple: nothing)."""
        for i, (image, caption) in enumerate(zip(self.images, self.captions, strict=True)):
            if i >= len(extremes):
                image.clear()
                caption.clear()
                caption.setToolTip("")
                continue
            e = extremes[i]
            image.setPixmap(to_pixmap(thumbnail(e.image), scale=2))
            shade = NORMAL_COLOUR if e.set == "normal" else ANOMALY_COLOUR
            image.setStyleSheet(f"border: 2px solid {shade};")
            caption.setText(f"{e.score:.4g}")
            where = f", dataset image {e.dataset_index}" if e.dataset_index >= 0 else ""
            caption.setToolTip(f"{e.set} image {e.position}{where}: score {e.score:.6g}")
            image.setToolTip(caption.toolTip())
