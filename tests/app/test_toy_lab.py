"""The Toy lab panel: live training on the toy lane, pause, one step, reset from the seed,
drawing and importing data, and closing mid-training."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest


@pytest.fixture
def panel(toy_panel: Any) -> Any:
    """The Toy lab panel (tests/app/conftest.py)."""
    return toy_panel


def wait_step(qtbot: Any, panel: Any, step: int, timeout: int = 60_000) -> None:
    qtbot.waitUntil(lambda: panel.latest is not None and panel.latest.step >= step,
                    timeout=timeout)


def settle(qtbot: Any, panel: Any) -> int:
    """Wait until the paused lane has nothing left to do and its last snapshot has
    arrived; return the step shown."""
    qtbot.waitUntil(lambda: panel._control is None or panel._control.idle, timeout=60_000)
    qtbot.wait(200)  # the last snapshot's queued delivery to the GUI thread
    return panel.latest.step


def test_a_gan_on_8_gaussians_trains_and_its_samples_and_metrics_update(
        qtbot: Any, panel: Any) -> None:
    panel.controls.family.setCurrentText("gan")
    panel.controls.dataset.setCurrentText("8gaussians")
    panel.step()
    wait_step(qtbot, panel, 1)
    first = panel.latest
    panel.play()
    wait_step(qtbot, panel, 300)
    panel.pause()
    settle(qtbot, panel)
    qtbot.waitUntil(lambda: panel.frames_drawn > 0 and panel._drawn is panel.latest)
    last = panel.latest
    assert last.step >= 300
    assert last.main.heat.shape == (64, 64) and last.main.arrows.shape[1] == 4
    assert last.main.segments is not None  # the z → G(z) lines are on by default
    assert not np.allclose(first.samples, last.samples)
    assert last.metrics.n_modes == 8
    assert last.metrics.kl < first.metrics.kl
    line = panel.metrics_line.full_text()
    assert f"step {last.step}" in line and "modes" in line and "KL" in line
    shown = panel.canvas.samples.getData()
    assert np.allclose(np.stack(shown, 1), last.samples)


def test_pause_stops_the_steps(qtbot: Any, panel: Any) -> None:
    panel.controls.family.setCurrentText("vae")
    panel.play()
    wait_step(qtbot, panel, 20)
    panel.pause()
    step = settle(qtbot, panel)
    qtbot.wait(600)
    assert panel.latest.step == step
    panel.play()
    wait_step(qtbot, panel, step + 5)


def test_one_step_advances_by_exactly_one(qtbot: Any, panel: Any) -> None:
    panel.controls.family.setCurrentText("diffusion")
    panel.step()
    wait_step(qtbot, panel, 1)
    panel.step()
    wait_step(qtbot, panel, 2)
    qtbot.wait(400)
    assert panel.latest.step == 2
    panel.play()
    wait_step(qtbot, panel, 10)
    panel.pause()
    step = settle(qtbot, panel)
    panel.step()
    wait_step(qtbot, panel, step + 1)
    qtbot.wait(400)
    assert panel.latest.step == step + 1


def run_steps(qtbot: Any, panel: Any, n: int) -> np.ndarray:
    for i in range(1, n + 1):
        panel.step()
        wait_step(qtbot, panel, i)
    return panel.latest.samples


def test_reset_with_the_same_seed_reproduces_the_same_samples(qtbot: Any, panel: Any) -> None:
    panel.controls.family.setCurrentText("gan")
    panel.controls.seed.setValue(7)
    a = run_steps(qtbot, panel, 5)
    panel.reset()
    assert panel.latest is None
    b = run_steps(qtbot, panel, 5)
    np.testing.assert_array_equal(a, b)
    panel.controls.seed.setValue(8)  # another seed: another model
    c = run_steps(qtbot, panel, 5)
    assert not np.allclose(a, c)


def test_drawing_points_makes_a_dataset_the_model_trains_on(qtbot: Any, panel: Any) -> None:
    from PySide6.QtCore import Qt

    panel.controls.dataset.setCurrentText("draw your own")
    assert panel.data is None
    assert panel.canvas.box.drawing
    panel.controls.brush.setValue(0.1)
    view = panel.canvas
    qtbot.wait(50)
    centre = view.viewport().rect().center()
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    qtbot.waitUntil(lambda: panel.data is not None)
    at = view.box.mapSceneToView(view.mapToScene(centre))
    pts = panel.data.points
    assert len(pts) > 0
    assert np.all(np.hypot(pts[:, 0] - at.x(), pts[:, 1] - at.y()) <= 0.1 + 1e-5)
    panel.paint(1.0, 1.0)
    assert len(panel.data.points) == 2 * len(pts)
    panel.step()
    wait_step(qtbot, panel, 1)
    panel.controls.clear_drawing.click()
    assert panel.data is None and panel.latest is None


def test_a_bad_csv_shows_one_line_and_a_good_one_becomes_the_data(
        qtbot: Any, panel: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\nthree,4\n5\n")
    assert not panel.import_csv(str(bad))
    text = panel.controls.error.full_text()
    assert "\n" not in text and "bad.csv" in text and "3, 4" in text
    assert panel.controls.error.isVisible()
    good = tmp_path / "mine.csv"
    good.write_text("x,y\n0.5,0.5\n-1,1\n2,-0.5\n")
    assert panel.import_csv(str(good))
    assert panel.controls.dataset.currentText() == "file: mine"
    assert len(panel.data.points) == 3
    assert not panel.controls.error.isVisible()


def test_closing_the_window_mid_training_leaves_no_thread(qtbot: Any, make_window: Any) -> None:
    window = make_window()
    window.toy_dock.show()
    window.toy_dock.raise_()
    window.toy_panel.play()
    wait_step(qtbot, window.toy_panel, 10)
    t0 = time.monotonic()
    window.close()
    assert time.monotonic() - t0 < 2.0
    assert "latentlab-toy" not in window.session.jobs.threads_running()


def test_an_arrow_is_its_shaft_and_two_head_strokes_ending_at_its_tip() -> None:
    from app.panels.toy_lab.canvas import arrow_segments

    seg = arrow_segments(np.array([[1.0, 2.0, 0.5, 0.0]]))
    assert seg.shape == (3, 4)
    np.testing.assert_allclose(seg[0], [1.0, 2.0, 1.5, 2.0])
    np.testing.assert_allclose(seg[1:, :2], [[1.5, 2.0], [1.5, 2.0]])
    assert np.all(seg[1:, 2] < 1.5)  # the head points back along the shaft
    assert seg[1, 3] != seg[2, 3]  # one stroke on each side
