"""Every demo fits a 1280×720 and a 1366×768 screen, in normal and presentation mode: the
window's minimum fits (the status bar's with room to spare), no widget lies outside the
window, and no text is cut: labels, buttons, tool buttons, drop-downs and their popups,
spin boxes, group box titles, tabs, the latent map's class list (every class shown without
scrolling) and the text pyqtgraph paints (legends, titles, axis labels and ticks, text
items); no legend lies over a curve and no two tick labels of an axis overlap. Counters
and captions are enlarged in presentation mode like the rest."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPoint, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QFont, QFontInfo, QImage, QPainter, QPainterPath, QPainterPathStroker
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QCheckBox,
    QComboBox,
    QDockWidget,
    QGraphicsItem,
    QGraphicsTextItem,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QSpinBox,
    QStyle,
    QStyleOptionComboBox,
    QStyleOptionGroupBox,
    QTabBar,
    QTabWidget,
    QToolButton,
    QWidget,
)

from app.history import RunHistory
from app.panels.latent_map.sidebar import ClassLegend
from app.window import screen_fit
from models.demos import list_demos
from models.metric_units import KINDS, METRICS
from models.training.run_record import RunShape

WAIT_MS = 120_000
SIZES = (QSize(1280, 720), QSize(1366, 768))
SETTLE_MS = 30  # time for a raised dock to lay out
MENU_CHECK_COLUMN = 20  # px: a popup item's check mark column (Fusion)
MENU_ITEM_MARGINS = 8  # px: a popup item's margins either side of its text (Fusion)
LANES = ("model", "latent-jobs", "diffusion", "interpolation")  # the panels' job lanes
STATUS_BAR_SHARE = 0.6  # of the window's width: the most the status bar may need


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


def _combo_problems(box: QComboBox, name: str, screen_width: int) -> list[str]:
    """Return the drop-down's current text cut in the box (unless elided with a tooltip),
    and each item cut in the popup or a popup wider than the screen."""
    found = []
    text = box.currentText()
    if box.isEditable():
        needed = box.lineEdit().fontMetrics().horizontalAdvance(text) + 4
        room = box.lineEdit().contentsRect().width()
    else:
        option = QStyleOptionComboBox()
        box.initStyleOption(option)
        room = box.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, option,
                                          QStyle.SubControl.SC_ComboBoxEditField, box).width()
        needed = box.fontMetrics().horizontalAdvance(text) + 2
        if not box.itemIcon(box.currentIndex()).isNull():
            needed += box.iconSize().width() + 4
    if needed > room and text not in box.toolTip():
        found.append(f"{name}: current text {text!r} needs {needed} px, has {room}")
    box.showPopup()
    QApplication.processEvents()
    view = box.view()
    popup = view.window()
    if popup.width() > screen_width:
        found.append(f"{name}: popup is {popup.width()} px wide, the screen {screen_width}")
    room = view.viewport().width()
    metrics = view.fontMetrics()
    for row in range(box.count()):
        # The popup's delegate asks for the box's width, not its text's: measure the text,
        # after the check or icon column and the menu item's margins (Fusion's).
        column = max(MENU_CHECK_COLUMN, box.iconSize().width()
                     if not box.itemIcon(row).isNull() else 0)
        needed = metrics.horizontalAdvance(box.itemText(row)) + column + MENU_ITEM_MARGINS
        if needed > room:
            found.append(f"{name}: popup item {box.itemText(row)!r} needs {needed} px, "
                         f"has {room}")
    box.hidePopup()
    return found


def _spin_problems(spin: QAbstractSpinBox, name: str) -> list[str]:
    """Return the spin box's value (with prefix and suffix) cut in its field."""
    return _edit_problems(spin.lineEdit(), name)


def _edit_problems(edit: QLineEdit, name: str) -> list[str]:
    """Return the line edit's text cut (a value field, a slider's number)."""
    text = edit.text()
    needed = edit.fontMetrics().horizontalAdvance(text) + 4  # QLineEdit's 2 px margins
    margins = edit.textMargins()
    room = edit.contentsRect().width() - margins.left() - margins.right()
    return [f"{name}: value {text!r} needs {needed} px, has {room}"] if needed > room else []


