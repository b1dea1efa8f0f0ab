"""Per-epoch array charts: short titles, the unit beside the x label (a short chart cut
the left-axis label; a demo's history shows these charts as soon as it opens)."""

from __future__ import annotations

import numpy as np

from app.panels.training.array_plots import ArrayPlots, array_title, axis_label
from models.training.run_record import EpochRecord


def test_the_unit_is_beside_the_x_label_and_not_on_the_left_axis(qtbot) -> None:
    assert array_title("kl_per_dim", np.ones(16)) == "KL per dimension — 16 of 16 active"
    assert axis_label("kl_per_dim") == "latent dimension · nats / image"
    assert axis_label("loss_by_t") == "bucket, noisier → · MSE / pixel"
    assert axis_label("something_else") == "index"
    assert axis_label("loss_by_t", "ddpm") == "bucket, noisier → · MSE / pixel"
    assert axis_label("loss_by_t", "ldm") == "bucket, noisier → · MSE / latent value"
    plots = ArrayPlots()
    qtbot.addWidget(plots)
    plots.show_epoch(EpochRecord(1, 10, arrays={"loss_by_t": np.ones(4, np.float32)}))
    plot = plots.plots["loss_by_t"]
    assert "MSE / pixel" in plot.getAxis("bottom").labelText
    assert not plot.getAxis("left").labelText
