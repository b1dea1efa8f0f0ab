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


def test_the_heat_is_drawn_from_rgba_with_the_map_colours_and_gaps_transparent(
        qtbot: Any) -> None:
    from PySide6.QtGui import QImage

    from app.panels.toy_lab.canvas import DIVERGING, SEQUENTIAL, ToyCanvas

    canvas = ToyCanvas()
    qtbot.addWidget(canvas)
    heat = np.linspace(-2.0, 1.0, 64 * 64, dtype=np.float32).reshape(64, 64)
    heat[5, 7] = np.nan
    canvas.show_heat(heat, diverging=True)  # centred on 0: −2 … 2
    rgba = canvas.heat.image
    assert rgba.dtype == np.uint8 and rgba.shape == (64, 64, 4)
    low = DIVERGING.map(0.0, mode="byte")[:3]
    assert np.abs(rgba[0, 0, :3].astype(int) - low).max() <= 2  # −2: the purple end
    mid = DIVERGING.map(0.5, mode="byte")[:3]  # 0 sits in the middle: white
    zero = np.unravel_index(np.nanargmin(np.abs(heat)), heat.shape)
    assert np.abs(rgba[zero][:3].astype(int) - mid).max() <= 6
    assert rgba[5, 7, 3] == 0 and rgba[0, 0, 3] == 255
    canvas.heat.render()
    # an indexed image was converted by Qt at every paint: 15× slower
    assert canvas.heat.qimage.format() != QImage.Format.Format_Indexed8
    canvas.show_heat(np.ones((64, 64), np.float32), diverging=False)  # flat: no division
    top = SEQUENTIAL.map(0.0, mode="byte")[:3]
    assert np.abs(canvas.heat.image[0, 0, :3].astype(int) - top).max() <= 2


def test_a_held_animation_frame_is_not_set_again(qtbot: Any,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from app.panels.toy_lab.canvas import ToyCanvas
    from app.panels.toy_lab.plane import Plane

    canvas = ToyCanvas()
    qtbot.addWidget(canvas)
    frames = np.random.default_rng(0).normal(size=(5, 30, 2)).astype(np.float32)
    sets: list[int] = []
    original = canvas.samples.setData
    monkeypatch.setattr(canvas.samples, "setData",
                        lambda *a, **k: (sets.append(1), original(*a, **k)))
    canvas.show_plane(Plane(frames=frames, samples=frames[-1]))
    for index in (0, 1, 4, 4, 4, 4):  # the panel rests on the last frame for a while
        canvas.show_particles(frames, index)
    assert len(sets) == 3
    np.testing.assert_array_equal(np.stack(canvas.samples.getData(), 1), frames[4])
    newer = frames.copy()
    canvas.show_plane(Plane(frames=newer, samples=newer[-1]))  # a new snapshot
    canvas.show_particles(newer, 4)
    assert len(sets) == 4
    canvas.show_samples(frames[0])  # something else drawn there: the frame comes back
    canvas.show_particles(newer, 4)
    np.testing.assert_array_equal(np.stack(canvas.samples.getData(), 1), frames[4])


@pytest.mark.parametrize(("tick_s", "drawn"), [(0.016, 16), (0.020, 30), (0.040, 30)])
def test_particles_move_at_least_30_times_a_second_and_no_more_than_needed(
        qtbot: Any, monkeypatch: pytest.MonkeyPatch, tick_s: float, drawn: int) -> None:
    from app.panels.toy_lab import canvas as canvas_module
    from app.panels.toy_lab.plane import Plane

    clock = [100.0]
    monkeypatch.setattr(canvas_module.time, "perf_counter", lambda: clock[0])
    canvas = canvas_module.ToyCanvas()
    qtbot.addWidget(canvas)
    frames = np.zeros((60, 10, 2), np.float32)
    canvas.show_plane(Plane(frames=frames, samples=frames[-1]))
    shown: list[float] = []
    original = canvas.samples.setData
    monkeypatch.setattr(canvas.samples, "setData",
                        lambda *a, **k: (shown.append(clock[0]), original(*a, **k)))
    for index in range(30):  # the panel's ticks
        canvas.show_particles(frames, index)
        clock[0] += tick_s
    assert len(shown) == drawn  # slow ticks: every one drawn
    # no frame skipped that would leave the plot still for over a 30th of a second
    assert np.diff(shown).max() <= max(1 / 30, tick_s) + 1e-9


def test_points_are_painted_in_their_colour_where_they_are(qtbot: Any) -> None:
    from app.panels.toy_lab.canvas import ToyCanvas

    canvas = ToyCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(300, 300)
    canvas.show()
    canvas.show_samples(np.array([[1.5, 1.5]], np.float32))
    x, y = canvas.samples.getData()
    assert x.tolist() == [1.5] and y.tolist() == [1.5]
    rect = canvas.samples.boundingRect()
    assert rect.contains(1.5, 1.5) and rect.width() > 0  # padded by the pen's width

    def purple_at() -> list[tuple[int, int]]:
        image = canvas.grab().toImage()
        def purple(r: int, g: int, b: int) -> bool:  # FAKE, a little see-through
            return b - g > 40 and r - g > 20

        return [(i, j) for i in range(0, image.width()) for j in range(0, image.height())
                if purple(*image.pixelColor(i, j).getRgb()[:3])]

    qtbot.waitUntil(lambda: bool(purple_at()), timeout=5_000)
    spots = purple_at()
    centre = canvas.box.mapViewToScene(pg_point(1.5, 1.5))
    corner = canvas.mapFromScene(centre)
    assert all(abs(i - corner.x()) <= 4 and abs(j - corner.y()) <= 4 for i, j in spots)
    canvas.samples.clear()
    assert canvas.samples.getData()[0].size == 0 and canvas.samples.boundingRect().isNull()


def pg_point(x: float, y: float) -> Any:
    from PySide6.QtCore import QPointF

    return QPointF(x, y)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread niceness")
def test_the_toy_lane_runs_nicer_than_the_gui_once() -> None:
    import os
    import threading

    from app.panels.toy_lab.jobs import LANE_NICENESS, lower_lane_priority

    seen: list[int] = []

    def lane() -> None:
        tid = threading.get_native_id()
        lower_lane_priority()
        seen.append(os.getpriority(os.PRIO_PROCESS, tid))
        lower_lane_priority()  # the next run on the same lane: no nicer again
        seen.append(os.getpriority(os.PRIO_PROCESS, tid))

    thread = threading.Thread(target=lane)
    thread.start()
    thread.join()
    process = os.getpriority(os.PRIO_PROCESS, os.getpid())
    assert seen == [min(process + LANE_NICENESS, 19)] * 2  # 19: the nicest there is
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == process  # ours
