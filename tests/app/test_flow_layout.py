"""The flow layout wraps its widgets into rows instead of widening its parent."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QPushButton, QWidget

from app.widgets.flow_layout import FlowLayout


def test_a_narrow_flow_wraps_its_widgets_and_its_minimum_is_the_widest_one(
        qtbot: Any) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    layout = FlowLayout(parent, stretch_last=True)
    buttons = [QPushButton(f"Button number {i}") for i in range(6)]
    for b in buttons:
        layout.addWidget(b)
    widest = max(b.sizeHint().width() for b in buttons)
    assert layout.minimumSize().width() == widest
    one_row = layout.sizeHint().width()
    parent.resize(one_row // 2, layout.heightForWidth(one_row // 2))
    parent.show()
    qtbot.waitExposed(parent)
    rows = {b.geometry().y() for b in buttons}
    assert len(rows) >= 2
    assert layout.heightForWidth(one_row // 2) > layout.heightForWidth(one_row)
    assert all(parent.rect().contains(b.geometry()) for b in buttons)
    # The last widget takes the rest of its row.
    assert buttons[-1].geometry().right() == parent.rect().right()
