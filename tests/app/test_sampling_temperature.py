"""The Training panel's sampling temperature: shown for a flow, redraws the same seeds at
the temperature chosen, hidden for a model without one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from tests.models.checkpoint_files import tiny_checkpoint

WAIT_MS = 60_000


def _open(window: Any, qtbot: Any, path: Path) -> None:
    session = window.session
    with qtbot.waitSignal(session.samplesReady, timeout=WAIT_MS):
        window.open_path(path)
        window.training_dock.raise_()
    assert session.model is not None and session.model.path == path


def test_the_temperature_slider_redraws_a_flow_s_samples(make_window: Any, qtbot: Any,
                                                         tmp_path: Path) -> None:
    window = make_window()
    panel = window.training_panel
    _open(window, qtbot, tiny_checkpoint(tmp_path / "flow", "realnvp"))
    assert panel.temperature.isVisibleTo(panel) and panel.temperature.value() == 1.0
    warm = panel.samples.array
    with qtbot.waitSignal(window.session.samplesReady, timeout=WAIT_MS):
        panel.temperature.slider.setValue(0.3)
    assert panel.samples.array.shape == warm.shape
    assert not np.array_equal(panel.samples.array, warm)
    # Colder samples of the same seeds sit nearer f⁻¹(0): less spread between pixels.
    assert panel.samples.array.std() < warm.std()
    assert "temperature 0.30" in panel.samples.toolTip() + panel.samples._caption[0]
    with qtbot.waitSignal(window.session.samplesReady, timeout=WAIT_MS):
        window.act_sample.trigger()  # the toolbar's fresh samples keep the temperature
    assert "temperature 0.30" in panel.samples._caption[0]

    _open(window, qtbot, tiny_checkpoint(tmp_path / "vae", "vae"))
    assert not panel.temperature.isVisibleTo(panel)
    assert "temperature" not in panel.samples._caption[0]
