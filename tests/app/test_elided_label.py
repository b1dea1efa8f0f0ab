"""The eliding label: cut with "…" to its width, whole in its tooltip, never widening its
layout past a few characters."""

from __future__ import annotations

from typing import Any

from app.widgets.elided_label import ElidedLabel


def test_a_narrow_label_cuts_its_text_and_its_tooltip_has_all_of_it(qtbot: Any) -> None:
    text = "Following run (all epochs done)"
    label = ElidedLabel(text)
    qtbot.addWidget(label)
    label.show()  # a hidden widget gets its resize events only when shown
    whole = label.fontMetrics().horizontalAdvance(text)
    assert label.sizeHint().width() >= whole
    assert label.minimumSizeHint().width() < whole // 2
    label.resize(whole // 2, label.sizeHint().height())
    assert label.text().endswith("…") and len(label.text()) < len(text)
    assert label.toolTip() == text and label.full_text() == text
    label.resize(whole + 20, label.sizeHint().height())
    assert label.text() == text and label.toolTip() == ""


def test_new_text_is_cut_to_the_width_the_label_has(qtbot: Any) -> None:
    label = ElidedLabel("Idle")
    qtbot.addWidget(label)
    label.resize(label.fontMetrics().horizontalAdvance("Idle") + 10, 20)
    label.set_full_text("Training epoch 3 of 30")
    assert label.text().endswith("…") and label.toolTip() == "Training epoch 3 of 30"
