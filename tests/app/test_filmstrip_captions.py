"""The diffusion filmstrip says what its frames are: x̂0 of which sample, at which t."""

from __future__ import annotations

from typing import Any

from tests.app.test_diffusion_viewer import _load, _run, checkpoints, panel  # noqa: F401


def test_the_filmstrip_names_its_quantity_sample_and_each_frames_timestep(
        qtbot: Any, panel: Any, checkpoints: Any) -> None:  # noqa: F811
    _load(qtbot, panel, checkpoints["ddpm"])
    record = _run(qtbot, panel, steps=6, n=4)
    strip = panel.filmstrip
    assert strip.title().startswith("x̂0 (predicted clean image) of sample 1 of 4, at 6 of 6")
    panel.sample_spin.setValue(3)
    assert "of sample 3 of 4" in strip.title()
    labels = [strip.frame_label(s) for s in strip.steps]
    assert labels == [f"t={round(float(t))}" for t in record.timesteps]
    assert labels[0] != labels[-1]  # t counts down across the run
    # Title and labels have their own lines: frames start below the title.
    assert strip.frame_rect(0).top() >= strip.fontMetrics().height()
    strip.grab()  # paints without error
