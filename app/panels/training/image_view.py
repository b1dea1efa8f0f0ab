"""A titled, aspect-locked view of one uint8 image (sample grids, reconstruction pairs)."""

from __future__ import annotations

from html import escape

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFont, QFontMetrics, QResizeEvent

from app import theme
from app.theme import text_colour


def caption_size() -> str:
    """Return the caption font size in the current theme (larger when presenting)."""
    return f"{11 * theme.current().font_scale:.0f}pt"


TEXT_MARGIN = 4  # px: the empty margin a pyqtgraph label keeps around its text


class ImagePane(pg.GraphicsLayoutWidget):
    """Shows a uint8 H×W×C array with a caption above it (GUI thread)."""

    def __init__(self, title: str, empty_text: str, parent: object = None) -> None:
        super().__init__(parent)
        self._title = title
        self._empty_text = empty_text
        self.caption = self.addLabel(title, row=0, col=0, size=caption_size())
        self.view = self.addViewBox(row=1, col=0, lockAspect=True, invertY=True,
                                    enableMouse=False)
        self.view.setMenuEnabled(False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.view.addItem(self.image)
        self.array: np.ndarray | None = None
        self._caption = ("", False)  # (the text after the title, shown muted)
        self.set_caption("")

    def set_caption(self, text: str) -> None:
        """Set the caption (the title is kept in front; empty text explains the blank)."""
        if not text and self.array is None:
            self._caption = (self._empty_text, True)
        else:
            self._caption = (text, False)
        self._show_caption()

    def changeEvent(self, event: QEvent) -> None:
        """Cut the caption again when the font changes (presentation mode)."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange and self._built():
            self._show_caption()

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Cut the caption to the new width."""
        super().resizeEvent(event)
        if self._built():
            self._show_caption()

    def _built(self) -> bool:
        """Return whether the constructor has finished (Qt sends events during it)."""
        return getattr(self, "_caption", None) is not None

    def _show_caption(self) -> None:
        """Show the caption in one line, cut with "…" when the pane is too narrow (a
        projector's window is small): the tooltip then has all of it."""
        rest, muted = self._caption
        text = f"{self._title} — {rest}" if rest else self._title
        font = QFont(self.font())
        font.setPointSizeF(11 * theme.current().font_scale)
        left, _top, right, _bottom = self.ci.layout.getContentsMargins()
        room = int(self.viewport().width() - left - right - 2 * TEXT_MARGIN - 2)
        shown = QFontMetrics(font).elidedText(text, Qt.TextElideMode.ElideRight, max(0, room))
        head, tail = escape(shown[:len(self._title)]), escape(shown[len(self._title):])
        if muted and tail:
            tail = f"<span style='color:{text_colour('muted')}'>{tail}</span>"
        self.caption.setText(head + tail, size=caption_size())
        self.setToolTip(text if shown != text else "")

    def set_array(self, array: np.ndarray | None) -> None:
        """Show `array` (uint8 H×W×C or H×W); None shows the placeholder."""
        if array is self.array and array is not None:
            return  # the same grid again (e.g. the live epoch re-selected): no re-upload
        shape = None if self.array is None else self.array.shape
        self.array = array
        if array is None:
            self.image.clear()
            return
        img = array[:, :, 0] if array.ndim == 3 and array.shape[2] == 1 else array
        # Explicit levels keep ImageItem on its fast uint8 path (docs/architecture.md,
        # performance traps).
        self.image.setImage(np.ascontiguousarray(img), levels=(0, 255), autoLevels=False)
        if array.shape != shape:
            # Stay fitted when the pane is resized, not only now.
            self.view.enableAutoRange(enable=True)