def _group_problems(box: QGroupBox, name: str) -> list[str]:
    """Return the group box's title running past the box."""
    if not box.title():
        return []
    option = QStyleOptionGroupBox()
    box.initStyleOption(option)
    label = box.style().subControlRect(QStyle.ComplexControl.CC_GroupBox, option,
                                       QStyle.SubControl.SC_GroupBoxLabel, box)
    if label.right() > box.rect().right() or label.left() < 0:
        return [f"{name}: title {box.title()!r} spans {label.left()}–{label.right()}, "
                f"the box 0–{box.rect().right()}"]
    return []


def _tab_problems(bar: QTabBar, name: str) -> list[str]:
    """Return each tab whose text is cut or that is scrolled out of the bar."""
    found = []
    for i in range(bar.count()):
        if not bar.isTabVisible(i):
            continue
        rect, hint, text = bar.tabRect(i), bar.tabSizeHint(i), bar.tabText(i)
        if not bar.rect().adjusted(-1, -1, 1, 1).contains(rect):
            found.append(f"{name}: tab {text!r} at {rect.getRect()} is outside the bar")
        elif rect.width() < hint.width() and text not in bar.tabToolTip(i):
            found.append(f"{name}: tab {text!r} needs {hint.width()} px, has {rect.width()}")
    return found


def _tool_button_problems(button: QToolButton, name: str) -> list[str]:
    """Return the tool button's text cut (narrower than the text, icon and arrow need)."""
    icon_only = button.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonIconOnly
    if not button.text() or (icon_only and not button.icon().isNull()):
        return []  # Qt shows the text of an icon-only button that has no icon
    needed, room = button.sizeHint().width(), button.width()
    return [f"{name}: {button.text()!r} needs {needed} px, has {room}"] if needed > room else []


def _class_list_problems(legend: ClassLegend, name: str, window: QWidget) -> list[str]:
    """Return each class row of the latent map's list that is cut or hidden until scrolled
    (in the list or in the column around it)."""
    found = []
    room = legend.viewport().width()
    for row in range(legend.count()):
        item = legend.item(row)
        rect = legend.visualItemRect(item)
        needed = legend.sizeHintForIndex(legend.model().index(row, 0)).width()
        on_window = QRect(legend.viewport().mapTo(window, rect.topLeft()), rect.size())
        shown = legend.viewport().rect().contains(rect) and _clip(legend, window) \
            .contains(on_window)
        if not shown:
            found.append(f"{name}: class row {item.text()!r} is hidden until scrolled")
        elif needed > room:
            found.append(f"{name}: class row {item.text()!r} needs {needed} px, has {room}")
    return found


def _clip(widget: QWidget, window: QWidget) -> QRect:
    """Return the part of the window where `widget` can be seen: its rectangle cut by the
    viewports of the scroll areas around it (window coordinates)."""
    rect = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
    parent = widget.parentWidget()
    while parent is not None and parent is not window:
        if isinstance(parent.parentWidget(), QAbstractScrollArea):
            rect = rect.intersected(QRect(parent.mapTo(window, QPoint(0, 0)), parent.size()))
        parent = parent.parentWidget()
    return rect


def _clipping_parent(item: QGraphicsItem) -> QGraphicsItem | None:
    """Return the nearest ancestor that clips `item` to its shape (a view box), or None."""
    parent = item.parentItem()
    while parent is not None:
        if parent.flags() & QGraphicsItem.GraphicsItemFlag.ItemClipsChildrenToShape:
            return parent
        parent = parent.parentItem()
    return None


def _plot_problems(view: pg.GraphicsView, name: str) -> list[str]:
    """Return the text pyqtgraph paints that is cut: legend entries, titles, axis labels,
    tick labels and text items outside the plot widget or their view box (a title wider
    than its plot widens the plot past the widget), an axis label longer than its axis."""
    found = []
    seen = view.mapToScene(view.viewport().rect()).boundingRect().adjusted(-1, -1, 1, 1)
    for item in view.scene().items():
        if not item.isVisible():
            continue
        if isinstance(item, QGraphicsTextItem) and item.toPlainText().strip():
            text = item.toPlainText()[:40]
            margin = item.document().documentMargin()  # empty space around the glyphs
            rect = item.mapRectToScene(item.boundingRect().adjusted(margin, margin,
                                                                    -margin, -margin))
            clip = _clipping_parent(item)
            if not seen.contains(rect):
                found.append(f"{name}: plot text {text!r} at {_r(rect)} is outside {_r(seen)}")
            elif clip is not None and not clip.sceneBoundingRect().adjusted(-1, -1, 1, 1) \
                    .contains(rect):
                found.append(f"{name}: plot text {text!r} at {_r(rect)} is cut by its view "
                             f"box {_r(clip.sceneBoundingRect())}")
        if isinstance(item, pg.AxisItem):
            found += _axis_problems(item, name, seen)
        if isinstance(item, pg.LegendItem):
            found += _legend_problems(item, view, name)
    return found


