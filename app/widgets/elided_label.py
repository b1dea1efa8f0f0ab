"""A one-line label that cuts its text with "…" to fit, the whole text in its tooltip."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QWidget


class ElidedLabel(QLabel):
    """Shows as much of its text as its width allows, cut at the right with "…" and then
    whole in the tooltip (GUI thread).

    It asks for its whole text's width but accepts `min_chars` characters, so a long text
    (a model's name, a job's state, presentation mode's larger font) never widens its
    layout past the screen; the QLabel text is always the part shown.
    """

    def __init__(self, text: str = "", min_chars: int = 4, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self._min_chars = min_chars
        self.set_full_text(text)

    def full_text(self) -> str:
        """Return the whole text (what is shown may be cut)."""
        return self._full

    def set_full_text(self, text: str) -> None:
        """Show `text`, cut to the label's width."""
        if text != self._full:
            self._full = text
            self.updateGeometry()
            self._elide()

    def sizeHint(self) -> QSize:  # Qt override
        """Return the size that shows the whole text."""
        return self._with_text(super().sizeHint(), self._full)

    def minimumSizeHint(self) -> QSize:  # Qt override
        """Return the size that shows the first `min_chars` characters and "…"."""
        short = self._full if len(self._full) <= self._min_chars \
            else self._full[:self._min_chars] + "…"
        return self._with_text(super().minimumSizeHint(), short)

    def _with_text(self, hint: QSize, text: str) -> QSize:
        """Return `hint` (for the text shown) widened or narrowed to `text`."""
        metrics = self.fontMetrics()
        width = hint.width() - metrics.horizontalAdvance(self.text()) \
            + metrics.horizontalAdvance(text)
        return QSize(width, hint.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Cut the text to the new width."""
        super().resizeEvent(event)
        self._elide()

    def changeEvent(self, event: QEvent) -> None:
        """Cut again when the font or style changes (presentation mode)."""
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self.updateGeometry()
            self._elide()

    def _elide(self) -> None:
        room = self.contentsRect().width() - 2 * self.margin()
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight,
                                              max(0, room))
        if shown != self.text():
            self.setText(shown)
        tip = self._full if shown != self._full else ""
        if tip != self.toolTip():
            self.setToolTip(tip)
