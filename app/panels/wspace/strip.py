"""A row of image frames with one outlined, a title above and a caption under each
(GUI thread). The Z and W paths, the digit picker and the projection's progress use it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.widgets.images import to_qimage

OUTLINE = QColor("#d62728")
GAP = 4


class FrameStrip(QWidget):
    """Frames side by side, as large as the strip's height allows; the `current` one is
    outlined. An empty strip shows `placeholder`. Emits frameClicked(index)."""

    frameClicked = Signal(int)

    def __init__(self, title: str = "", min_side: int = 40, max_side: int = 112,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.placeholder = ""
        self.captions: list[str] = []
        self.current = -1
        self._frames: list[QImage] = []
        self._min_side, self._max_side = min_side, max_side
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setMinimumHeight(min_side + 3 * self._line() + 8)

    def _line(self) -> int:
        return self.fontMetrics().height()

    def sizeHint(self) -> QSize:
        """Return room for frames of the largest side, the title and a caption line."""
        return QSize(600, self._max_side + 2 * self._line() + 12)

    @property
    def count(self) -> int:
        """Return the number of frames shown."""
        return len(self._frames)

    def set_frames(self, frames: np.ndarray | Sequence[np.ndarray] | None,
                   captions: Sequence[str] = ()) -> None:
        """Show uint8 H×W×C `frames` (None or empty: the placeholder) with `captions`."""
        self._frames = [] if frames is None else [
            to_qimage(np.ascontiguousarray(f)).convertToFormat(QImage.Format.Format_RGB32)
            for f in frames]
        self.captions = list(captions)
        self.current = min(self.current, len(self._frames) - 1)
        self.update()

    def set_current(self, index: int) -> None:
        """Outline frame `index` (−1: none)."""
        if index != self.current:
            self.current = index
            self.update()

    def frame_rect(self, index: int) -> QRect:
        """Return the rectangle of frame `index`."""
        n, line = max(1, len(self._frames)), self._line()
        side = min(self.height() - 2 * line - 12, (self.width() - GAP) // n - GAP,
                   self._max_side)
        side = max(8, side)
        x0 = max(0, (self.width() - n * (side + GAP)) // 2)
        return QRect(x0 + index * (side + GAP), line + 6, side, side)

    def paintEvent(self, event: QPaintEvent) -> None:
        """Draw the title, the frames (or the placeholder) and the captions."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        text = self.palette().color(QPalette.ColorRole.WindowText)
        painter.setPen(text)
        line, metrics = self._line(), self.fontMetrics()
        painter.drawText(QRect(2, 2, self.width() - 4, line), Qt.AlignmentFlag.AlignLeft,
                         metrics.elidedText(self.title, Qt.TextElideMode.ElideRight,
                                            self.width() - 4))
        if not self._frames:
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(QRect(2, line + 6, self.width() - 4, self.height() - line - 6),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                             self.placeholder)
            painter.end()
            return
        for i, frame in enumerate(self._frames):
            rect = self.frame_rect(i)
            painter.drawImage(rect, frame)
            if i == self.current:
                painter.setPen(QPen(OUTLINE, 3))
                painter.drawRect(rect.adjusted(-1, -1, 1, 1))
                painter.setPen(text)
            if i < len(self.captions):
                cell = QRect(rect.x() - GAP // 2, rect.bottom() + 2, rect.width() + GAP, line)
                painter.drawText(cell, Qt.AlignmentFlag.AlignCenter,
                                 metrics.elidedText(self.captions[i],
                                                    Qt.TextElideMode.ElideRight, cell.width()))
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """Emit frameClicked for the frame under the mouse."""
        pos = event.position().toPoint()
        for i in range(len(self._frames)):
            if self.frame_rect(i).adjusted(-2, -2, 2, 2).contains(pos):
                self.frameClicked.emit(i)
                return
        super().mousePressEvent(event)
