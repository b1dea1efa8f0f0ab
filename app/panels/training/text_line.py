"""A one-line text widget whose text can change often without re-laying out the window."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget


class TextLine(QWidget):
    """Shows one line of text, elided to its width (GUI thread).

    A QLabel whose text changes width asks every layout above it to re-run: the training
    counters change 4 times a second, and each change re-laid out the main window (and
    started its dock animations), ~1 ms of GUI thread each. This only repaints itself.
    """

    def __init__(self, widest: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._text = ""
        self._widest = widest  # sizes the widget (in the current font), if given
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def text(self) -> str:
        """Return the text shown."""
        return self._text

    def setText(self, text: str) -> None:  # QLabel's name: a drop-in
        """Show `text` (repaints only when it differs)."""
        if text != self._text:
            self._text = text
            self.update()

    def sizeHint(self) -> QSize:
        """Return one line of the current font, as wide as `widest` (else the text)."""
        fm = self.fontMetrics()
        return QSize(fm.horizontalAdvance(self._widest or self._text) + 4, fm.height() + 4)

    def minimumSizeHint(self) -> QSize:
        """Return one line, as wide as `widest` (else any width: the text is elided)."""
        fm = self.fontMetrics()
        return QSize(fm.horizontalAdvance(self._widest) + 4 if self._widest else 0,
                     fm.height() + 4)

    def paintEvent(self, _event: QPaintEvent) -> None:
        """Draw the text, elided at the right."""
        painter = QPainter(self)
        painter.setPen(self.palette().windowText().color())
        text = self.fontMetrics().elidedText(self._text, Qt.TextElideMode.ElideRight,
                                             self.width())
        painter.drawText(self.rect(), Qt.AlignmentFlag.AlignLeft
                         | Qt.AlignmentFlag.AlignVCenter, text)
