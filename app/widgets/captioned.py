"""Images side by side under a title, each with its caption beneath, as one QPixmap (GUI
thread): a thumbnail that says what it shows (which sample, which quantity)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPixmap
from PySide6.QtWidgets import QApplication

from app.widgets.images import to_pixmap

INK = "#1a1a1a"  # on PAPER: 17:1
PAPER = "#ffffff"
GAP = 6


def captioned_images(images: list[np.ndarray], captions: list[str], title: str = "",
                     scale: int = 3) -> QPixmap:
    """Return a white pixmap: `title` on top, the uint8 H×W×C `images` enlarged `scale`×
    left to right, each with its caption centred beneath (a column widens to its text)."""
    font = QApplication.font()
    metrics = QFontMetrics(font)
    line = metrics.height()
    pixmaps = [to_pixmap(im, scale) for im in images]
    widths = [max(p.width(), metrics.horizontalAdvance(c) + 4)
              for p, c in zip(pixmaps, captions, strict=True)]
    image_h = max(p.height() for p in pixmaps)
    width = max(sum(widths) + GAP * (len(widths) - 1),
                metrics.horizontalAdvance(title) + 4 if title else 0)
    top = line + 2 if title else 0
    out = QPixmap(width, top + image_h + line + 2)
    out.fill(QColor(PAPER))
    p = QPainter(out)
    p.setFont(font)
    p.setPen(QColor(INK))
    if title:
        p.drawText(QRect(0, 0, width, line), Qt.AlignmentFlag.AlignCenter, title)
    x = (width - sum(widths) - GAP * (len(widths) - 1)) // 2
    for pixmap, caption, w in zip(pixmaps, captions, widths, strict=True):
        p.drawPixmap(x + (w - pixmap.width()) // 2, top, pixmap)
        p.drawText(QRect(x, top + image_h + 1, w, line), Qt.AlignmentFlag.AlignCenter,
                   caption)
        x += w + GAP
    p.end()
    return out
