"""Keeping the main window inside its screen (GUI thread).

Qt's default makes a top-level window at least as large as its layout's minimum, so a
panel with a long row could push the window past a 1280×720 projector. Instead the window
lays out without that constraint, its minimum is bounded by the screen, and it is shrunk
to the screen's available area whenever it is shown or its contents ask for more room.
"""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QLayout, QWidget


def screen_limit(window: QWidget) -> QSize:
    """Return the largest client size that fits the window's screen with its frame."""
    screen = window.screen()
    if screen is None:
        return QSize(16_777_215, 16_777_215)
    frame = window.frameGeometry().size() - window.geometry().size()
    return screen.availableGeometry().size() - frame


def release_minimum(window: QWidget) -> None:
    """Stop the layout from growing the window to its contents' minimum size."""
    layout = window.layout()
    if layout is not None:
        layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)


def fit_to_screen(window: QWidget) -> None:
    """Bound the window's minimum by its screen and shrink a normal window that overhangs
    it (full-screen and maximized windows are the screen's own size already)."""
    limit = screen_limit(window)
    layout = window.layout()
    if layout is not None:
        window.setMinimumSize(layout.totalMinimumSize().boundedTo(limit))
    if window.isFullScreen() or window.isMaximized():
        return
    size = window.size()
    if size.width() > limit.width() or size.height() > limit.height():
        window.resize(size.boundedTo(limit))