def _legend_problems(legend: pg.LegendItem, view: pg.GraphicsView, name: str) -> list[str]:
    """Return each curve that `legend` lies over, where its view box shows it."""
    found = []
    over = QPainterPath()
    over.addRect(legend.sceneBoundingRect())
    stroker = QPainterPathStroker()
    stroker.setWidth(1)
    for item in view.scene().items():
        box = _clipping_parent(item)
        if not isinstance(item, pg.PlotCurveItem) or not item.isVisible() or box is None:
            continue
        seen = QPainterPath()
        seen.addRect(box.sceneBoundingRect())
        line = stroker.createStroke(item.sceneTransform().map(item.getPath()))
        if line.intersected(seen).intersects(over):
            entries = ", ".join(label.text for _, label in legend.items)[:40]
            found.append(f"{name}: legend {entries!r} at {_r(legend.sceneBoundingRect())} "
                         f"covers a curve")
            break
    return found


def _axis_problems(axis: pg.AxisItem, name: str, seen: QRectF) -> list[str]:
    """Return an axis label longer than its axis and tick labels outside the axis."""
    found = []
    vertical = axis.orientation in ("left", "right")
    length = axis.geometry().height() if vertical else axis.geometry().width()
    if axis.label.isVisible() and axis.label.toPlainText().strip():
        needed = axis.label.boundingRect().width()
        if needed > length + 1:
            found.append(f"{name}: axis label {axis.label.toPlainText()!r} needs "
                         f"{needed:.0f} px, the axis is {length:.0f}")
    image = QImage(1, 1, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    if specs is None:
        return found
    own = axis.mapRectFromParent(axis.geometry()).adjusted(-1, -1, 1, 1)
    labels = sorted(specs[2], key=lambda spec: spec[0].top() if vertical else spec[0].left())
    for (a, _fa, text_a), (b, _fb, text_b) in pairwise(labels):
        if a.intersects(b):
            found.append(f"{name}: tick labels {text_a!r} and {text_b!r} of the "
                         f"{axis.orientation} axis overlap")
    for rect, _flags, text in specs[2]:
        if vertical and (rect.left() < own.left() or rect.right() > own.right()):
            found.append(f"{name}: tick label {text!r} is wider than the {axis.orientation} "
                         f"axis ({rect.width():.0f} px, {own.width() - 2:.0f})")
        elif not seen.contains(axis.mapRectToScene(rect)):
            found.append(f"{name}: tick label {text!r} at {_r(axis.mapRectToScene(rect))} "
                         f"is outside the plot widget {_r(seen)}")
    return found


def _r(rect: QRectF) -> tuple[int, ...]:
    return tuple(round(v) for v in rect.getRect())


def _problems(window: Any, raised: Any, where: str, screen_width: int = 1280) -> list[str]:
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
        if isinstance(w, QComboBox):
            found += _combo_problems(w, name, screen_width)
        elif isinstance(w, QAbstractSpinBox):
            found += _spin_problems(w, name)
        elif isinstance(w, QLineEdit) and not isinstance(w.parentWidget(), QAbstractSpinBox) \
                and not isinstance(w.parentWidget(), QComboBox):
            found += _edit_problems(w, name)
        elif isinstance(w, QGroupBox):
            found += _group_problems(w, name)
        elif isinstance(w, QTabBar):
            found += _tab_problems(w, name)
        elif isinstance(w, QToolButton):
            found += _tool_button_problems(w, name)
        elif isinstance(w, ClassLegend):
            found += _class_list_problems(w, name, window)
        elif isinstance(w, pg.GraphicsView):
            found += _plot_problems(w, name)
    return found


def _status_bar_problems(window: Any, size: QSize, where: str) -> list[str]:
    """Return a status bar whose minimum leaves the window no room to spare."""
    needed = window.statusBar().minimumSizeHint().width()
    most = int(STATUS_BAR_SHARE * size.width())
    if needed > most:
        return [f"{where}: the status bar needs {needed} px, more than {most}"]
    return []


def _show_losses(window: Any, family: str) -> None:
    """Draw loss curves of every metric `family` logs (the demos may have no history):
    their plots, titles and legends must fit too."""
    kind = KINDS.get(family, "")
    keys = [key for (k, key) in METRICS if k == kind]
    if kind in ("gan", "wgan"):
        keys += [key for (k, key) in METRICS if k == "*"]
    history = RunHistory(RunShape(family=family, total_epochs=2, steps_per_epoch=50))
    rng = np.random.default_rng(0)
    for step in range(1, 101):
        history.add_step(step, {key: float(rng.uniform(0.1, 2.0)) for key in keys})
    window.training_panel.loss_plots.refresh(history)


def _end_jobs(qtbot: Any, session: Any) -> None:
    """Cancel the panels' background work and wait until it has ended: closing the window
    during a long step (a projection under load) abandons the lane's thread."""
    for lane in LANES:
        session.jobs.cancel(lane)
    qtbot.waitUntil(lambda: not any(session.jobs.jobs(lane) for lane in LANES),
                    timeout=WAIT_MS)


def _docks(window: Any) -> tuple[Any, ...]:
    return (window.training_dock, window.latent_dock, window.diffusion_dock,
            window.interpolation_dock, window.toy_dock, *window.tool_docks)


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
    found += _status_bar_problems(window, size, where)
    for dock in _docks(window):
        dock.show()
        dock.raise_()
        qtbot.wait(SETTLE_MS)
        QApplication.processEvents()
        found += _problems(window, dock, f"{where} {dock.objectName()}", size.width())
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
        _show_losses(window, session.model.family)
        found += _check_at(qtbot, window, size, f"{demo.name} normal")
        window.toggle_presentation()
        window.showNormal()  # full screen would be the offscreen screen's size
        found += _check_at(qtbot, window, size, f"{demo.name} presentation")
        window.toggle_presentation()
    _end_jobs(qtbot, session)
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


def test_the_check_reports_cut_drop_downs_fields_titles_tabs_and_tool_buttons(
        qtbot: Any) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    window.resize(400, 300)
    cut_box = QComboBox(window)
    cut_box.addItem("a drop-down item far too long for its box, " * 3)
    cut_box.setGeometry(0, 0, 60, 24)
    small_font_box = QComboBox(window)  # sized for its font, its popup drawn in a larger one
    small_font_box.addItems(["first choice", "second choice"])
    small_font_box.setGeometry(0, 30, 200, 24)
    big = QFont(small_font_box.font())
    big.setPointSizeF(big.pointSizeF() * 3)
    small_font_box.view().setFont(big)
    spin = QSpinBox(window)
    spin.setRange(0, 10**6)
    spin.setSuffix(" images in a batch")
    spin.setValue(123456)
    spin.setGeometry(0, 60, 60, 24)
    group = QGroupBox("A group box title much wider than its box", window)
    group.setGeometry(0, 90, 80, 40)
    tabs = QTabWidget(window)
    for name in ("A long first tab", "A long second tab", "A long third tab"):
        tabs.addTab(QWidget(), name)
    tabs.setGeometry(0, 140, 120, 60)
    tool = QToolButton(window)
    tool.setText("A tool button's long text")
    tool.setGeometry(0, 210, 40, 24)
    edit = QLineEdit("0.123456789", window)
    edit.setGeometry(0, 240, 30, 24)
    window.show()
    qtbot.wait(SETTLE_MS)
    found = "\n".join(_problems(window, None, "here", screen_width=300))
    assert "current text 'a drop-down item far too long for its box, a" in found, found
    assert "popup item 'second choice' needs" in found, found
    assert "popup is" in found and "the screen 300" in found, found  # the long item's
    assert "value '123456 images in a batch' needs" in found, found
    assert "title 'A group box title much wider than its box' spans" in found, found
    assert "tab 'A long third tab'" in found, found
    assert "\"A tool button's long text\" needs" in found, found
    assert "QLineEdit '': value '0.123456789' needs" in found, found


def test_the_check_reports_plot_text_cut_and_classes_hidden_until_scrolled(
        qtbot: Any) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    window.resize(400, 400)
    titled = pg.PlotWidget(window)
    titled.setGeometry(0, 0, 200, 120)
    titled.setTitle("A plot title far wider than the plot it is the title of")
    titled.setLabel("left", "an axis label longer than its axis")
    plot = pg.PlotWidget(window)
    plot.setGeometry(0, 130, 200, 120)
    legend = plot.addLegend(offset=(-10, 10))
    for i in range(8):  # a column of entries taller than the plot's view box
        legend.addItem(pg.PlotDataItem([0, 1], [0, i]), f"entry {i}")
    plot.plot([0, 1], [0.8, 0.8])  # a curve under the legend
    text = pg.TextItem("text past the view box's edge")
    plot.addItem(text)
    text.setPos(0.9, 0.5)
    plot.setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
    crowded = pg.PlotWidget(window)  # a short axis in presentation-sized text
    crowded.setGeometry(220, 70, 150, 50)
    crowded.getAxis("left").setStyle(tickFont=QFont(QFont().family(), 20))
    crowded.setYRange(0, 4)
    classes = ClassLegend(window)
    classes.set_classes({label: 100 for label in range(10)}, (), set())
    classes.setMinimumHeight(0)
    classes.setFixedHeight(60)  # three rows of ten: the rest only by scrolling
    classes.setGeometry(220, 0, 150, 60)
    window.show()
    qtbot.wait(SETTLE_MS)
    found = "\n".join(_problems(window, None, "here"))
    assert "plot text 'A plot title far wider than the plot it ' at" in found, found
    assert "axis label 'an axis label longer than its axis ' needs" in found, found
    assert "plot text 'entry 7' at" in found, found
    assert "is cut by its view box" in found, found
    assert "legend 'entry 0, entry 1, entry 2, entry 3, entr' at" in found, found
    assert "covers a curve" in found, found
    assert "of the left axis overlap" in found, found
    assert "plot text \"text past the view box's edge\" at" in found, found
    assert "class row '9  (100)' is hidden until scrolled" in found, found


def test_the_checks_report_a_wide_status_bar_and_a_caption_not_enlarged(qtbot: Any) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    window.statusBar().addPermanentWidget(QLabel("a status bar label " * 60))
    found = _status_bar_problems(window, QSize(1280, 720), "here")
    assert found and "the status bar needs" in found[0], found
    normal = {"step counter": 9.0, "α label": 9.0}
    presenting = {"step counter": 13.5, "α label": 9.0}
    assert _not_enlarged(normal, presenting, "here") == [
        "here: α label is 9.0 presenting, 9.0 normally"]


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


# --- counters and captions are enlarged in presentation mode ------------------------------
ENLARGED = 1.3  # the presentation theme's fonts are 1.5× (app/theme.py): at least this
INK_LEVEL = 100  # grey level below which a title bar's pixel is text


def _point_size(font: QFont) -> float:
    """Return the size a font is drawn at, in points."""
    return QFontInfo(font).pointSizeF()


def _plot_text_sizes(view: pg.GraphicsView, key: str) -> dict[str, float]:
    """Return the point size of each piece of text a pyqtgraph view paints, by kind and
    text (legend entries, titles and captions, text items, axis labels and ticks)."""
    sizes = {}
    for item in view.scene().items():
        if isinstance(item, pg.LabelItem) and item.text:
            size = item.opts.get("size")
            kind = "legend" if isinstance(item.parentItem(), pg.LegendItem) else "label"
            sizes[f"{key} {kind} {item.item.toPlainText()[:20]!r}"] = \
                float(size.removesuffix("pt")) if size else _point_size(item.item.font())
        elif isinstance(item, pg.TextItem):
            sizes[f"{key} text item"] = _point_size(item.textItem.font())
        elif isinstance(item, pg.AxisItem) and item.isVisible():
            sizes[f"{key} {item.orientation} axis label"] = _point_size(item.label.font())
            if item.style["tickFont"] is not None:
                sizes[f"{key} {item.orientation} ticks"] = _point_size(item.style["tickFont"])
    return sizes


def _title_ink(dock: QDockWidget) -> float:
    """Return the height in pixels of the dark pixels of a dock's title bar: Qt draws the
    title in a font of its own, which the dock's font does not tell."""
    top = dock.widget().geometry().top()
    image = dock.grab(QRect(0, 0, dock.width(), top)).toImage() \
        .convertToFormat(QImage.Format.Format_Grayscale8)
    pixels = np.frombuffer(image.constBits(), np.uint8) \
        .reshape(image.height(), image.bytesPerLine())[:, :image.width()]
    rows = np.flatnonzero((pixels < INK_LEVEL).any(axis=1))
    return float(rows[-1] - rows[0] + 1) if len(rows) else 0.0


def _caption_sizes(window: Any) -> dict[str, float]:
    """Return the point size of the counters and captions of every panel and the status
    bar: what presentation mode must enlarge like the rest."""
    from app.panels.diffusion.panel import DiffusionPanel
    from app.panels.interpolation.panel import InterpolationPanel

    diffusion = window.findChild(DiffusionPanel)
    interpolation = window.findChild(InterpolationPanel)
    widgets = {
        "step counter": diffusion.step_label, "diffusion progress": diffusion.progress,
        "cache counter": diffusion.cache_label, "step caption A": diffusion.row_a.caption,
        "step caption B": diffusion.row_b.caption, "filmstrip captions": diffusion.filmstrip,
        "α label": interpolation.path.alpha_label, "α strip labels": interpolation.strip,
        "frame caption": interpolation.frame,
        "latent map class list": window.findChild(ClassLegend),
        **{f"anchor {name} caption": box.description
           for name, box in interpolation.anchors.items()},
        **{f"anchor {name} title": box for name, box in interpolation.anchors.items()},
        **{f"status bar {name}": getattr(window.status, name)
           for name in ("device", "model", "dataset", "state", "rate")},
    }
    sizes = {name: _point_size(w.font()) for name, w in widgets.items()}
    for dock in _docks(window):  # its title's height in pixels: the same ratio
        if dock.isVisible() and dock.titleBarWidget() is None:
            sizes[f"dock title {dock.windowTitle()}"] = _title_ink(dock)
    for view in window.findChildren(pg.GraphicsView):
        sizes.update(_plot_text_sizes(view, view.objectName() or type(view).__name__))
    return sizes


def _not_enlarged(normal: dict[str, float], presenting: dict[str, float],
                  where: str) -> list[str]:
    """Return each text shown in both modes that is not enlarged when presenting (sizes
    in points, dock titles in pixels: the ratio is what counts)."""
    return [f"{where}: {name} is {presenting[name]:.1f} presenting, {normal[name]:.1f} "
            f"normally" for name in sorted(normal.keys() & presenting.keys())
            if presenting[name] < ENLARGED * normal[name]]


def test_counters_and_captions_are_enlarged_in_presentation_mode(
        make_window: Any, qtbot: Any) -> None:
    window = make_window()
    session = window.session
    demos = list_demos()
    normal: dict[str, dict[str, float]] = {}

    def open_demo(demo: Any) -> None:
        window.open_path(demo.path)
        qtbot.waitUntil(lambda: session.model is not None and session.model.path == demo.path,
                        timeout=WAIT_MS)
        _show_losses(window, session.model.family)
        qtbot.wait(SETTLE_MS)

    for demo in demos:
        open_demo(demo)
        normal[demo.name] = _caption_sizes(window)
    window.toggle_presentation()
    window.showNormal()
    qtbot.wait(SETTLE_MS)
    found = _not_enlarged(normal[demos[-1].name], _caption_sizes(window),
                          f"{demos[-1].name} (presenting after opening)")
    for demo in demos[:-1]:  # opened while presenting: what they build must be large too
        open_demo(demo)
        found += _not_enlarged(normal[demo.name], _caption_sizes(window),
                               f"{demo.name} (opened while presenting)")
    window.toggle_presentation()
    _end_jobs(qtbot, session)
    measured = normal[demos[0].name]
    for name in ("step counter", "α label", "anchor A caption", "filmstrip captions",
                 "status bar model", "latent map class list", "dock title Training"):
        assert name in measured
    assert any(" legend " in name for name in measured), "\n".join(measured)
    assert not found, "\n".join(found)
