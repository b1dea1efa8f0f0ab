"""Per-epoch array charts name their unit in the title (a short chart cut the left-axis
label; a demo's history shows these charts as soon as it opens)."""

from __future__ import annotations

import numpy as np

from app.panels.training.array_plots import ArrayPlots, chart_title
from models.training.run_record import EpochRecord


def test_the_unit_is_in_the_title_and_not_on_the_left_axis(qtbot) -> None:
    assert chart_title("kl_per_dim", np.array([0.5, 0.0])) == \
        "KL per latent dimension — 1 of 2 active (nats / image)"
    assert chart_title("loss_by_t", np.ones(3)) == "Loss by timestep bucket (MSE / pixel)"
    assert chart_title("something_else", np.ones(3)) == "something else"
    plots = ArrayPlots()
    qtbot.addWidget(plots)
    plots.show_epoch(EpochRecord(1, 10, arrays={"loss_by_t": np.ones(4, np.float32)}))
    plot = plots.plots["loss_by_t"]
    assert "MSE / pixel" in plot.titleLabel.text
    assert not plot.getAxis("left").labelText
