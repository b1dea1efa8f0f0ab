"""Comparing Pipeline dock runs: a run kept as B beside a new run A scrubbed together (by
fraction when their step counts differ, with a line naming what differs), and the
filmstrip of run A's x̂0 that jumps to a step on a click. Tiny SD built in the test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from app.panels.pipeline.record import LINEAR
from tests.app.test_pipeline_panel import messages, open_sd, run_to_end

pytest.importorskip("transformers")


@pytest.fixture
def panel(qtbot: Any, tmp_path: Path, sd_folder: Path) -> Iterator[Any]:
    from app.panels.pipeline import PipelinePanel
    from tests.app.conftest import shown_panel

    widget, session = shown_panel(qtbot, tmp_path, PipelinePanel, (1100, 640))
    open_sd(qtbot, widget, sd_folder)
    widget.form.decoder.setCurrentIndex(widget.form.decoder.findData(LINEAR))
    yield widget
    session.jobs.await_all(5.0)


def test_a_run_kept_as_b_is_scrubbed_beside_a_new_run_by_fraction(
        qtbot: Any, panel: Any) -> None:
    assert not panel.form.keep_button.isEnabled()
    b = run_to_end(qtbot, panel, prompt="a cat", seed=3, steps=3, sampler="ddim")
    assert panel.form.keep_button.isEnabled()
    panel.keep_as_b()
    assert panel.run_b is b and panel.views.b_image.isVisibleTo(panel)
    assert not panel.form.keep_button.isEnabled()  # A is B until the next run
    a = run_to_end(qtbot, panel, prompt="a dog", seed=8, steps=5, sampler="dpm-solver++")
    assert panel.run_a is a and panel.run_b is b and a is not b
    assert panel.views.slider.maximum() == 4  # A's steps; B follows by fraction
    line = panel.views.compare_label.full_text()
    assert line.startswith("B differs in:")
    for said in ("prompt “a cat” (A: “a dog”)", "seed 3 (A: 8)", "steps 3 (A: 5)",
                 "sampler DDIMScheduler"):
        assert said in line
    assert "guidance" not in line
    expected = {0: 0, 2: 1, 4: 2}  # A's step k of 5 beside B's at the same fraction of 3
    for k, kb in expected.items():
        panel.show_step(k)
        assert panel.views.b_image.title.startswith(f"Run B · x̂0 (step {kb + 1} of 3)")
        np.testing.assert_array_equal(panel.views.b_image.image, b.image(kb, LINEAR)[0])
        np.testing.assert_array_equal(panel.views.a_image.image, a.image(k, LINEAR)[0])
    # A branch replaces the kept run; the next Run drops the branch.
    panel.branch(2, prompt="a hat")
    qtbot.waitUntil(lambda: panel.run_b.status != "running", timeout=60_000)
    assert panel.run_b.parent is a
    assert panel.views.compare_label.full_text().startswith("Branch from step 3 differs in:")


def test_keep_as_b_before_any_run_is_one_line(panel: Any) -> None:
    seen = messages(panel)
    panel.keep_as_b()
    assert panel.run_b is None and len(seen) == 1 and "Run to the end first" in seen[0][1]


def test_clicking_a_filmstrip_frame_shows_its_step(qtbot: Any, panel: Any) -> None:
    run = run_to_end(qtbot, panel, steps=5)
    strip = panel.views.strip
    assert strip.steps == [0, 1, 2, 3, 4] and sorted(strip.frames) == [0, 1, 2, 3, 4]
    assert strip.outlined() == 4  # follows the last step while streaming
    frame = strip.frames[1]
    want = run.image(1, LINEAR)[0]
    assert (frame.width(), frame.height()) == (want.shape[1], want.shape[0])
    qtbot.mouseClick(strip, Qt.MouseButton.LeftButton, pos=strip.frame_rect(1).center())
    assert panel.views.slider.value() == 1 and strip.outlined() == 1
    np.testing.assert_array_equal(panel.views.a_image.image, want)
    qtbot.mouseClick(strip, Qt.MouseButton.LeftButton, pos=QPoint(1, strip.height() - 1))
    assert panel.views.slider.value() == 1  # between frames: nothing happens
