"""The W space dock on a tiny StyleGAN: the Z and W paths start and end at the sources,
PPL comes from models.stylegan.ppl, a projection stops on request and the dock stays
usable, directions edit the source; the latent map's W/Z switch moves its points."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PySide6.QtCore import Qt

from models.config import DataConfig
from models.opened import OpenedModel, opened_from_training
from models.stylegan import wspace
from models.stylegan.config import StyleGANConfig
from models.stylegan.model import StyleGAN
from tests.app.conftest import shown_panel

WAIT_MS = 60_000


def tiny_stylegan(dataset: str = "mnist5k") -> OpenedModel:
    """Return a tiny, untrained StyleGAN for 28 px digits of `dataset`, opened as the
    window opens one."""
    torch.manual_seed(0)
    config = StyleGANConfig(image_size=28, channels=1, z_dim=8, w_dim=8,
                            g_channels=(16, 8, 8, 8), d_channels=(8, 8, 8))
    data = DataConfig(dataset=dataset, image_size=28)
    return opened_from_training(StyleGAN(config), epoch=1, data=data, train=None,
                                class_names=tuple("0123456789"), checkpoint=None,
                                run_dir=None)


def seed_image(model: OpenedModel, seed: int) -> np.ndarray:
    """Return the uint8 H×W×C image of source `seed`: its z mapped and synthesised."""
    net = model.inference_copy()
    w = wspace.mapping(net, wspace.sample_z(net, 1, seed))
    x = wspace.synthesize(net, wspace.broadcast(w, wspace.num_ws(net)))
    return (x[0].clamp(0, 1) * 255).round().byte().numpy().transpose(1, 2, 0)


@pytest.fixture
def panel(qtbot: Any, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A shown WSpacePanel showing a tiny StyleGAN of mnist5k (or of the dataset the test's
    indirect parameter names); every thread joins at teardown."""
    from app.panels.wspace import WSpacePanel

    torch.set_num_threads(1)
    widget, session = shown_panel(qtbot, tmp_path, WSpacePanel, (1100, 650))
    model = tiny_stylegan(getattr(request, "param", "mnist5k"))
    session.models.adopt(model, same_run=False)
    qtbot.waitUntil(lambda: widget.interp.paths is not None, timeout=WAIT_MS)
    yield widget
    widget.close()
    assert session.jobs.await_all(2.0) and session.shutdown(5.0)
    assert not session.jobs.threads_running()


def test_both_filmstrips_start_and_end_at_the_sources(qtbot: Any, panel: Any) -> None:
    panel.source_a.seed.setValue(5)
    panel.source_b.seed.setValue(11)
    qtbot.waitUntil(lambda: panel.interp.paths is not None and panel.sources()[0].seed == 5,
                    timeout=WAIT_MS)
    panel.steps.setValue(7)
    qtbot.waitUntil(lambda: len(panel.interp.paths.w_frames) == 7, timeout=WAIT_MS)
    paths = panel.interp.paths
    a, b = seed_image(panel.model, 5), seed_image(panel.model, 11)
    assert not np.array_equal(a, b)
    for frames in (paths.z_frames, paths.w_frames):
        assert frames.shape == (7, 28, 28, 1)
        # Ends equal the sources (slerp's ends are exact up to float rounding).
        assert np.abs(frames[0].astype(int) - a).max() <= 1
        assert np.abs(frames[-1].astype(int) - b).max() <= 1
    # The two paths differ between their ends: Z slerps then maps, W lerps the w's.
    assert not np.array_equal(paths.z_frames[1:-1], paths.w_frames[1:-1])
    assert panel.interp.z_strip.count == panel.interp.w_strip.count == 7
    panel.interp.slider.setValue(6)
    assert panel.interp.z_strip.current == panel.interp.w_strip.current == 6


def test_ppl_of_z_and_w_are_finite_and_those_of_the_ppl_module(qtbot: Any,
                                                               panel: Any) -> None:
    from models.stylegan import ppl

    tab = panel.interp
    tab.pairs.setValue(16)  # one chunk: the same draws as perceptual_path_length(seed=0)
    tab.measure_button.click()
    assert tab.measuring and not tab.measure_button.isEnabled()
    qtbot.waitUntil(lambda: tab.result is not None and not tab.measuring, timeout=WAIT_MS)
    net = panel.model.inference_copy()
    features = ppl.digit_features("mnist5k")
    for space, got in (("z", tab.result.z), ("w", tab.result.w)):
        want = ppl.perceptual_path_length(net, space, features, pairs=16, seed=0)
        assert np.isfinite(got.mean) and got.mean > 0 and got.pairs == 16
        assert got.mean == pytest.approx(want.mean, rel=1e-6)
        assert got.features == ppl.FEATURES_NOTE
    assert "digit classifier" in tab.ppl_label.text() or "digit classifier" in \
        " ".join(label.text() for label in tab.findChildren(type(tab.ppl_label)))
    assert tab.progress.value() == tab.progress.maximum() == 32


