"""The loss plots' log scale reads in plain numbers at 1-2-5 ticks."""

from __future__ import annotations

from typing import Any

import numpy as np

from app.history import RunHistory
from app.panels.training.log_axis import choose_log_ticks, plain_number


def _labels(axis: Any) -> list[str]:
    """Return the labels the axis draws for its current range (its labelled level)."""
    size = axis.geometry().height()
    levels = axis.tickValues(axis.range[0], axis.range[1], size)
    strings = [axis.tickStrings(values, 1.0, spacing) for spacing, values in levels]
    return [s for level in strings for s in level if s]


def test_a_loss_of_80_to_550_nats_is_ticked_100_200_500(qtbot: Any) -> None:
    from tests.app.test_loss_curves import _plots

    plots = _plots(qtbot)
    h = RunHistory()
    for t, v in enumerate(np.geomspace(550, 80, 400), start=1):
        h.add_step(t, {"loss": float(v), "mse": float(v) / 5500})  # 0.1 … 0.0145
    plots.set_log_y(True)
    plots.refresh(h)
    qtbot.waitUntil(lambda: plots.plots[0].getAxis("left").range[1] > 2.5)
    loss, mse = (_labels(p.getAxis("left")) for p in plots.plots)
    assert {"100", "200", "500"} <= set(loss), loss
    assert {"0.02", "0.05", "0.1"} <= set(mse), mse
    for label in loss + mse:  # plain numbers: no 10^x, no superscripts, no exponent
        float(label)
        assert "e" not in label and "·" not in label
    plots.set_log_y(False)  # linear again: pyqtgraph's own ticks, still numbers
    plots.refresh(h)
    assert all(float(s) >= 0 for s in _labels(plots.plots[0].getAxis("left")))


def test_log_ticks_choose_the_finest_readable_family() -> None:
    labelled, minor = choose_log_ticks(80, 550, 200)
    assert [plain_number(v) for v in labelled] == ["100", "200", "300", "500"]
    assert 400 in [round(v) for v in minor]
    # Many decades in a short axis: powers of ten only.
    assert [plain_number(v) for v in choose_log_ticks(1e-3, 1e3, 120)[0]] == \
        ["0.001", "0.01", "0.1", "1", "10", "100", "1000"]
    # Too narrow for two 1..9 ticks: round values evenly spaced.
    assert [plain_number(v) for v in choose_log_ticks(82, 96, 200)[0]] == ["85", "90", "95"]
    assert plain_number(2e-5) == "2e-5" and plain_number(1500) == "1500"
