"""The images being drawn, enlarged in a grid, the current pixel outlined (GUI thread).

Values not drawn yet are painted in a slate colour, so a black background already drawn
is told from one still to come. The pixel under the mouse is reported by `hovered`.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QEvent, QPoint, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from app import theme
from app.widgets.images import to_qimage

UNDRAWN = (84, 104, 132)  # slate: neither black nor white, never a digit's value
CURRENT_COLOUR = "#ff7f0e"  # the value just written (orange)
HOVER_COLOUR = "#17becf"  # the pixel under the mouse (cyan)
GAP = 10


def to_rgb(images: np.ndarray, filled: np.ndarray) -> np.ndarray:
    """Return uint8 [n, H, W, 3] of images [n, C, H, W] where no value of a pixel is
    drawn yet (`filled` [C, H, W] False for all its channels) is the slate colour."""
    rgb = images.transpose(0, 2, 3, 1)
    if rgb.shape[-1] == 1:
        rgb = np.repeat(rgb, 3, axis=-1)
    rgb = rgb.copy()
    rgb[:, ~filled.any(axis=0)] = UNDRAWN
    return np.ascontiguousarray(rgb)


class PixelGrid(QWidget):
    """Paints n images in a near-square grid with a caption each; emits hovered(image,
    row, col) as the mouse moves over their pixels (image −1: over none)."""

    hovered = Signal(int, int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.images: np.ndarray | None = None  # uint8 [n, H, W, 3]
        self._qimages: list[QImage] = []
        self.captions: list[str] = []
        self.current: tuple[int, int] | None = None  # (row, col) outlined in every image
        self.hover: tuple[int, int, int] | None = None  # (image, row, col)
        self.placeholder = ""
        self.paints = 0
        self._rects: tuple[tuple[int, ...], list[QRect]] | None = None  # (key, rects)
        self.setMouseTracking(True)
        self.setMinimumSize(240, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        """Return a comfortable default size."""
        return QSize(560, 520)

    # --- what is shown -----------------------------------------------------------------------
    def set_images(self, rgb: np.ndarray | None, captions: list[str] | None = None) -> None:
        """Show uint8 [n, H, W, 3] `rgb` (None: the placeholder) with one caption each."""
        if rgb is None:
            self.images, self._qimages, self.captions = None, [], []
        else:
            self.images = rgb
            # RGB32 is the raster engine's fast path for scaled drawing.
            self._qimages = [to_qimage(im).convertToFormat(QImage.Format.Format_RGB32)
                             for im in rgb]
            self.captions = captions if captions is not None else [""] * len(rgb)
        if self.hover is not None and self.hover[0] >= len(self._qimages):
            self._set_hover(None)  # fewer images now: that one is gone
        self.update()

    def set_current(self, pixel: tuple[int, int] | None) -> None:
        """Outline (row, col) in every image (None: nothing)."""
        if pixel != self.current:
            self.current = pixel
            self.update()

    def set_placeholder(self, text: str) -> None:
        """Say `text` where the images go while there are none."""
        self.placeholder = text
        self.update()

    # --- geometry ----------------------------------------------------------------------------
    def _caption_height(self) -> int:
        return self.fontMetrics().height() + 2

    def columns(self) -> int:
        """Return the columns of the grid: as square as the widget's shape allows."""
        n = len(self._qimages)
        if n == 0:
            return 1
        best, best_side = 1, -1.0
        for cols in range(1, n + 1):
            side = self._side(cols, math.ceil(n / cols))
            if side > best_side:
                best, best_side = cols, side
        return best

    def _side(self, cols: int, rows: int) -> float:
        width = (self.width() - GAP * (cols + 1)) / cols
        height = (self.height() - GAP * (rows + 1)) / rows - self._caption_height()
        return max(1.0, min(width, height))

    def image_rects(self) -> list[QRect]:
        """Return where each image is drawn: the grid's cells, whole pixel factors from 4×
        (kept until the widget's size, font, image count or image size changes)."""
        n = len(self._qimages)
        if n == 0 or self.images is None:
            return []
        key = (self.width(), self.height(), n, self.images.shape[1], self._caption_height())
        if self._rects is None or self._rects[0] != key:
            self._rects = (key, self._layout(n, self.images.shape[1]))
        return self._rects[1]

    def _layout(self, n: int, size: int) -> list[QRect]:
        cols = self.columns()
        rows = math.ceil(n / cols)
        scale = self._side(cols, rows) / size
        if scale >= 4:
            scale = float(int(scale))  # every pixel equally wide
        side = max(1, int(size * scale))
        cell_h = side + self._caption_height()
        left = (self.width() - cols * side - (cols - 1) * GAP) // 2
        top = (self.height() - rows * cell_h - (rows - 1) * GAP) // 2
        return [QRect(left + (i % cols) * (side + GAP),
                      top + (i // cols) * (cell_h + GAP) + self._caption_height(), side, side)
                for i in range(n)]

    def pixel_at(self, point: QPoint) -> tuple[int, int, int] | None:
        """Return (image, row, col) under `point`, or None."""
        if self.images is None:
            return None
        size = self.images.shape[1]
        for i, rect in enumerate(self.image_rects()):
            if rect.contains(point):
                col = (point.x() - rect.x()) * size // rect.width()
                row = (point.y() - rect.y()) * size // rect.height()
                return i, min(row, size - 1), min(col, size - 1)
        return None

    def pixel_rect(self, image: int, row: int, col: int) -> QRectF:
        """Return the on-screen rectangle of pixel (row, col) of `image`."""
        rect = self.image_rects()[image]
        size = self.images.shape[1] if self.images is not None else 1
        step = rect.width() / size
        return QRectF(rect.x() + col * step, rect.y() + row * step, step, step)

    @staticmethod
    def _around(rect: QRectF, width: float) -> QRectF:
        """Return `rect` grown by half a pen: the outline rings the pixel, whose own value
        stays visible inside however thick the pen (presenting)."""
        return rect.adjusted(-width / 2, -width / 2, width / 2, width / 2)

    def changeEvent(self, event: QEvent) -> None:
        """Lay the grid out anew when the font changes (captions grow when presenting)."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._rects = None

    # --- events ------------------------------------------------------------------------------
    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        """Report the pixel under the mouse when it changes."""
        self._set_hover(self.pixel_at(event.position().toPoint()))
        super().mouseMoveEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        """The mouse left: no pixel is hovered."""
        self._set_hover(None)
        super().leaveEvent(event)

    def _set_hover(self, hover: tuple[int, int, int] | None) -> None:
        if hover != self.hover:
            self.hover = hover
            self.hovered.emit(*(hover if hover is not None else (-1, -1, -1)))
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        """Draw the images without smoothing, their captions and the outlines."""
        self.paints += 1
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        if not self._qimages:
            painter.setPen(QColor(theme.text_colour("muted")))
            painter.drawText(self.rect().adjusted(12, 12, -12, -12),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                             self.placeholder)
            painter.end()
            return
        font = QFont(self.font())
        painter.setFont(font)
        caption_h = self._caption_height()
        width = max(2.0, 1.5 * theme.line_scale())
        for i, rect in enumerate(self.image_rects()):
            painter.drawImage(rect, self._qimages[i])
            painter.setPen(self.palette().windowText().color())
            text = painter.fontMetrics().elidedText(self.captions[i],
                                                    Qt.TextElideMode.ElideRight, rect.width())
            painter.drawText(QRect(rect.x(), rect.y() - caption_h, rect.width(), caption_h),
                             Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom, text)
            if self.current is not None:
                painter.setPen(QPen(QColor(CURRENT_COLOUR), width))
                painter.drawRect(self._around(self.pixel_rect(i, *self.current), width))
        if self.hover is not None:
            i, row, col = self.hover
            painter.setPen(QPen(QColor(HOVER_COLOUR), width))
            painter.drawRect(self._around(self.pixel_rect(i, row, col), width))
            painter.setPen(QPen(QColor(HOVER_COLOUR), 1.0))
            painter.drawRect(self.image_rects()[i].adjusted(-3, -3, 2, 2))
        painter.end()