def test_a_projection_can_be_stopped_and_the_dock_stays_usable(qtbot: Any,
                                                                panel: Any) -> None:
    tab = panel.projection
    qtbot.waitUntil(lambda: tab.digits is not None, timeout=WAIT_MS)
    assert sorted(set(tab.digits.labels.tolist())) == list(range(10))
    tab.choose(3)
    tab.steps.setValue(5000)
    tab.run_button.click()
    qtbot.waitUntil(lambda: tab.progress.value() >= 2, timeout=WAIT_MS)
    tab.stop_button.click()
    assert not tab.running and tab.run_button.isEnabled() and tab.projected is None
    qtbot.waitUntil(lambda: not panel.session.jobs.busy("wspace-long"), timeout=WAIT_MS)
    # Still usable: a new seed redraws the paths, and a short projection completes.
    old = panel.interp.paths
    panel.source_b.seed.setValue(42)
    qtbot.waitUntil(lambda: panel.interp.paths is not old, timeout=WAIT_MS)
    tab.steps.setValue(20)
    tab.run_button.click()
    qtbot.waitUntil(lambda: tab.projected is not None and not tab.running, timeout=WAIT_MS)
    assert tab.projected.w.shape == (8,) and np.isfinite(tab.projected.w).all()
    # The w found became source A: the W path starts at it, the Z path is not drawn.
    assert panel.sources()[0] is tab.projected
    qtbot.waitUntil(lambda: panel.interp.paths.z_frames is None, timeout=WAIT_MS)
    net = panel.model.inference_copy()
    ws = wspace.broadcast(torch.from_numpy(tab.projected.w)[None], wspace.num_ws(net))
    start = (wspace.synthesize(net, ws)[0] * 255).round().byte().numpy().transpose(1, 2, 0)
    assert np.abs(panel.interp.paths.w_frames[0].astype(int) - start).max() <= 1
    assert panel.interp.z_strip.count == 0


def test_a_direction_edits_the_source_in_its_layers_only(qtbot: Any, panel: Any) -> None:
    from models.stylegan.directions import apply_directions

    tab = panel.directions
    qtbot.waitUntil(lambda: tab.directions is not None and tab.images.count == 2,
                    timeout=WAIT_MS)
    ratios = tab.directions.explained_variance_ratio.numpy()
    assert len(tab.rows) == 8 and np.all(np.diff(ratios) <= 1e-6)
    assert tab.rows[0].name.text() == f"PC1 ({ratios[0]:.1%})"
    shown: list[np.ndarray] = []
    tab.show_images = lambda images, name: shown.append(images)  # type: ignore[method-assign]
    tab.rows[0].slider.setValue(30)  # +3σ in every layer
    qtbot.waitUntil(lambda: len(shown) == 1, timeout=WAIT_MS)
    original, everywhere = shown[-1]
    assert np.array_equal(original, seed_image(panel.model, 1))
    assert not np.array_equal(original, everywhere)
    box = tab.rows[0].layers
    box.setCurrentIndex(box.findText("fine", Qt.MatchFlag.MatchStartsWith))
    qtbot.waitUntil(lambda: len(shown) == 2, timeout=WAIT_MS)
    net = panel.model.inference_copy()
    fine = list(wspace.layer_ranges(net)["fine"])
    assert tab.rows[0].layer_indices() == fine
    ws = wspace.broadcast(wspace.mapping(net, wspace.sample_z(net, 1, 1)), wspace.num_ws(net))
    want = wspace.synthesize(net, apply_directions(ws, tab.directions, [3.0], fine))
    want_u8 = (want[0] * 255).round().byte().numpy().transpose(1, 2, 0)
    assert np.abs(shown[-1][1].astype(int) - want_u8).max() <= 1
    assert not np.array_equal(shown[-1][1], everywhere)
    tab.reset_amounts()
    qtbot.waitUntil(lambda: len(shown) == 3, timeout=WAIT_MS)
    assert np.array_equal(shown[-1][0], shown[-1][1])
    # The sweep: PC1 alone in the fine layers from −3σ to +3σ, its middle the source.
    qtbot.waitUntil(lambda: tab.sweep_images is not None and "fine" in tab.sweep.title,
                    timeout=WAIT_MS)
    sweep = tab.sweep_images
    assert len(sweep) == 7 and np.array_equal(sweep[3], shown[-1][0])
    assert np.abs(sweep[-1].astype(int) - want_u8).max() <= 1  # +3σ, as edited above


