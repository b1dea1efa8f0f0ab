"""The interpolation panel labels its pictures: each traversal row names the dimension it
varies and the values it sweeps; the strip marks the anchors A and B with their α."""

from __future__ import annotations

from typing import Any

import numpy as np

from app.panels.interpolation.views import alpha_label, signed
from models.latent.paths import traversal_values
from tests.app.test_interpolation import _open, checkpoints, panel  # noqa: F401


def test_each_traversal_row_names_its_dimension_and_range(
        qtbot: Any, panel: Any, checkpoints: Any) -> None:  # noqa: F811
    _open(qtbot, panel, checkpoints["vae4"])
    panel.traversal.rows.setValue(3)
    panel.traversal.columns.setValue(5)
    panel.request_traversal()
    view = panel.traversal.view
    qtbot.waitUntil(lambda: view.image is not None, timeout=10_000)
    dims = [int(d) for d in panel.dims.order[:3]]
    expected = []
    for d in dims:
        v = traversal_values(float(panel._center[d]), float(panel._std[d]), 5)
        expected.append(f"z{d}: {signed(v[0])}…{signed(v[-1])}")
    assert view.row_labels == expected
    assert view.column_labels == ["−3σ", "", "mean", "", "+3σ"]
    assert "Each row sweeps one dimension" in view.caption
    # The labels have room: the grid is drawn right of the widest row label.
    widest = max(view.fontMetrics().horizontalAdvance(t) for t in expected)
    assert view.image_rect().left() >= widest
    view.grab()  # paints without error
    panel.traversal.clear()
    assert view.row_labels == [] and view.column_labels == []


def test_strip_labels_mark_the_anchors() -> None:
    labels = [alpha_label(a) for a in np.linspace(0, 1, 5)]
    assert labels == ["A  α 0", "α 0.25", "α 0.50", "α 0.75", "B  α 1"]
    assert alpha_label(-0.5) == "α -0.50"
