"""A run in phases draws each phase's curves over its own steps: the autoencoder's plots
over phase 1 alone, the UNet's from where phase 2 begins, each with its own y range and
the boundary marked on every plot (named once, where phase 2 begins)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def _history(ae_epochs: int, unet_epochs: int) -> Any:
    """Return a recorded latent-diffusion history: 10 steps an epoch, losses 200 → 170
    in phase 1 and near 0.1 in phase 2."""
    from app.history import RunHistory
    from models.training.run_reader import shape_of

    info = {"family": "ldm", "train": {"batch_size": 10, "epochs": unet_epochs},
            "dataset": {"name": "mnist5k", "n_train": 100},
            "phases": [{"name": "autoencoder", "epochs": ae_epochs},
                       {"name": "diffusion", "epochs": unet_epochs}]}
    history = RunHistory(shape_of(Path("run"), info))
    rng = np.random.default_rng(0)
    for step in range(1, 10 * (ae_epochs + unet_epochs) + 1):
        if step <= 10 * ae_epochs:
            loss = 200.0 - step + rng.normal()
            history.add_step(step, {"loss": loss, "recon": loss - 5.0, "kl": 5.0})
        else:
            history.add_step(step, {"loss": 0.1 + 0.01 * rng.normal()})
    return history


def _x_range(plot: Any) -> tuple[float, float]:
    plot.vb.updateAutoRange()
    lo, hi = plot.vb.viewRange()[0]
    return float(lo), float(hi)


def test_each_phase_plots_cover_its_own_steps(qtbot: Any) -> None:
    from app.panels.training.loss_plots import LossPlots

    plots = LossPlots()
    qtbot.addWidget(plots)
    plots.resize(600, 600)
    plots.show()
    history = _history(ae_epochs=3, unet_epochs=70)  # a short phase 1, as the demo's
    plots.refresh(history)
    keys = {c.key: c.plot for c in plots.curves}
    ae, unet = plots.plots[keys["autoencoder_loss"]], plots.plots[keys["loss"]]
    assert plots.groups[keys["autoencoder_loss"]] == 0 and plots.groups[keys["loss"]] is None

    # Phase 1's 30 steps fill the autoencoder's plot (not 30 of 730 steps' width).
    anchors = plots._anchors
    assert anchors[keys["autoencoder_loss"]].dataBounds(0) == (0.0, 30.0)
    lo, hi = _x_range(ae)
    assert lo <= 1 and 30 <= hi < 35  # pyqtgraph's padding: a few % either side
    # Phase 2's plot begins where it does, and ends with the run.
    assert anchors[keys["loss"]].dataBounds(0) == (30.0, 730.0)
    lo, hi = _x_range(unet)
    assert 30 - 0.1 * 700 < lo < 30 < 730 <= hi
    # Each keeps its own y range: the UNet's ~0.1 is not flattened by the ~200 above.
    assert _y_span(unet) < 1.0 and _y_span(ae) > 20.0
    # The boundary is on every plot, named where phase 2 begins.
    assert plots.boundaries == [(30, "phase 2: diffusion")]
    lines = {id(p): line for p, line in plots._boundary_lines}
    assert len(plots._boundary_lines) == len(plots.plots)
    assert lines[id(unet)].label.toPlainText() == "phase 2: diffusion"
    assert getattr(lines[id(ae)], "label", None) is None
    assert lines[id(ae)].value() == 30


def _y_span(plot: Any) -> float:
    lo, hi = plot.vb.viewRange()[1]
    return float(hi - lo)


def test_a_run_of_one_phase_keeps_one_linked_step_axis(qtbot: Any) -> None:
    from app.history import RunHistory
    from app.panels.training.loss_plots import LossPlots
    from models.training.run_reader import shape_of

    plots = LossPlots()
    qtbot.addWidget(plots)
    plots.show()
    shape = shape_of(Path("run"), {"family": "vae", "train": {"batch_size": 10, "epochs": 2},
                                   "dataset": {"name": "mnist5k", "n_train": 100}})
    history = RunHistory(shape)
    for step in range(1, 21):
        history.add_step(step, {"loss": 100.0 - step, "kl": 5.0 + step})
    plots.refresh(history)
    assert plots.groups == [None] * len(plots.plots) and len(plots.plots) >= 2
    assert _x_range(plots.plots[0]) == _x_range(plots.plots[-1])