@pytest.mark.parametrize("panel", ["digits"], indirect=True)  # no classifier ships for it
def test_without_a_fitting_classifier_paths_draw_and_ppl_says_why(qtbot: Any,
                                                                  panel: Any) -> None:
    paths = panel.interp.paths
    assert paths.w_frames.shape == (9, 28, 28, 1) and paths.w_steps is None
    assert "no digit classifier fits" in panel.interp.w_strip.title
    panel.interp.measure_button.click()
    qtbot.waitUntil(lambda: not panel.interp.measuring, timeout=WAIT_MS)
    assert "no bundled digit classifier fits" in panel.status.text()
    assert panel.interp.result is None and panel.interp.measure_button.isEnabled()
    # The projection runs on the pixel error alone.
    tab = panel.projection
    qtbot.waitUntil(lambda: tab.digits is not None, timeout=WAIT_MS)
    tab.steps.setValue(10)
    tab.run_button.click()
    qtbot.waitUntil(lambda: tab.projected is not None, timeout=WAIT_MS)
    assert tab.history.count >= 1


def test_the_latent_maps_w_z_switch_moves_the_points_to_their_w(
        qtbot: Any, latent_map_panel: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.panels.latent_map.space import W_SPACE, Z_SPACE, WProjection
    from app.session.latent_types import compute_projection
    from models.latent.style_space import mapped_latents

    monkeypatch.setattr("models.latent.map_compute.GENERATED_SAMPLES", 600)  # test speed
    panel = latent_map_panel
    model = tiny_stylegan()
    panel.session.models.adopt(model, same_run=False)
    qtbot.waitUntil(lambda: panel.data is not None and panel.projection is not None,
                    timeout=WAIT_MS)
    assert panel.space_box.isVisible() and panel.space == Z_SPACE
    z_result = panel.projection
    panel.choose_space(W_SPACE)
    qtbot.waitUntil(lambda: isinstance(panel.projection, WProjection), timeout=WAIT_MS)
    w_result = panel.projection
    assert w_result.method == z_result.method and not w_result.invertible
    assert not np.allclose(w_result.positions, z_result.positions)
    # The positions are the chosen projection of the samples' w = mapping(z).
    w = mapped_latents(model.inference_copy(), panel.data.means)
    want = compute_projection(0, w_result.method, w, None, panel.data.labels)
    np.testing.assert_allclose(w_result.positions, want.positions, rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(panel.scatter.positions, w_result.positions)
    assert "in W" in panel.status.text() and not panel.grid_check.isEnabled()
    # A click picks a sample and hands on its z.
    x, y = w_result.positions[7]
    anchor = panel.click_at(float(x), float(y))
    assert anchor is not None and np.array_equal(anchor.latent, panel.data.means[anchor.index])
    panel.choose_space(Z_SPACE)
    assert panel.projection is z_result and panel.space == Z_SPACE


def test_the_dock_fits_1280x720_normal_and_presenting(make_window: Any, qtbot: Any,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtCore import QSize

    from app.window import screen_fit
    from tests.app.test_fits_the_room import _problems

    size = QSize(1280, 720)
    monkeypatch.setattr(screen_fit, "screen_limit", lambda _window: QSize(size))
    window = make_window()
    window.session.models.adopt(tiny_stylegan(), same_run=False)
    panel, dock = window.wspace_dock.widget(), window.wspace_dock
    found: list[str] = []
    for mode in ("normal", "presentation"):
        if mode == "presentation":
            window.toggle_presentation()
            window.showNormal()  # full screen would be the offscreen screen's size
        window.resize(size)
        dock.show()
        dock.raise_()
        qtbot.waitUntil(lambda: panel.interp.paths is not None
                        and panel.directions.images.count == 2
                        and panel.projection.digits is not None, timeout=WAIT_MS)
        panel.interp.pairs.setValue(16)
        panel.interp.measure_button.click()
        qtbot.waitUntil(lambda: panel.interp.result is not None, timeout=WAIT_MS)
        for index in range(panel.tabs.count()):
            panel.tabs.setCurrentIndex(index)
            qtbot.wait(50)
            found += _problems(window, dock, f"{mode} {panel.tabs.tabText(index)}")
    window.toggle_presentation()
    for lane in ("wspace", "wspace-long", "latent-jobs"):
        window.session.jobs.cancel(lane)
    qtbot.waitUntil(lambda: not any(window.session.jobs.jobs(lane)
                                    for lane in ("wspace", "wspace-long")), timeout=WAIT_MS)
    assert not found, "\n".join(found)
