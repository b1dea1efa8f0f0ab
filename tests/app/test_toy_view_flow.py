"""The flow's view: the exact log-density in data space, and beside it the base grid
carried through the first k couplings — base space z (data mapped to z = f⁻¹(x)) at
k = 0, data space at k = K — with the round trip x → z → x and the held-out likelihood
in the note."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

from app.panels.toy_lab.views import flow as view

pytestmark = pytest.mark.usefixtures("one_thread")


def tiny_flow(steps: int = 30, name: str = "8gaussians"):
    from models.toy.base import last_of
    from models.toy.data import toy_dataset
    from models.toy.families import build_toy

    model = build_toy("flow", toy_dataset(name, 500, seed=0), seed=0, hidden=16, batch=64)
    if steps:
        last_of(model.run(steps))
    return model


def builder(model, layer: float = 0.0):
    from app.panels.toy_lab.control import ToyControl
    from app.panels.toy_lab.snapshot import ViewBuilder

    control = ToyControl()
    control.options = {"flow_layer": layer}
    return ViewBuilder(model, control), control


def grid_segments(points: np.ndarray) -> np.ndarray:
    return view.polyline_segments(points.reshape(view.GRID.shape))


def test_the_layer_slider_reaches_every_coupling_of_the_default_flow() -> None:
    from models.toy.flow import ToyFlowConfig

    (option,) = view.OPTIONS
    assert option.kind == "slider" and option.step == 1 and option.decimals == 0
    assert option.minimum == 0 and option.maximum >= ToyFlowConfig().couplings
    assert view.layer_of({"flow_layer": 2.0}, 4) == 2
    assert view.layer_of({"flow_layer": option.maximum}, 6) == 6  # its end: all of them
    assert view.layer_of({"flow_layer": 3.0}, 2) == 2


def test_layer_0_shows_the_undeformed_base_grid_and_the_data_mapped_to_z() -> None:
    model = tiny_flow()
    v = builder(model, 0.0)[0].build(1.0, {})
    side = v.side
    assert side is not None and side.title.startswith("base space z")
    n = len(grid_segments(view.GRID))
    np.testing.assert_array_equal(side.segments[:n], grid_segments(view.GRID))
    # the green points are f⁻¹ of data points: the flow carries them back onto the data
    z = side.real
    back = model.layers_forward(z)[-1]
    nearest = np.abs(back[:, None, :] - model.data.points[None]).max(2).min(1)
    assert z.shape[0] >= 100 and nearest.max() < 1e-3
    np.testing.assert_allclose(z, model.to_latent(back), atol=1e-4)
    # the purple points are the base samples z ~ N(0, I) the main plot's samples come from
    np.testing.assert_allclose(model.layers_forward(side.samples)[-1],
                               v.main.samples[:len(side.samples)], atol=1e-5)
    assert len(side.ellipses) == 2  # N(0, I)'s 1σ and 2σ circles
    # the marked points: data points in the main plot, their z on the side
    np.testing.assert_allclose(model.to_latent(v.main.marks), side.marks, atol=1e-5)


def test_layer_k_is_the_base_grid_after_k_couplings_and_the_last_is_data_space() -> None:
    model = tiny_flow()
    build, control = builder(model, 2.0)
    middle = build.build(1.0, {}).side
    grid = view.GRID.reshape(-1, 2)
    n = len(grid_segments(view.GRID))
    np.testing.assert_allclose(middle.segments[:n],
                               grid_segments(model.layers_forward(grid)[2]), atol=1e-5)
    assert middle.title.startswith("after 2 of 4 couplings")
    control.options = {"flow_layer": view.LAYER_MAX}
    last = build.build(1.0, {})
    np.testing.assert_allclose(last.side.segments[:n],
                               grid_segments(model.layers_forward(grid)[-1]), atol=1e-5)
    assert last.side.title.startswith("after 4 of 4 couplings")
    np.testing.assert_allclose(last.side.samples, last.main.samples[:len(last.side.samples)],
                               atol=1e-6)
    nearest = np.abs(last.side.real[:, None, :] - model.data.points[None]).max(2).min(1)
    assert nearest.max() < 1e-6  # data space: the data themselves


def test_the_note_gives_a_tiny_round_trip_error_and_the_held_out_likelihood() -> None:
    untrained = builder(tiny_flow(0))[0].build(1.0, {})
    trained_model = tiny_flow(200)
    trained = builder(trained_model)[0].build(1.0, {})
    numbers = []
    for v in (untrained, trained):
        found = re.search(r"x→z→x error (\S+) · held-out log p (\S+) nats", v.note)
        assert found, v.note
        numbers.append((float(found[1]), float(found[2])))
    assert all(0 <= error < 1e-3 for error, _ in numbers)
    assert numbers[1][1] > numbers[0][1] + 0.3  # learning shows in held-out data
    fresh = trained_model.data.sampler(4000, np.random.default_rng(7)).astype(np.float32)
    assert abs(numbers[1][1] - trained_model.log_prob(fresh).mean()) < 0.25


def test_the_heat_is_the_exact_log_density_once_training_stops() -> None:
    from app.panels.toy_lab.views.common import grid_points

    model = tiny_flow()
    v = builder(model)[0].build(1.0, {})
    points = grid_points(model.data.extent, view.HEAT_BINS)
    exact = model.log_prob(points).reshape(view.HEAT_BINS, view.HEAT_BINS)
    np.testing.assert_allclose(v.main.heat, np.maximum(exact, view.LOGP_FLOOR), atol=1e-5)


def test_a_live_view_recomputes_a_quarter_of_the_heat_and_one_after_a_pause_the_rest(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from models.toy.base import last_of

    model = tiny_flow()
    build = builder(model)[0]
    build.build(1.0, {})
    original, counted = model.log_prob, []

    def log_prob(points: np.ndarray) -> np.ndarray:
        counted.append(len(points))
        return original(points)

    monkeypatch.setattr(model, "log_prob", log_prob)
    monkeypatch.setattr(view, "LIVE_GAP_S", 60.0)  # however slow this machine is
    cells = view.HEAT_BINS ** 2
    last_of(model.run(3))  # training on: views come while steps go by
    build.build(1.0, {})
    assert sum(n for n in counted if n != view.HELD_OUT) == cells // view.HEAT_PARTS
    counted.clear()
    v = build.build(1.0, {})  # paused (same weights): an option changed
    assert sum(n for n in counted if n != view.HELD_OUT) == cells - cells // view.HEAT_PARTS
    points = view._state(model).heat_points
    exact = original(points).reshape(view.HEAT_BINS, view.HEAT_BINS)
    np.testing.assert_allclose(v.main.heat, np.maximum(exact, view.LOGP_FLOOR), atol=1e-5)
    monkeypatch.setattr(view, "LIVE_GAP_S", 0.0)  # a single step, long after the last view
    last_of(model.run(1))
    counted.clear()
    build.build(1.0, {})
    assert sum(n for n in counted if n != view.HELD_OUT) == cells


@pytest.mark.parametrize("name", ["moons", "rings", "checkerboard"])
def test_the_flow_view_is_finite_on_other_data(name: str) -> None:
    v = builder(tiny_flow(10, name), 1.0)[0].build(1.0, {})
    for plane in (v.main, v.side):
        for array in (plane.samples, plane.marks, plane.segments, plane.real):
            assert array is None or np.isfinite(array).all()
    assert np.isfinite(v.main.heat).all() and len(v.side.real) > 0


def test_the_layer_slider_moves_the_flows_side_plot_from_z_to_data_space_while_paused(
        qtbot: Any, toy_panel: Any) -> None:
    panel = toy_panel
    panel.controls.family.setCurrentText("flow")
    slider = panel.controls.option("flow_layer")
    assert panel.controls.form.isRowVisible(slider)
    panel.step()
    qtbot.waitUntil(lambda: panel.latest is not None and panel.latest.step >= 1,
                    timeout=60_000)
    qtbot.waitUntil(lambda: panel.side.isVisible())
    assert panel.side_caption.full_text().startswith("base space z")
    slider.setValue(view.LAYER_MAX)  # paused: the view is rebuilt, training is not
    qtbot.waitUntil(lambda: panel.side_caption.full_text().startswith("after 4 of 4"),
                    timeout=30_000)
    assert panel.latest.step == 1
    panel.controls.family.setCurrentText("gan")
    assert not panel.controls.form.isRowVisible(slider)


def test_a_drawing_has_no_held_out_data_so_the_note_says_training_data() -> None:
    from models.toy.base import last_of
    from models.toy.data import from_points
    from models.toy.families import build_toy

    points = np.random.default_rng(0).normal(0.5, 0.3, (300, 2))
    model = build_toy("flow", from_points(points), seed=0, hidden=16, batch=64)
    last_of(model.run(5))
    v = builder(model)[0].build(1.0, {})
    assert "training data log p" in v.note and "held-out" not in v.note
    assert v.side.extent >= model.data.extent and v.main.extent == model.data.extent
