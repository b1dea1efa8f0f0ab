"""Replaying Pipeline dock runs: saved as a trajectory and loaded back as run A (previewed
by the open pipeline; bad files are one line), and Play stepping through the recorded
steps. Tiny SD built in the test, no network."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.panels.pipeline.record import LINEAR
from tests.app.test_pipeline_panel import RUN_S, messages, open_sd, run_to_end

pytest.importorskip("transformers")


@pytest.fixture
def panel(qtbot: Any, tmp_path: Path) -> Iterator[Any]:
    from app.panels.pipeline import PipelinePanel
    from tests.app.conftest import shown_panel

    widget, session = shown_panel(qtbot, tmp_path, PipelinePanel, (1100, 640))
    yield widget
    session.jobs.await_all(5.0)


def test_a_saved_run_loads_back_as_run_a_with_the_same_steps_and_previews(
        qtbot: Any, panel: Any, sd_folder: Path, tmp_path: Path) -> None:
    open_sd(qtbot, panel, sd_folder)
    panel.form.decoder.setCurrentIndex(panel.form.decoder.findData(LINEAR))
    assert not panel.form.save_button.isEnabled()
    saved = run_to_end(qtbot, panel, prompt="a cat", steps=4, seed=4)
    assert panel.form.save_button.isEnabled()
    path = panel.save_run(tmp_path / "run.npz")
    panel.load_run(path)
    qtbot.waitUntil(lambda: panel.run_a.status != "running", timeout=RUN_S)
    loaded = panel.run_a
    assert loaded is not saved and loaded.status == "done"
    assert sorted(loaded.steps) == sorted(saved.steps)
    for k in saved.steps:
        np.testing.assert_array_equal(loaded.steps[k].step.x_t, saved.steps[k].step.x_t)
        np.testing.assert_array_equal(loaded.steps[k].step.pixels.linear,
                                      saved.steps[k].step.pixels.linear)
    np.testing.assert_array_equal(loaded.finished.x0, saved.finished.x0)
    assert loaded.request["prompt"] == "a cat" and loaded.request["seed"] == 4
    panel.show_step(2)
    assert panel.views.a_image.image is not None
    # A loaded run branches like a run made here.
    panel.form.prompt.setText("a dog")
    assert panel.branch(1) is not None
    qtbot.waitUntil(lambda: panel.run_b.status != "running", timeout=RUN_S)
    assert panel.run_b.status == "done" and sorted(panel.run_b.steps) == [1, 2, 3]


def test_saving_before_a_run_ends_and_loading_a_bad_file_are_one_line(
        qtbot: Any, panel: Any, sd_folder: Path, tmp_path: Path) -> None:
    open_sd(qtbot, panel, sd_folder)
    with pytest.raises(ValueError, match="run to the end first"):
        panel.save_run(tmp_path / "nothing.npz")
    seen = messages(panel)
    bad = tmp_path / "bad.npz"
    bad.write_text("not a trajectory")
    panel.load_run(bad)
    qtbot.waitUntil(lambda: panel.run_a.status != "running", timeout=RUN_S)
    assert panel.run_a.status == "failed"
    assert len(seen) == 1 and "bad.npz" in seen[0][1] and "\n" not in seen[0][1]


def test_play_steps_through_the_recorded_steps_to_the_last(
        qtbot: Any, panel: Any, sd_folder: Path) -> None:
    open_sd(qtbot, panel, sd_folder)
    run = run_to_end(qtbot, panel, steps=4)
    panel.show_step(0)
    shown: list[int] = []
    panel.views.slider.valueChanged.connect(shown.append)
    panel.views.play.setChecked(True)
    assert panel.views.play.text() == "Pause"
    qtbot.waitUntil(lambda: not panel.views.play.isChecked(), timeout=RUN_S)
    assert shown == [1, 2, 3] and panel.views.slider.value() == max(run.steps)
    assert panel.views.step_label.text().startswith("4 of 4")
    panel.views.play.setChecked(True)  # at the end: plays again from the first step
    assert panel.views.slider.value() == 0
    panel.views.play.setChecked(False)


def test_a_loaded_run_keeps_its_guidance_attention_and_branch(
        qtbot: Any, panel: Any, sd_folder: Path, tmp_path: Path) -> None:
    from app.panels.pipeline.step_views import ATTENTION_TAB, GUIDANCE_TAB

    open_sd(qtbot, panel, sd_folder)
    panel.form.decoder.setCurrentIndex(panel.form.decoder.findData(LINEAR))
    saved = run_to_end(qtbot, panel, prompt="a red cat", steps=4, seed=5)
    panel.form.prompt.setText("a dog")
    panel.branch(2)
    qtbot.waitUntil(lambda: panel.run_b.status != "running", timeout=RUN_S)
    saved_b = panel.run_b
    panel.load_run(panel.save_run(tmp_path / "whole.npz"))
    qtbot.waitUntil(lambda: panel.run_a is not saved and panel.run_a.status != "running"
                    and panel.run_b is not None and panel.run_b.status != "running",
                    timeout=RUN_S)
    a, b = panel.run_a, panel.run_b
    assert b.parent is a and b.branch_index == 2 and sorted(b.steps) == [2, 3]
    assert b.request["prompt"] == "a dog" and b.status == "done"
    np.testing.assert_array_equal(b.finished.x0, saved_b.finished.x0)
    for k in saved.steps:
        for part in ("uncond", "cond"):
            image, _ = a.image(k, LINEAR, part)
            want, _ = saved.image(k, LINEAR, part)
            # float16 latents through the same linear map: within a grey level or two.
            assert np.abs(image.astype(int) - want.astype(int)).max() <= 3
        np.testing.assert_allclose(a.steps[k].attention[0],
                                   saved.steps[k].attention[0, :a.steps[k].attention.shape[1]],
                                   atol=1e-3)
    assert panel.views.b_image.isVisibleTo(panel)
    panel.show_step(3)
    assert panel.views.b_image.image is not None
    panel.views.tabs.setCurrentIndex(GUIDANCE_TAB)
    assert all(p.image is not None for p in panel.views.guidance_panes.values())
    panel.views.tabs.setCurrentIndex(ATTENTION_TAB)
    assert panel.views.token.count() >= 3  # a, red, cat
    assert panel.views.attention_pane.image is not None


def test_a_trajectory_saved_before_the_parts_were_kept_still_loads(
        qtbot: Any, panel: Any, sd_folder: Path, tmp_path: Path) -> None:
    from models.diffusion.trajectory_io import Trajectory

    open_sd(qtbot, panel, sd_folder)
    saved = run_to_end(qtbot, panel, prompt="a cat", steps=3, seed=1)
    steps = [saved.steps[k].step for k in sorted(saved.steps)]
    old = Trajectory.from_events([*steps, saved.finished], saved.started.meta)
    panel.load_run(old.save(tmp_path / "old.npz"))
    qtbot.waitUntil(lambda: panel.run_a is not saved and panel.run_a.status != "running",
                    timeout=RUN_S)
    a = panel.run_a
    assert a.status == "done" and panel.run_b is None and sorted(a.steps) == [0, 1, 2]
    assert all(s.uncond is None and s.attention is None for s in a.steps.values())
    np.testing.assert_array_equal(a.finished.x0, saved.finished.x0)
