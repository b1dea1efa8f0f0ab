"""The Style dock's picture (GUI thread): a frame letterboxed under a line of labels,
each centred over the columns of the picture it names."""

from __future__ import annotations

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QWidget

from app.panels.interpolation.views import INK, FrameView


class LabelledFrame(FrameView):
    """A FrameView with `labels` ((first, end column, text) in picture pixels) drawn in a
    line above the picture."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.labels: tuple[tuple[int, int, str], ...] = ()

    def image_area(self) -> QRect:
        """Return the area the picture is letterboxed in, below one line of labels."""
        area = super().image_area()
        return area.adjusted(0, self.fontMetrics().height() + 4, 0, 0)

    def decorate(self, p: QPainter, target: QRectF) -> None:
        """Draw each label centred over its columns, just above the picture."""
        if self._qimage is None or not self.labels:
            return
        scale = target.width() / max(self._qimage.width(), 1)
        line = self.fontMetrics().height()
        p.setPen(INK)
        for first, end, text in self.labels:
            box = QRectF(target.x() + first * scale, target.y() - line - 2,
                         (end - first) * scale, line)
            p.drawText(box, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom
                       | Qt.TextFlag.TextDontClip, text)

    def clear(self) -> None:
        """Show nothing: no picture, labels or caption."""
        self.labels = ()
        super().clear()
