"""The Interpolation panel: live frames, strip, sliders, arithmetic, exports, state, models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image

from models.autoencoders.config import CVAEConfig, VAEConfig
from models.checkpoint import load_checkpoint, save_checkpoint
from models.config import DataConfig
from models.latent.conditioning import decode_class_mix
from models.latent.decode import decode_latents
from models.latent.interpolation import class_weights, frame_alphas
from models.latent.paths import arithmetic, lerp, slerp
from models.registry import build_model

DIGITS = tuple(str(i) for i in range(10))


def _save(folder: Path, family: str, config: Any) -> Path:
    torch.manual_seed(0)
    return save_checkpoint(folder, build_model(family, config),
                           data=DataConfig(dataset="mnist5k"), class_names=DIGITS,
                           progress={"epoch": 1})


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from models.diffusion.config import DDPMConfig
    from models.gans.config import CGANConfig, GANConfig

    root = tmp_path_factory.mktemp("interp-ck")
    return {
        "vae2": _save(root / "vae2", "vae", VAEConfig(latent_dim=2, hidden_dims=(32,))),
        "vae4": _save(root / "vae4", "vae", VAEConfig(latent_dim=4, hidden_dims=(32,))),
        "cvae": _save(root / "cvae", "cvae", CVAEConfig(latent_dim=2, hidden_dims=(32,))),
        "gan": _save(root / "gan", "gan", GANConfig(latent_dim=8, hidden_dims=(16,))),
        "gan64": _save(root / "gan64", "gan", GANConfig(latent_dim=64, hidden_dims=(16,))),
        "cgan": _save(root / "cgan", "cgan", CGANConfig(latent_dim=8, g_width=8, d_width=8)),
        "ddpm": _save(root / "ddpm", "ddpm", DDPMConfig(image_size=8, preset="custom",
                                                        block_channels=(4, 8), norm_groups=4)),
    }


@pytest.fixture
def panel(interpolation_panel: Any) -> Any:
    """The shown InterpolationPanel of tests/app/conftest.py."""
    return interpolation_panel


def _show(panel: Any, path: Path) -> None:
    """Open the checkpoint at `path` for the session, as the window does: every panel
    shows it."""
    from models.opened import open_model

    panel.session.models.adopt(open_model(path), same_run=False)


def _open(qtbot: Any, panel: Any, path: Path) -> None:
    _show(panel, path)
    qtbot.waitUntil(lambda: panel.data is not None and panel.strip_images is not None,
                    timeout=60_000)


def _wait_live(qtbot: Any, panel: Any, request_id: int) -> np.ndarray:
    assert request_id > 0
    qtbot.waitUntil(lambda: panel.frame.painted_tag == request_id, timeout=10_000)
    return panel.frame.image


def _model(path: Path) -> Any:
    return load_checkpoint(path).model.eval()


def test_the_frame_at_alpha_is_the_decoded_path_point(qtbot, panel, checkpoints) -> None:
    _open(qtbot, panel, checkpoints["vae2"])
    a, b = panel.latents["A"], panel.latents["B"]
    # The default anchors of a digit dataset: a 1 and a 7.
    assert panel.labels["A"] == 1 and panel.labels["B"] == 7
    model = _model(checkpoints["vae2"])
    for method, path in (("linear", lerp), ("slerp", slerp)):
        panel.path.method.setCurrentIndex(panel.path.method.findData(method))
        panel.path.set_alpha(0.3)
        image = _wait_live(qtbot, panel, panel.live_request)
        np.testing.assert_array_equal(image, decode_latents(model, path(a, b, 0.3)[None])[0])
    # The strip holds the decodes at its α, and outlines the frame nearest the slider.
    alphas = frame_alphas(panel.path.frames.value())
    qtbot.waitUntil(lambda: panel.strip_images is not None and len(panel.strip_images) ==
                    len(alphas))
    np.testing.assert_array_equal(panel.strip_images,
                                  decode_latents(model, slerp(a, b, alphas)))
    assert panel.strip.current == int(np.argmin(np.abs(alphas - 0.3)))


def test_extrapolation_reaches_beyond_the_anchors(qtbot, panel, checkpoints) -> None:
    _open(qtbot, panel, checkpoints["vae2"])
    panel.path.extrapolate.setChecked(True)
    panel.path.alpha.setValue(panel.path.alpha.maximum())
    assert panel.alpha() == pytest.approx(1.5)
    a, b = panel.latents["A"], panel.latents["B"]
    np.testing.assert_allclose(panel.live_latent(), a + 1.5 * (b - a), rtol=1e-5, atol=1e-6)
    assert list(panel.strip.alphas[[0, -1]]) == [-0.5, 1.5]


def test_a_burst_of_slider_moves_paints_only_the_last(qtbot, panel, checkpoints) -> None:
    _open(qtbot, panel, checkpoints["vae2"])
    painted: list[int] = []
    delivered: list[int] = []
    panel.livePainted.connect(painted.append)
    panel.session.latent.decodedRequest.connect(
        lambda rid, ch, _im: delivered.append(rid) if ch == "interp" else None)
    ids = []
    for k in range(60):  # faster than any decode: the event loop never runs in between
        panel.path.alpha.setValue(100 + 13 * k)
        ids.append(panel.live_request)
    assert len(set(ids)) == 60
    image = _wait_live(qtbot, panel, ids[-1])
    qtbot.wait(200)  # any late stale result would arrive meanwhile
    assert delivered == [ids[-1]] and painted == [ids[-1]]
    a, b = panel.latents["A"], panel.latents["B"]
    alpha = panel.alpha()
    np.testing.assert_array_equal(image, decode_latents(_model(checkpoints["vae2"]),
                                                        lerp(a, b, alpha)[None])[0])


def test_a_dimension_slider_changes_only_its_dimension(qtbot, panel, checkpoints) -> None:
    _open(qtbot, panel, checkpoints["vae4"])
    dims = panel.dims
    assert len(dims.sliders) == 4 and list(dims.sliders) == list(dims.order)
    before = dims.latent.copy()
    dims.sliders[2].setValue(30)  # a user drag lands here
    after = panel.live_latent()
    changed = np.flatnonzero(after != before)
    assert list(changed) == [2]
    assert after[2] == pytest.approx(panel._center[2] - 3 * panel._std[2] * (1 - 30 / 120))
    image = _wait_live(qtbot, panel, panel.live_request)
    np.testing.assert_array_equal(image, decode_latents(_model(checkpoints["vae4"]),
                                                        after[None])[0])
    dims.search.setText("3")
    assert list(dims.sliders) == [3]
    # "Start from the frame shown": the sliders take the path's latent at α.
    panel.path.set_alpha(0.25)
    panel.dims.take.click()
    a, b = panel.latents["A"], panel.latents["B"]
    np.testing.assert_allclose(panel.live_latent(), lerp(a, b, 0.25), atol=1e-6)


def test_traversal_grid_sweeps_each_active_dimension(qtbot, panel, checkpoints) -> None:
    _open(qtbot, panel, checkpoints["vae4"])
    panel.traversal.columns.setValue(5)
    panel.request_traversal()
    qtbot.waitUntil(lambda: panel.traversal.view.image is not None, timeout=10_000)
    assert panel.traversal.view.image.shape == (4 * 29 + 1, 5 * 29 + 1, 1)


def test_arithmetic_shows_a_minus_b_plus_c(qtbot, panel, checkpoints) -> None:
    _open(qtbot, panel, checkpoints["vae2"])
    a, b, c = (panel.latents[n] for n in "ABC")
    image = _wait_live(qtbot, panel, panel.show_arithmetic())
    np.testing.assert_allclose(panel.live_latent(), arithmetic(a, b, c), atol=1e-6)
    np.testing.assert_array_equal(image, decode_latents(_model(checkpoints["vae2"]),
                                                        arithmetic(a, b, c)[None])[0])


def test_map_picks_and_attribute_vectors_reach_the_panel(qtbot, panel, checkpoints) -> None:
    from app.panels.interpolation.anchors import MAP
    from app.session.latent_types import AttributeVector, LatentAnchor

    _open(qtbot, panel, checkpoints["vae2"])
    gen = panel.data.generation
    panel.anchors["A"].set_source(MAP, emit=True)
    pick = LatentAnchor(np.array([0.5, -1.0], np.float32), None, -1, (0.5, -1.0), gen)
    panel.session.select_latent(pick)
    np.testing.assert_array_equal(panel.latents["A"], pick.latent)
    vec = np.array([1.0, 2.0], np.float32)
    panel.session.set_attribute_vector(AttributeVector(vec, np.arange(3), np.arange(3), gen))
    assert panel.arith.strength.isEnabled()
    panel.arith.strength.setValue(150)
    a, b = panel.latents["A"], panel.latents["B"]
    np.testing.assert_allclose(panel.path_latents(0.25)[0], lerp(a, b, 0.25) + 1.5 * vec,
                               atol=1e-6)


def test_an_image_file_dropped_on_an_anchor_is_encoded(qtbot, panel, checkpoints,
                                                       tmp_path) -> None:
    _open(qtbot, panel, checkpoints["vae2"])
    i = 42
    Image.fromarray(panel.data.images[i][..., 0]).save(tmp_path / "digit.png")
    panel.anchors["B"].choose_file(tmp_path / "digit.png")
    qtbot.waitUntil(lambda: panel.anchors["B"].description.text().startswith("file"),
                    timeout=10_000)
    np.testing.assert_allclose(panel.latents["B"], panel.data.means[i], atol=1e-5)


def test_strip_png_and_gif_exports(qtbot, panel, checkpoints, tmp_path) -> None:
    from app.panels.interpolation.anchors import RANDOM

    _open(qtbot, panel, checkpoints["vae2"])
    panel.anchors["A"].set_source(RANDOM, 1, emit=True)
    panel.anchors["B"].set_source(RANDOM, 2, emit=True)
    panel.path.frames.setValue(6)
    panel.path.bounce.setChecked(False)
    qtbot.waitUntil(lambda: panel.strip_images is not None and len(panel.strip_images) == 6,
                    timeout=10_000)
    frames = panel.strip_images
    assert len({f.tobytes() for f in frames}) == 6  # distinct: the GIF keeps every frame
    gif = Image.open(panel.export_gif(tmp_path / "a.gif"))
    assert gif.n_frames == 6 and gif.size == (28 * 4, 28 * 4)
    png = Image.open(panel.export_png(tmp_path / "strip.png"))
    assert png.size == (6 * (28 * 4 + 2) + 2, 28 * 4 + 4)


def test_state_json_restores_anchors_latents_and_alpha(qtbot, panel, checkpoints,
                                                       tmp_path) -> None:
    from app.panels.interpolation.anchors import RANDOM

    _open(qtbot, panel, checkpoints["vae2"])
    panel.anchors["B"].set_source(RANDOM, 1234, emit=True)
    panel.path.method.setCurrentIndex(panel.path.method.findData("slerp"))
    panel.path.set_alpha(0.8)
    saved = {n: panel.latents[n].copy() for n in "ABC"}
    shown = _wait_live(qtbot, panel, panel.live_request).copy()
    panel.save_state(tmp_path / "state.json")
    panel.anchors["A"].set_source(RANDOM, 5, emit=True)
    panel.path.method.setCurrentIndex(0)
    panel.path.set_alpha(0.1)
    panel.open_state(tmp_path / "state.json")
    for n in "ABC":
        np.testing.assert_array_equal(panel.latents[n], saved[n])
    assert panel.alpha() == pytest.approx(0.8)
    assert panel.anchors["B"].source == RANDOM and panel.anchors["B"].number.value() == 1234
    assert panel.path.method.currentData() == "slerp"
    np.testing.assert_array_equal(_wait_live(qtbot, panel, panel.live_request), shown)


def test_a_state_file_opens_its_own_model(qtbot, panel, checkpoints, tmp_path) -> None:
    from app.panels.interpolation.state_file import load_state, save_state

    panel.session.start()  # the state's checkpoint is opened for the window: torch ready
    qtbot.waitUntil(lambda: panel.session.torch_ready, timeout=120_000)
    _open(qtbot, panel, checkpoints["vae2"])
    state = panel.current_state()
    state.checkpoint, state.alpha = str(checkpoints["vae4"]), 0.25
    state.anchors = {n: a for n, a in state.anchors.items()}
    for a in state.anchors.values():
        a.latent = [0.1, 0.2, 0.3, 0.4]
    save_state(state, tmp_path / "other.json")
    assert load_state(tmp_path / "other.json") == state
    panel.open_state(tmp_path / "other.json")
    # The panel is cleared when the window opens that model, then shows it.
    qtbot.waitUntil(lambda: panel.data is not None and panel.data.latent_dim == 4,
                    timeout=60_000)
    np.testing.assert_allclose(panel.latents["A"], [0.1, 0.2, 0.3, 0.4], rtol=1e-6)
    assert panel.alpha() == pytest.approx(0.25)


def test_conditional_models_interpolate_the_class(qtbot, panel, checkpoints) -> None:
    _open(qtbot, panel, checkpoints["cvae"])
    assert panel.classes.isVisibleTo(panel) and panel.classes.class_a.count() == 10
    panel.classes.class_a.setCurrentIndex(3)
    panel.classes.class_b.setCurrentIndex(8)
    panel.classes.interpolate.setChecked(True)
    panel.path.set_alpha(0.4)
    image = _wait_live(qtbot, panel, panel.live_request)
    a, b = panel.latents["A"], panel.latents["B"]
    expected = decode_class_mix(_model(checkpoints["cvae"]), lerp(a, b, 0.4)[None],
                                class_weights(3, 8, 0.4, 10)[None])
    np.testing.assert_array_equal(image, expected[0])


def test_a_cgan_starts_in_its_anchors_classes_and_mixes_them(qtbot, panel,
                                                            checkpoints) -> None:
    _open(qtbot, panel, checkpoints["cgan"])
    data = panel.data
    assert data.generated and data.conditional and list(data.labels[:3]) == [0, 1, 2]
    assert (panel.class_for("A"), panel.class_for("B")) == (1, 7)  # a 1 → a 7
    panel.classes.interpolate.setChecked(True)
    panel.path.set_alpha(0.6)
    image = _wait_live(qtbot, panel, panel.live_request)
    a, b = panel.latents["A"], panel.latents["B"]
    expected = decode_class_mix(_model(checkpoints["cgan"]), lerp(a, b, 0.6)[None],
                                class_weights(1, 7, 0.6, 10)[None])
    np.testing.assert_array_equal(image, expected[0])


def test_gans_interpolate_their_z(qtbot, panel, checkpoints) -> None:
    from app.panels.interpolation.anchors import FILE

    _open(qtbot, panel, checkpoints["gan"])
    assert panel.data.generated
    box = panel.anchors["A"].source_box
    assert not box.model().item(box.findData(FILE)).isEnabled()  # no encoder: no files
    panel.path.set_alpha(0.7)
    image = _wait_live(qtbot, panel, panel.live_request)
    a, b = panel.latents["A"], panel.latents["B"]
    np.testing.assert_array_equal(image, decode_latents(_model(checkpoints["gan"]),
                                                        lerp(a, b, 0.7)[None])[0])


def test_diffusion_frames_fill_a_cache_the_slider_scrubs(qtbot, panel, checkpoints) -> None:
    from models.latent.noise_path import noise_path_frames

    panel.path.frames.setValue(3)
    _show(panel, checkpoints["ddpm"])
    qtbot.waitUntil(lambda: panel.diffusion is not None and len(panel.cache) == 9,
                    timeout=60_000)
    assert panel.progress.isVisibleTo(panel) and panel.progress.maximum() == 9
    assert not panel.tabs.isEnabled() and not panel.anchors["C"].isVisibleTo(panel)
    qtbot.waitUntil(lambda: not panel.noise_running(), timeout=60_000)
    assert all(f is not None for f in panel.cache) and panel.progress.isHidden()
    panel.path.set_alpha(0.4)  # nearest cached α: 0.375
    assert panel.frame.image is panel.cache[3]
    expected = {f.index: f.image for f in noise_path_frames(
        _model(checkpoints["ddpm"]), 1, 2, panel.cache_alphas, steps=20)}
    np.testing.assert_array_equal(panel.cache[3], expected[3])
    assert len(panel.strip_images) == 3
    # While frames are missing the slider shows the nearest one computed so far.
    panel.cache[3] = panel.cache[4] = None
    assert panel.nearest_cached(0.4) == 2


def test_each_model_replaces_every_trace_of_the_previous(qtbot, panel, checkpoints) -> None:
    from app.panels.interpolation.anchors import DATASET, FILE, RANDOM
    from app.session.latent_types import AttributeVector
    from models.demos import DEMOS_DIR

    # A 64-D GAN, with everything the tabs can show set.
    _open(qtbot, panel, checkpoints["gan64"])
    assert len(panel.dims.sliders) == 64 and panel.data.latent_dim == 64
    panel.session.set_attribute_vector(AttributeVector(
        np.ones(64, np.float32), np.arange(2), np.arange(2), panel.data.generation))
    panel.arith.strength.setValue(120)
    panel.request_traversal()
    qtbot.waitUntil(lambda: panel.traversal.view.image is not None, timeout=10_000)
    _wait_live(qtbot, panel, panel.show_arithmetic())
    panel.path.play.setChecked(True)
    gan_strip = panel.strip_images

    # The diffusion demo: none of the GAN's sliders, anchors, strip or results remain.
    panel.path.frames.setValue(3)
    _show(panel, DEMOS_DIR / "cddpm-tiny")
    assert panel.data is None and panel.diffusion is not None and panel.noise_running()
    assert not panel.dims.sliders and panel.dims.search.text() == ""
    assert not panel.animator.playing and not panel.path.play.isChecked()
    assert panel.attribute is None and not panel.arith.strength.isEnabled()
    assert panel.arith.strength_value() == 0.0 and panel.traversal.view.image is None
    assert panel.frame.image is None and panel.frame.caption == ""
    assert panel.strip_images is None and all(f is None for f in panel.strip.frames)
    assert panel.latents == dict.fromkeys("ABC") and not panel.anchors["C"].isVisibleTo(panel)
    assert panel.anchors["C"].description.text() == "—"
    for name, seed in (("A", 1), ("B", 2)):
        box = panel.anchors[name]
        assert box.source == RANDOM and box.number.value() == seed
        assert box.description.text() == f"noise of seed {seed}"
        assert box.thumbnail.pixmap().isNull()  # the GAN's sample is gone
    assert panel.classes.isVisibleTo(panel) and panel.classes.class_a.count() == 10
    assert panel.path.steps.isVisibleTo(panel) and not panel.tabs.isEnabled()
    qtbot.waitUntil(lambda: panel.strip_images is not None, timeout=60_000)
    assert panel.strip_images.shape[1:] == (28, 28, 1)
    assert not any(np.array_equal(f, g) for f in panel.strip_images for g in gan_strip)

    # A 2-D VAE while the path is being recomputed: no diffusion frame, seed or class left.
    panel.path.steps.setValue(200)  # a long path, cancelled by the model change
    qtbot.waitUntil(lambda: any(f is not None for f in panel.cache), timeout=60_000)
    _show(panel, checkpoints["vae2"])
    assert panel.cache == [] and not panel.noise_running() and panel.progress.isHidden()
    assert panel.frame.image is None and all(f is None for f in panel.strip.frames)
    assert not panel.classes.isVisibleTo(panel) and panel.classes.class_a.count() == 0
    assert not panel.path.steps.isVisibleTo(panel)
    assert panel.path.method.currentData() == "linear"
    qtbot.waitUntil(lambda: panel.data is not None and panel.strip_images is not None,
                    timeout=60_000)
    assert len(panel.dims.sliders) == 2 and panel.tabs.isEnabled()
    assert panel.anchors["C"].isVisibleTo(panel)
    assert all(panel.anchors[n].source == DATASET for n in "ABC")
    box = panel.anchors["A"].source_box
    assert box.model().item(box.findData(FILE)).isEnabled()  # a VAE encodes files
    assert panel.strip_images.shape[1:] == (28, 28, 1)
    qtbot.waitUntil(lambda: not panel.session.jobs.busy("interpolation"), timeout=5000)


def test_closing_while_a_noise_path_is_computed_stops_within_2_s(qtbot, panel) -> None:
    import time

    from models.demos import DEMOS_DIR

    panel.path.steps.setValue(250)  # seconds per pair of frames: only a step is waited for
    _show(panel, DEMOS_DIR / "cddpm-tiny")
    qtbot.waitUntil(lambda: panel.session.jobs.busy("interpolation"), timeout=10_000)
    qtbot.wait(300)  # well into the first frames' denoising
    assert panel.noise_running()
    panel.close()
    t0 = time.monotonic()
    assert panel.session.jobs.await_all(2.0)
    assert time.monotonic() - t0 < 2.0
    assert not panel.session.jobs.threads_running()


def test_play_animates_alpha(qtbot, panel, checkpoints) -> None:
    from app.panels.interpolation.animation import animation_fraction

    assert animation_fraction(0.75, 1.0, bounce=False) == pytest.approx(0.75)
    assert animation_fraction(1.25, 1.0, bounce=False) == pytest.approx(0.25)
    assert animation_fraction(1.25, 1.0, bounce=True) == pytest.approx(0.75)
    assert animation_fraction(2.5, 2.0, bounce=True) == pytest.approx(0.75)
    _open(qtbot, panel, checkpoints["vae2"])
    start = panel.path.alpha.value()
    panel.path.speed.setValue(1.0)
    panel.path.play.setChecked(True)
    qtbot.waitUntil(lambda: abs(panel.path.alpha.value() - start) > 100, timeout=5000)
    panel.path.play.setChecked(False)
    assert not panel.animator.playing


def test_the_window_has_an_interpolation_dock_that_closes_cleanly(make_window) -> None:
    window = make_window()
    assert window.interpolation_dock.widget() is window.interpolation_panel
    window.interpolation_dock.raise_()
    window.close()
    assert window.session.jobs.await_all(2.0) and not window.session.jobs.threads_running()


def test_a_hidden_panel_loads_a_new_model_only_when_shown(qtbot, panel, checkpoints) -> None:
    from models.opened import open_model

    panel.hide()
    panel.session.state = panel.session.state.IDLE
    panel.session.models.adopt(open_model(checkpoints["vae2"]), same_run=False)
    qtbot.wait(100)
    assert panel.data is None and panel.session.latent.busy is None  # nothing encoded
    panel.show()
    qtbot.waitUntil(lambda: panel.data is not None, timeout=60_000)
    assert panel.data.path == checkpoints["vae2"]
    panel.session.models.close()  # File › New: the panel forgets the model
    assert panel.data is None and not panel.path.isEnabled()


def test_mp4_export_needs_ffmpeg(tmp_path, monkeypatch) -> None:
    from app.panels.interpolation import export

    frames = np.random.default_rng(0).integers(0, 255, (4, 28, 28, 1), dtype=np.uint8)
    if export.mp4_encoder() is not None:
        out = export.write_mp4(frames, tmp_path / "a.mp4", fps=4, bounce=True)
        assert out.stat().st_size > 0
    monkeypatch.setattr(export.shutil, "which", lambda _name: None)
    with pytest.raises(RuntimeError, match="ffmpeg"):
        export.write_mp4(frames, tmp_path / "b.mp4", fps=4, bounce=False)
    assert not (tmp_path / "b.mp4").exists()


def test_anchor_sources_resolve_to_latents() -> None:
    from app.panels.interpolation.anchors import DATASET, FILE, MAP, RANDOM
    from app.panels.interpolation.resolve import anchor_from_source
    from app.session.latent_types import LatentAnchor, MapData

    means = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    images = np.zeros((2, 28, 28, 1), np.uint8)
    data = MapData(5, Path("x"), "ae", 0, "d", DIGITS, means, np.array([4, -1]), images,
                   False, False, False)
    center, std = np.array([10.0, 20.0]), np.array([0.5, 0.5])
    got = anchor_from_source(DATASET, 0, data, None, False, center, std)
    assert got.label == 4 and got.text == "image #0, class 4" and got.image.shape == (28, 28, 1)
    np.testing.assert_array_equal(got.latent, means[0])
    # An AE has no prior: random codes follow the codes' spread, not N(0, I).
    code = anchor_from_source(RANDOM, 7, data, None, False, center, std)
    assert code.image is None and np.abs(code.latent - center).max() < 3
    pick = LatentAnchor(np.array([0.5, 0.5], np.float32), None, 2, (0.5, 0.5), 4)
    stale = anchor_from_source(MAP, 0, data, pick, False, center, std)
    assert stale.latent is None  # picked on another snapshot of the map
    assert anchor_from_source(FILE, 0, data, None, False, center, std) is None
