"""The Toy lab's speed rules: an animated reverse process is re-run over newer weights
only about once a cycle while training, and at once when training pauses; the GUI thread
waits less for the GIL while the toy lane trains."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pytest

from app.panels.toy_lab import jobs as toy_jobs
from app.panels.toy_lab.views import refresh


def wait_step(qtbot: Any, panel: Any, step: int) -> None:
    qtbot.waitUntil(lambda: panel.latest is not None and panel.latest.step >= step,
                    timeout=60_000)


def test_while_training_the_reverse_process_is_reused_and_a_pause_renews_it(
        qtbot: Any, toy_panel: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    panel = toy_panel
    monkeypatch.setattr(refresh, "EVERY_S", 600.0)  # never renewed while training
    panel.controls.family.setCurrentText("diffusion")
    panel.play()
    wait_step(qtbot, panel, 1)
    first = panel.latest
    wait_step(qtbot, panel, first.step + 5)
    training = panel.latest
    assert training.main.frames is first.main.frames  # the same run, still animating
    panel.pause()
    qtbot.waitUntil(lambda: panel._control.idle, timeout=60_000)
    qtbot.wait(300)  # the last snapshot's queued delivery to the GUI thread
    paused = panel.latest
    assert paused.step > first.step
    assert not np.allclose(paused.main.frames[-1], first.main.frames[-1])
    np.testing.assert_array_equal(paused.main.frames[0], first.main.frames[0])  # same noise


def test_the_gil_switches_faster_while_the_toy_lane_trains(
        qtbot: Any, toy_panel: Any) -> None:
    panel = toy_panel
    before = sys.getswitchinterval()
    assert before > toy_jobs.SWITCH_INTERVAL_S
    panel.controls.family.setCurrentText("gan")
    panel.play()
    wait_step(qtbot, panel, 3)
    assert sys.getswitchinterval() == pytest.approx(toy_jobs.SWITCH_INTERVAL_S)
    panel.reset()  # the run ends: the interpreter's own interval comes back
    qtbot.waitUntil(lambda: sys.getswitchinterval() == pytest.approx(before),
                    timeout=10_000)
