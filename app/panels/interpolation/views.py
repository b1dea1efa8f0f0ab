"""Image views of the Interpolation panel: the live frame, the strip of frames, a grid
with a label per row (the traversal: which dimension, over which values).

They paint uint8 H×W×C arrays themselves (nearest-neighbour, crisp on a projector): a
QImage over the array and one drawImage per paint, a fraction of a millisecond.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFontMetrics,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.widgets.images import to_qimage

BACKGROUND = QColor("#2b2b2b")
INK = QColor("#dddddd")  # on BACKGROUND: 9.9:1
HIGHLIGHT = QColor("#ff9f1a")
CAPTION_FLAGS = (Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignHCenter
                 | Qt.TextFlag.TextWordWrap)


def fit_rect(area: QRect, w: int, h: int) -> QRectF:
    """Return the largest rectangle of aspect w:h centred in `area`."""
    scale = min(area.width() / max(w, 1), area.height() / max(h, 1))
    rw, rh = w * scale, h * scale
    return QRectF(area.x() + (area.width() - rw) / 2, area.y() + (area.height() - rh) / 2,
                  rw, rh)


class FrameView(QWidget):
    """The live frame (GUI thread). `show_frame(image, tag)` paints it; emits painted(tag)
    from the paint that first puts that frame on screen (the benchmark's end point)."""

    painted = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(160, 160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.image: np.ndarray | None = None
        self._qimage: QImage | None = None
        self.tag = 0
        self.painted_tag = 0
        self.caption = ""

    def sizeHint(self) -> QSize:
        """Return a square that shows a 28 px digit at about 10×."""
        return QSize(300, 300)

    def show_frame(self, image: np.ndarray, tag: int = 0, immediate: bool = False) -> None:
        """Show uint8 H×W×C `image`; `tag` (a request id) is emitted once it is painted.

        `immediate` paints now instead of at the next event-loop pass: a live frame then
        reaches the screen while it is still the newest (a slider event queued behind it
        would otherwise make it stale before it is drawn). Painting costs well under 1 ms,
        and latest-wins decoding bounds how often this happens.
        """
        self.image = image
        self._qimage = to_qimage(image)
        self.tag = tag
        if immediate:
            self.repaint()
        else:
            self.update()

    def clear(self) -> None:
        """Show nothing, without a caption."""
        self.image, self._qimage = None, None
        self.caption = ""
        self.update()

    def caption_height(self) -> int:
        """Return the height of the caption wrapped to the widget's width (≥ one line)."""
        box = self.fontMetrics().boundingRect(self.rect().adjusted(4, 0, -4, 0),
                                              CAPTION_FLAGS, self.caption or " ")
        return box.height()

    def image_area(self) -> QRect:
        """Return the area the image is letterboxed in (the caption's lines below it)."""
        return self.rect().adjusted(4, 4, -4, -self.caption_height() - 6)

    def image_rect(self) -> QRectF:
        """Return where the image is drawn (empty without one)."""
        if self._qimage is None:
            return QRectF()
        return fit_rect(self.image_area(), self._qimage.width(), self._qimage.height())

    def decorate(self, p: QPainter, target: QRectF) -> None:
        """Draw labels around the image drawn at `target` (none here; see GridView)."""

    def paintEvent(self, event: QPaintEvent) -> None:
        """Draw the frame letterboxed; emit painted(tag) the first time this frame is drawn."""
        p = QPainter(self)
        p.fillRect(self.rect(), BACKGROUND)
        if self._qimage is not None:
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
            target = self.image_rect()
            p.drawImage(target, self._qimage)
            self.decorate(p, target)
        if self.caption:
            p.setPen(INK)
            p.drawText(self.rect().adjusted(4, 0, -4, -2), CAPTION_FLAGS, self.caption)
        p.end()
        if self._qimage is not None and self.tag != self.painted_tag:
            self.painted_tag = self.tag
            self.painted.emit(self.tag)


def signed(v: float) -> str:
    """Return `v` with one decimal, its sign and a true minus: "−1.5", "+0.3"."""
    return f"{v:+.1f}".replace("-", "−")


class GridView(FrameView):
    """A grid of frames with a label left of each row and one above each labelled column
    (GUI thread): the traversal says which dimension a row varies and over what values."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.row_labels: list[str] = []
        self.column_labels: list[str] = []  # one per column; "" leaves a column unlabelled

    def set_labels(self, rows: list[str], columns: list[str]) -> None:
        """Label the rows and columns of the grid shown next."""
        self.row_labels, self.column_labels = list(rows), list(columns)
        self.update()

    def clear(self) -> None:
        """Show nothing, without labels."""
        self.row_labels, self.column_labels = [], []
        super().clear()

    def image_area(self) -> QRect:
        """Return the frame area less a column for the row labels and a line on top."""
        metrics = QFontMetrics(self.font())
        left = max((metrics.horizontalAdvance(t) for t in self.row_labels), default=0)
        top = metrics.height() + 2 if self.column_labels else 0
        return super().image_area().adjusted(left + 6 if left else 0, top, 0, 0)

    def decorate(self, p: QPainter, target: QRectF) -> None:
        """Draw each row's label left of it and the column labels above the grid."""
        p.setPen(INK)
        line = self.fontMetrics().height()
        rows, cols = len(self.row_labels), len(self.column_labels)
        if rows:
            h = target.height() / rows
            every = max(1, int(np.ceil(line / max(h, 1.0))))  # thin rows: every k-th label
            for i in range(0, rows, every):
                cell = QRectF(0, target.top() + i * h, target.left() - 6, h)
                p.drawText(cell, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                           self.row_labels[i])
        if cols:
            w = target.width() / cols
            for j, text in enumerate(self.column_labels):
                # The end labels start (end) at the grid's edge: centred they would be cut.
                align = (Qt.AlignmentFlag.AlignLeft if j == 0 else Qt.AlignmentFlag.AlignRight
                         if j == cols - 1 else Qt.AlignmentFlag.AlignHCenter)
                x = target.left() + (j - 1) * w if 0 < j < cols - 1 else (
                    target.left() if j == 0 else target.right() - 3 * w)
                cell = QRectF(x, target.top() - line - 2, 3 * w, line)
                p.drawText(cell, align | Qt.AlignmentFlag.AlignBottom, text)


def alpha_label(alpha: float) -> str:
    """Return a strip frame's label: its α, and which anchor it is at α 0 (A) and 1 (B)."""
    if np.isclose(alpha, 0.0):
        return "A  α 0"
    if np.isclose(alpha, 1.0):
        return "B  α 1"
    return f"α {alpha:.2f}"


class StripView(QWidget):
    """N frames side by side with their α beneath; the one nearest the slider is outlined.

    Emits frameClicked(index) when a frame is clicked (GUI thread).
    """

    frameClicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumHeight(100)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.frames: list[QImage | None] = []
        self.alphas: np.ndarray = np.zeros(0)
        self.current = -1

    def sizeHint(self) -> QSize:
        """Return a strip tall enough for thumbnails and their α labels."""
        return QSize(600, 120)

    def set_alphas(self, alphas: np.ndarray) -> None:
        """Make room for one frame per α (frames arrive later, or not: then a placeholder)."""
        self.alphas = np.asarray(alphas, np.float64)
        self.frames = [None] * len(self.alphas)
        self.update()

    def clear(self) -> None:
        """Show no frame and no α."""
        self.current = -1
        self.set_alphas(np.zeros(0))

    def set_frames(self, images: np.ndarray) -> None:
        """Show uint8 N×H×W×C `images`, one per α."""
        self.frames = [to_qimage(im) for im in images]
        self.update()

    def set_frame(self, index: int, image: np.ndarray) -> None:
        """Show frame `index` (frames filling in one by one)."""
        if 0 <= index < len(self.frames):
            self.frames[index] = to_qimage(image)
            self.update()

    def set_current(self, index: int) -> None:
        """Outline frame `index` (−1: none)."""
        if index != self.current:
            self.current = index
            self.update()

    def _cells(self) -> list[QRect]:
        n = max(1, len(self.frames))
        w = self.width() / n
        # Room under each frame for its α in the current font (larger when presenting).
        label = self.fontMetrics().height() + 4
        return [QRect(round(i * w) + 2, 2, round(w) - 4, self.height() - label)
                for i in range(n)]

    def paintEvent(self, event: QPaintEvent) -> None:
        """Draw every frame (or a placeholder), its α, and the current frame's outline."""
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        for i, cell in enumerate(self._cells()[:len(self.frames)]):
            img = self.frames[i]
            target = fit_rect(cell, 1, 1) if img is None else fit_rect(cell, img.width(),
                                                                         img.height())
            target.moveTop(cell.top())  # under the controls; the α label sits beneath
            if img is None:
                p.fillRect(target, QColor("#3a3a3a"))
            else:
                p.drawImage(target, img)
            if i == self.current:
                p.setPen(QPen(HIGHLIGHT, 3))
                p.drawRect(target.adjusted(-1, -1, 1, 1))
            p.setPen(self.palette().color(self.foregroundRole()))
            if i < len(self.alphas):
                p.drawText(QRect(cell.x(), round(target.bottom()) + 2, cell.width(),
                                 self.fontMetrics().height()),
                           Qt.AlignmentFlag.AlignHCenter, alpha_label(self.alphas[i]))
        p.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """Emit frameClicked for the frame under the cursor."""
        for i, cell in enumerate(self._cells()[:len(self.frames)]):
            if cell.contains(event.position().toPoint()):
                self.frameClicked.emit(i)
                return
        super().mousePressEvent(event)
