"""A titled image that scales with nearest-neighbour pixels, big enough for a projector."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from app import theme
from app.widgets.images import to_qimage

TITLE_PX = 22


class ImagePane(QWidget):
    """Paints a title and a uint8 image scaled up with hard pixel edges (GUI thread)."""

    def __init__(self, title: str = "", parent: QWidget | None = None,
                 title_scale: float = 1.15, min_side: int = 160) -> None:
        super().__init__(parent)
        self.title = title
        self.title_scale = title_scale
        self.image: np.ndarray | None = None
        self._qimage: QImage | None = None
        self.placeholder = ""
        self.paints = 0  # paint events so far (benchmarks and tests check a frame was drawn)
        self.setMinimumSize(min_side, min_side + TITLE_PX)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        """Return a comfortable default size."""
        return QSize(320, 320 + TITLE_PX)

    def set_title(self, title: str) -> None:
        """Change the caption above the image."""
        if title != self.title:
            self.title = title
            self.update()

    def set_image(self, image: np.ndarray | None) -> None:
        """Show uint8 H×W×C `image` (None: show the placeholder text)."""
        if image is None:
            self.image, self._qimage = None, None
        else:
            self.image = np.ascontiguousarray(image)
            # RGB32 is the raster engine's fast path for scaled drawing; the conversion is
            # done once here instead of at every paint.
            self._qimage = to_qimage(self.image).convertToFormat(QImage.Format.Format_RGB32)
        self.update()

    def image_rect(self) -> QRect:
        """Return where the image is drawn: the largest whole-aspect fit under the title."""
        area = self.rect().adjusted(2, TITLE_PX, -2, -2)
        if self.image is None or area.width() <= 0 or area.height() <= 0:
            return area
        h, w = self.image.shape[:2]
        scale = min(area.width() / w, area.height() / h)
        if scale >= 4:
            # Whole factors keep every pixel equally wide; from 4× up that costs ≤ 20% of
            # the size. Below, size wins: a projector needs the bigger picture.
            scale = float(int(scale))
        sw, sh = max(1, round(w * scale)), max(1, round(h * scale))
        return QRect(area.x() + (area.width() - sw) // 2, area.y() + (area.height() - sh) // 2,
                     sw, sh)

    def paintEvent(self, event: QPaintEvent) -> None:
        """Draw title and image; nearest-neighbour scaling (no smoothing)."""
        self.paints += 1
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        font = QFont(self.font())
        font.setPointSizeF(max(10.0, font.pointSizeF() * self.title_scale))
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(self.palette().windowText().color())
        # Cut with "…" when narrow (a projector's window is small): never clipped at both ends.
        title = painter.fontMetrics().elidedText(self.title, Qt.TextElideMode.ElideRight,
                                                 max(0, self.width() - 4))
        painter.drawText(QRect(0, 0, self.width(), TITLE_PX),
                         Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter, title)
        if self._qimage is not None:
            painter.drawImage(self.image_rect(), self._qimage)
        else:
            painter.setPen(QColor(theme.text_colour("muted")))  # ≥ 4.5:1 in every theme
            painter.drawText(self.rect().adjusted(8, TITLE_PX, -8, -8),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                             self.placeholder)
        painter.end()


class TextLine(QWidget):
    """One line of text that changes often (GUI thread).

    A QLabel's setText asks for a new layout every time, and on the raster backends that
    repaints the whole panel a second time; this only repaints itself.
    """

    def __init__(self, sample: str = "", scale: float = 1.0, lines: int = 1,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bold = ""
        self._text = ""
        self._lines = lines
        self._sample = sample
        self._scale = scale
        self.elided = False  # the last paint cut the text (the tooltip has all of it)
        if not sample:
            self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self._fit()

    def _font(self) -> QFont:
        """Return the font the text is drawn in: the widget's own (inherited, so it follows
        the theme's fonts), scaled."""
        font = QFont(self.font())
        if self._scale != 1.0:
            font.setPointSizeF(font.pointSizeF() * self._scale)
        return font

    def _fit(self) -> None:
        """Size the line for its font: again whenever the font changes (presentation
        mode's larger fonts must not cut it)."""
        metrics = QFontMetrics(self._font())
        self.setFixedHeight(metrics.height() * self._lines + 4)
        if self._sample:
            self.setFixedWidth(metrics.horizontalAdvance(self._sample) + 8)

    def changeEvent(self, event: QEvent) -> None:
        """Refit when the inherited font changes."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit()

    def text(self) -> str:
        """Return the text shown (bold part first)."""
        return self.bold + self._text

    def set_text(self, text: str, bold: str = "") -> None:
        """Show `bold` then `text`; repaint only when either changed."""
        if (text, bold) != (self._text, self.bold):
            self._text, self.bold = text, bold
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        """Draw the bold part, then the rest, left-aligned."""
        painter = QPainter(self)
        painter.setPen(self.palette().windowText().color())
        painter.setFont(self._font())
        rect = self.rect().adjusted(2, 0, -2, 0)
        flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        if self.bold:
            font = self._font()
            font.setBold(True)
            painter.setFont(font)
            used = painter.boundingRect(rect, flags, self.bold)
            painter.drawText(rect, flags, self.bold)
            rect.setLeft(used.right() + 1)
            painter.setFont(self._font())
        text = self._text
        if self._lines == 1:  # one line: cut with "…", the whole text in the tooltip
            text = painter.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight,
                                                    max(0, rect.width()))
            elided = text != self._text
            if elided != self.elided or (elided and self.toolTip() != self.text()):
                self.elided = elided
                self.setToolTip(self.text() if elided else "")
        painter.drawText(rect, flags | Qt.TextFlag.TextWordWrap, text)
        painter.end()
