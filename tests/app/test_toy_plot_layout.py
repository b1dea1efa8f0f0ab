"""The Toy lab's plots are squares that use the room: the main plot and the side plot side
by side, each under a caption wrapped to its width (never cut), the metrics right under
them, and neither plot showing much more of the plane than its square."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QRect

from app.panels.toy_lab.plot_pair import GAP, PlotCaption, PlotPair, axes_width
from app.widgets.elided_label import ElidedLabel

LONG = ("latent z · ellipses: q(z|x) ±1σ · circles: prior 1σ, 2σ · heat: q(z), the data "
        "encoded · purple: z ~ p(z) · grey: grid")


@pytest.fixture
def pair(qtbot: Any) -> Any:
    from app.main import configure_pyqtgraph
    from app.panels.toy_lab.canvas import ToyCanvas

    configure_pyqtgraph()
    captions = PlotCaption(), PlotCaption()
    footer = ElidedLabel("step 1 · metrics"), ElidedLabel("note")
    widget = PlotPair((captions[0], ToyCanvas()), (captions[1], ToyCanvas()), footer=footer)
    qtbot.addWidget(widget)
    captions[0].set_full_text("green: data · purple: samples")
    captions[1].set_full_text(LONG)
    widget.show()
    return widget


def square(canvas: Any) -> int:
    """Return the side of a plot's square (its width less its axes' extra)."""
    side = canvas.width() - axes_width(canvas)
    assert abs(side - canvas.height()) <= 1, (canvas.size(), axes_width(canvas))
    return canvas.height()


def check_fits(pair: Any) -> None:
    inside = pair.rect()
    shown = [pair.main] + ([pair.side] if pair.side_visible() else [])
    for caption, canvas in shown:
        assert inside.contains(caption.geometry()) and inside.contains(canvas.geometry())
        assert caption.heightForWidth(caption.width()) <= caption.height()  # never cut
        assert caption.geometry().bottom() < canvas.geometry().top()
    if len(shown) == 2:
        left, right = shown[0][1].geometry(), shown[1][1].geometry()
        assert left.right() + GAP <= right.left() + 1
        assert shown[0][1].geometry().top() == shown[1][1].geometry().top()
    bottom = max(canvas.geometry().bottom() for _c, canvas in shown)
    metrics = pair.footer[0].geometry()
    assert metrics.top() == bottom + 1 and inside.contains(metrics)


def test_at_1280x720_both_plots_are_squares_side_by_side_using_the_width(
        qtbot: Any, pair: Any) -> None:
    pair.set_side_visible(True)
    pair.resize(660, 540)  # the Toy lab's plot area in a 1280×720 window
    qtbot.wait(20)
    check_fits(pair)
    main, side = square(pair.main[1]), square(pair.side[1])
    assert main >= side >= 0.8 * main
    used = pair.side[1].geometry().right() - pair.main[1].geometry().left()
    assert used >= 0.95 * pair.width()  # the width decides here: all of it is used


def test_when_the_height_decides_the_plots_are_as_tall_as_the_room(qtbot: Any,
                                                                     pair: Any) -> None:
    pair.set_side_visible(True)
    pair.resize(1500, 500)  # presentation mode on a wide screen
    qtbot.wait(20)
    check_fits(pair)
    room = pair.height() - sum(w.height() for w in pair.footer) - pair.main[0].height()
    assert square(pair.main[1]) == square(pair.side[1]) == room


def test_without_a_side_plot_the_main_plot_takes_its_room(qtbot: Any, pair: Any) -> None:
    pair.set_side_visible(True)
    pair.resize(660, 540)
    qtbot.wait(20)
    beside = square(pair.main[1])
    pair.set_side_visible(False)
    assert pair.side[1].isHidden() and pair.side[0].isHidden()
    check_fits(pair)
    assert square(pair.main[1]) > 1.3 * beside


def test_a_caption_keeps_the_room_of_its_longest_frame_label(qtbot: Any, pair: Any) -> None:
    pair.resize(660, 540)
    caption = pair.main[0]
    caption.set_full_text("")
    tall = caption.heightForWidth(120)
    assert caption.reserve("t = 100 · " + LONG)
    assert caption.heightForWidth(120) > tall
    assert not caption.reserve("t = 100 · " + LONG)  # the same: nothing to lay out again


def test_the_panels_side_plot_shows_its_square_of_the_plane_not_empty_margins(
        qtbot: Any, toy_panel: Any) -> None:
    panel = toy_panel
    panel.resize(965, 610)
    panel.controls.family.setCurrentText("vae")
    panel.step()
    qtbot.waitUntil(lambda: panel.latest is not None and panel._drawn is panel.latest,
                    timeout=60_000)
    qtbot.waitUntil(lambda: panel.side.isVisible())
    qtbot.wait(50)
    for canvas, plane in ((panel.canvas, panel.latest.main),
                          (panel.side_canvas, panel.latest.side)):
        (x0, x1), (y0, y1) = canvas.box.viewRange()
        span = 2 * plane.extent
        assert span <= x1 - x0 < 1.15 * span and span <= y1 - y0 < 1.15 * span
    bottom = max(c.mapTo(panel, c.rect().bottomLeft()).y()
                 for c in (panel.canvas, panel.side_canvas))
    line = QRect(panel.metrics_line.mapTo(panel, panel.metrics_line.rect().topLeft()),
                 panel.metrics_line.size())
    assert 0 < line.top() - bottom < 30  # the numbers sit under the plots
