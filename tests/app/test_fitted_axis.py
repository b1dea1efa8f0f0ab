"""Short bar charts (KL per dimension) label their y axis with as many round values as fit."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QFont, QImage, QPainter

from app.history import EpochRecord
from app.panels.training.array_plots import ArrayPlots
from app.panels.training.fitted_axis import FittedAxis, fitted_ticks


def test_the_finest_round_spacing_that_fits_is_chosen() -> None:
    assert fitted_ticks(-0.08, 4.08, 10) == (0.5, [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0,
                                                   3.5, 4.0])
    assert fitted_ticks(-0.08, 4.08, 3) == (2.0, [0.0, 2.0, 4.0])
    assert fitted_ticks(100, 250, 4) == (50.0, [100.0, 150.0, 200.0, 250.0])
    assert fitted_ticks(-0.001, 0.005, 3) == (0.002, [0.0, 0.002, 0.004])


def test_a_short_axis_keeps_both_ends_of_its_scale() -> None:
    # 0, 2, 4 is one too many and a spacing of 5 would leave 0 alone: 0 and 4 remain.
    assert fitted_ticks(-0.08, 4.08, 2) == (2.0, [0.0, 4.0])
    assert fitted_ticks(0, 1, 1) == (1.0, [0.0, 1.0])
    assert fitted_ticks(0, 0, 3) == (1.0, [])


def _label_rects(axis: pg.AxisItem) -> list[Any]:
    image = QImage(1, 1, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return sorted((rect for rect, _flags, _text in specs[2]), key=lambda r: r.top())


def test_the_kl_chart_labels_do_not_run_into_each_other_when_short(qtbot: Any) -> None:
    charts = ArrayPlots()
    qtbot.addWidget(charts)
    charts.resize(400, 110)  # a bar chart under the sample grid, presentation-sized text
    kl = np.array([3.1, 2.9])
    charts.show_epoch(EpochRecord(1, 10, {}, None, None, {"kl_per_dim": kl}))
    axis = charts.plots["kl_per_dim"].getAxis("left")
    assert isinstance(axis, FittedAxis)
    axis.setStyle(tickFont=QFont(QFont().family(), 20))
    charts.show()
    qtbot.waitExposed(charts)
    rects = _label_rects(axis)
    assert len(rects) >= 2, "the scale needs two labels"
    assert not any(a.intersects(b) for a, b in pairwise(rects))
