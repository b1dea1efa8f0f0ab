"""Inpainting's mask brush: paint or erase the area to repaint over the init image
(GUI thread). The mask is kept at the image's own resolution, 1 where the run paints
anew, exactly the array the run receives."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.widgets.images import to_qimage

MASK_COLOUR = (230, 40, 60)  # the painted area, drawn half see-through over the image
MASK_ALPHA = 0.55


class MaskCanvas(QWidget):
    """The init image scaled to fit, the mask painted over it. Emits maskChanged() after
    each stroke; `mask()` is the H×W float32 mask in {0, 1}."""

    maskChanged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image: np.ndarray | None = None  # uint8 H×W×3
        self._mask = np.zeros((0, 0), np.float32)
        self.erasing = False
        self.brush = 3  # radius in image pixels
        self.setMinimumSize(160, 160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.CrossCursor)

    def sizeHint(self) -> QSize:
        """Return a comfortable default size."""
        return QSize(320, 320)

    def set_image(self, image: np.ndarray | None) -> None:
        """Show uint8 H×W×3 `image` and start an empty mask of its size (None: nothing)."""
        self.image = None if image is None else np.ascontiguousarray(image)
        shape = (0, 0) if image is None else image.shape[:2]
        self._mask = np.zeros(shape, np.float32)
        self.update()
        self.maskChanged.emit()

    def mask(self) -> np.ndarray:
        """Return a copy of the mask, H×W float32, 1 where the image is painted anew."""
        return self._mask.copy()

    def clear_mask(self) -> None:
        """Erase the whole mask."""
        self._mask[:] = 0.0
        self.update()
        self.maskChanged.emit()

    def paint_at(self, x: float, y: float) -> None:
        """Paint (or erase) a disc of radius `brush` at image pixel (x, y)."""
        h, w = self._mask.shape
        if not h or not w:
            return
        yy, xx = np.mgrid[0:h, 0:w]
        disc = (xx + 0.5 - x) ** 2 + (yy + 0.5 - y) ** 2 <= self.brush ** 2
        self._mask[disc] = 0.0 if self.erasing else 1.0
        self.update()

    def image_rect(self) -> QRectF:
        """Return where the image is drawn: the largest aspect-keeping fit."""
        if self.image is None:
            return QRectF(self.rect())
        h, w = self.image.shape[:2]
        scale = min(self.width() / w, self.height() / h)
        sw, sh = w * scale, h * scale
        return QRectF((self.width() - sw) / 2, (self.height() - sh) / 2, sw, sh)

    def _to_image(self, pos: QPointF) -> tuple[float, float]:
        rect = self.image_rect()
        h, w = self._mask.shape
        return ((pos.x() - rect.x()) / rect.width() * w,
                (pos.y() - rect.y()) / rect.height() * h)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """Start a stroke."""
        if event.button() == Qt.MouseButton.LeftButton:
            self.paint_at(*self._to_image(event.position()))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        """Continue the stroke while the button is held."""
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.paint_at(*self._to_image(event.position()))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        """End the stroke: the mask the next run receives has changed."""
        if event.button() == Qt.MouseButton.LeftButton:
            self.maskChanged.emit()

    def overlay(self) -> np.ndarray | None:
        """Return uint8 H×W×3: the image with the mask blended over it."""
        if self.image is None:
            return None
        m = self._mask[..., None] * MASK_ALPHA
        out = self.image.astype(np.float32) * (1 - m) + np.array(MASK_COLOUR, np.float32) * m
        return np.ascontiguousarray(np.clip(out + 0.5, 0, 255).astype(np.uint8))

    def paintEvent(self, event: QPaintEvent) -> None:
        """Draw the image with the mask over it, nearest-neighbour scaled."""
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(60, 60, 60))
        shown = self.overlay()
        if shown is None:
            painter.setPen(self.palette().windowText().color())
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter,
                             "Choose an image to paint the mask on")
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        qimage = to_qimage(shown).convertToFormat(QImage.Format.Format_RGB32)
        painter.drawImage(self.image_rect(), qimage)
