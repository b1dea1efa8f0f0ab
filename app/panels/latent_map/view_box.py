"""A ViewBox whose left-drag pans, or draws a box or a lasso, depending on its mode."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal

MODES = ("pan", "box", "lasso")


class SelectViewBox(pg.ViewBox):
    """Pan/zoom as usual in "pan" mode; in "box"/"lasso" a left drag draws a shape.

    Emits shapeDrawn(M×2 polygon in view units) when the drag ends (GUI thread).
    """

    shapeDrawn = Signal(object)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.mode = "pan"
        self._points: list[tuple[float, float]] = []
        self.outline = pg.PlotCurveItem(pen=pg.mkPen("#222222", width=1,
                                                     style=Qt.PenStyle.DashLine))
        self.outline.setZValue(30)
        self.addItem(self.outline, ignoreBounds=True)

    def set_mode(self, mode: str) -> None:
        """Choose what a left drag does: "pan", "box" or "lasso"."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.mode = mode

    def mouseDragEvent(self, ev: object, axis: int | None = None) -> None:
        """Draw the selection shape in box/lasso mode; otherwise pan as usual."""
        if self.mode == "pan" or ev.button() != Qt.MouseButton.LeftButton:
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        p = self.mapSceneToView(ev.scenePos())
        if ev.isStart():
            start = self.mapSceneToView(ev.buttonDownScenePos())
            self._points = [(start.x(), start.y())]
        if self.mode == "box":
            (x0, y0), (x1, y1) = self._points[0], (p.x(), p.y())
            shape = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
            self._points = [self._points[0]]
        else:
            self._points.append((p.x(), p.y()))
            shape = self._points
        poly = np.array(shape + shape[:1], dtype=np.float64)
        self.outline.setData(poly[:, 0], poly[:, 1])
        if ev.isFinish():
            self.outline.setData([], [])
            if len(shape) >= 3:
                self.shapeDrawn.emit(poly[:-1].copy())
