"""The step viewer's one-line texts follow font changes (presentation mode's larger fonts)."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget


def test_text_lines_refit_when_the_application_font_grows(qtbot: Any) -> None:
    from app.panels.diffusion.image_pane import TextLine

    app = QApplication.instance()
    normal = app.font()
    holder = QWidget()
    qtbot.addWidget(holder)
    layout = QVBoxLayout(holder)
    cache = TextLine("Cache 000.0 MB of 512 MB", lines=2)
    caption = TextLine(scale=1.15)
    layout.addWidget(cache)
    layout.addWidget(caption)
    holder.show()
    before = (cache.height(), cache.width(), caption.height())
    try:
        bigger = QFont(normal)
        bigger.setPointSizeF(normal.pointSizeF() * 1.5)
        app.setFont(bigger)
        qtbot.waitUntil(lambda: cache.height() > before[0] and cache.width() > before[1])
        scaled = QFont(bigger)
        scaled.setPointSizeF(bigger.pointSizeF() * 1.15)  # the caption's own scale
        qtbot.waitUntil(lambda: caption.height() == QFontMetrics(scaled).height() + 4)
        # The text still fits its line: the sample measured in the new font.
        assert cache.width() >= cache.fontMetrics().horizontalAdvance(
            "Cache 000.0 MB of 512 MB")
    finally:
        app.setFont(normal)
    qtbot.waitUntil(lambda: cache.height() == before[0])
    assert caption.height() == before[2]
