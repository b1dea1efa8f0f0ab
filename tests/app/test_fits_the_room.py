"""Every demo fits a 1280×720 and a 1366×768 screen, in normal and presentation mode: the
window's minimum fits, no widget lies outside the window and no label or button's text is
wider than the widget showing it."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QPoint, QRect, QSize
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QApplication,
    QCheckBox,
    QLabel,
    QPushButton,
    QWidget,
)

from app.window import screen_fit
from models.demos import list_demos

WAIT_MS = 120_000
SIZES = (QSize(1280, 720), QSize(1366, 768))
SETTLE_MS = 30  # time for a raised dock to lay out


def _scrolled(widget: QWidget, window: QWidget) -> bool:
    """Return whether `widget` is the content of a scroll area (it may extend past it)."""
    parent = widget.parentWidget()
    while parent is not None and parent is not window:
        if isinstance(parent.parentWidget(), QAbstractScrollArea):
            return True
        parent = parent.parentWidget()
    return False


def _text(widget: QWidget) -> str:
    """Return the plain one-line text a label or button shows ('' when not checked)."""
    if isinstance(widget, QLabel):
        text = widget.text()
        if widget.wordWrap() or "<" in text or (widget.pixmap() is not None and \
                not widget.pixmap().isNull()):
            return ""
        return text
    if isinstance(widget, (QPushButton, QCheckBox)):
        return widget.text().replace("&", "")
    return ""


def _under(widget: QWidget, ancestors: list[Any]) -> bool:
    return any(a is widget or a.isAncestorOf(widget) for a in ancestors)


def _problems(window: Any, raised: Any, where: str) -> list[str]:
    """Return each visible widget outside the window and each text cut off (the docks
    tabified behind `raised` are parked off the window by Qt, and not shown)."""
    found = []
    behind = window.tabifiedDockWidgets(raised) if raised is not None else []
    inside = window.rect().adjusted(-1, -1, 1, 1)
    for w in window.findChildren(QWidget):
        if w.window() is not window or not w.isVisibleTo(window) or w.width() <= 0 \
                or _under(w, behind):
            continue
        name = f"{where}: {type(w).__name__} {w.objectName() or _text(w)[:30]!r}"
        if not _scrolled(w, window):
            rect = QRect(w.mapTo(window, QPoint(0, 0)), w.size())
            if not inside.contains(rect):
                found.append(f"{name} at {rect.getRect()} is outside the window")
        if isinstance(w, QLabel) and w.wordWrap() and w.text():
            tall = w.heightForWidth(w.width())
            if tall > w.height() + 1:
                found.append(f"{name}: wrapped text needs {tall} px high, has {w.height()}")
        text = _text(w)
        if text and "\n" not in text:
            needed = w.fontMetrics().horizontalAdvance(text)
            room = w.contentsRect().width()
            if isinstance(w, QAbstractButton) and not isinstance(w, QPushButton):
                room -= w.style().pixelMetric(w.style().PixelMetric.PM_IndicatorWidth, None, w)
            if needed > room:
                found.append(f"{name}: text needs {needed} px, has {room}")
    return found


def _docks(window: Any) -> tuple[Any, ...]:
    return (window.training_dock, window.latent_dock, window.diffusion_dock,
            window.interpolation_dock)


def _check_at(qtbot: Any, window: Any, size: QSize, where: str) -> list[str]:
    """Resize the window to `size`, raise each dock in turn and return what does not fit."""
    window.resize(size)
    qtbot.wait(SETTLE_MS)
    found = []
    hint = window.minimumSizeHint()
    if hint.width() > size.width() or hint.height() > size.height():
        found.append(f"{where}: window minimum {hint.toTuple()} exceeds {size.toTuple()}")
    if window.size() != size:
        found.append(f"{where}: window is {window.size().toTuple()}, not {size.toTuple()}")
    for dock in _docks(window):
        dock.show()
        dock.raise_()
        qtbot.wait(SETTLE_MS)
        QApplication.processEvents()
        found += _problems(window, dock, f"{where} {dock.objectName()}")
    return found


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s.width()}x{s.height()}")
def test_every_demo_fits_the_screen_in_normal_and_presentation_mode(
        make_window: Any, qtbot: Any, monkeypatch: pytest.MonkeyPatch, size: QSize) -> None:
    # The offscreen screen is small: pretend it is the projector's.
    monkeypatch.setattr(screen_fit, "screen_limit", lambda _window: QSize(size))
    window = make_window()
    session = window.session
    found: list[str] = []
    for demo in list_demos():
        window.open_path(demo.path)
        qtbot.waitUntil(lambda d=demo: session.model is not None
                        and session.model.path == d.path, timeout=WAIT_MS)
        found += _check_at(qtbot, window, size, f"{demo.name} normal")
        window.toggle_presentation()
        window.showNormal()  # full screen would be the offscreen screen's size
        found += _check_at(qtbot, window, size, f"{demo.name} presentation")
        window.toggle_presentation()
    assert not found, "\n".join(found)


def test_the_check_reports_a_cut_label_and_a_widget_outside(qtbot: Any) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    window.resize(200, 100)
    label = QLabel("a label far too long for its width", window)
    label.setGeometry(0, 0, 40, 20)
    button = QPushButton("Out", window)
    button.setGeometry(180, 0, 60, 20)
    window.show()
    found = _problems(window, None, "here")
    assert any("text needs" in f and "far too long" in f for f in found), found
    assert any("'Out'" in f and "outside the window" in f for f in found), found


def test_the_window_shrinks_into_its_screen_and_presenting_restores_its_geometry(
        make_window: Any, qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    screen = QSize(1280, 720)
    monkeypatch.setattr(screen_fit, "screen_limit", lambda _window: QSize(screen))
    window = make_window(wait_ready=False)
    # Its default size (1400×880) and a layout request both stay inside the screen.
    assert window.width() <= screen.width() and window.height() <= screen.height()
    window.resize(1400, 900)
    window.updateGeometry()
    qtbot.waitUntil(lambda: window.width() <= screen.width()
                    and window.height() <= screen.height())
    window.setGeometry(20, 30, 1100, 660)
    before = window.geometry()
    window.toggle_presentation()
    qtbot.wait(SETTLE_MS)
    window.toggle_presentation()
    qtbot.waitUntil(lambda: window.geometry() == before)
