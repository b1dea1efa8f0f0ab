"""The Diffusion panel with a latent diffusion model: x_t's channels in false colour, x̂0
through the decoder and through the linear preview, the preview choice and its measured
cost, branch and scrub. Tiny models built from configs; nothing downloads."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PySide6.QtGui import QImage

from app.panels.diffusion.display import channel_tiles, tile, to_display
from app.panels.diffusion.latent_view import DECODED_TITLE, channel_title
from models.checkpoint import save_checkpoint
from models.config import DataConfig
from tests.app.test_diffusion_viewer import _checkpoint, _load, _open, _run, shown_panel
from tests.models.test_latent_diffusion import tiny_model

N, STEPS = 4, 4


@pytest.fixture(scope="module")
def ldm_checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A tiny LDM saved without a linear preview (as checkpoints made before it) and one
    saved with it (as training now saves them), and a pixel-space DDPM."""
    root = tmp_path_factory.mktemp("ldm-ck")
    data = DataConfig(dataset="mnist5k")
    bare = save_checkpoint(root / "bare", tiny_model(), data=data, progress={"epoch": 1})
    fitted = tiny_model()
    fitted.fit_linear_preview(torch.rand(40, 1, 28, 28), torch.rand(8, 1, 28, 28))
    return {"bare": bare,
            "fitted": save_checkpoint(root / "fitted", fitted, data=data,
                                      progress={"epoch": 1}),
            "ddpm": _checkpoint(root / "ddpm")}


@pytest.fixture
def panel(qtbot: Any, tmp_path: Path) -> Iterator[Any]:
    yield from shown_panel(qtbot, tmp_path, 1200, 800)


def _mode(panel: Any, kind: str, every: int = 2) -> None:
    panel.preview_bar.set_mode(kind, every)


def _expected_pixels(images: np.ndarray) -> np.ndarray:
    return tile(to_display(images * 2.0 - 1.0, "x0", 28), None, 2)


def test_a_checkpoint_without_a_linear_preview_gets_one_fitted_on_open(
        qtbot: Any, panel: Any, ldm_checkpoints: dict[str, Path]) -> None:
    _load(qtbot, panel, ldm_checkpoints["bare"])
    info = panel.info
    assert info.latent and info.latent_channels == 2 and info.preview_r2 is not None
    assert "fitted on open" in info.preview_note and "mnist5k" in info.preview_note
    assert "fitted on open" in panel.status.text()
    assert panel.preview_bar.isVisible()
    assert not panel.guidance_toggle.isVisible()


def test_latent_steps_show_channel_tiles_decoded_and_linear_x0(
        qtbot: Any, panel: Any, ldm_checkpoints: dict[str, Path]) -> None:
    _load(qtbot, panel, ldm_checkpoints["fitted"])
    assert panel.info.preview_note == ""  # from the checkpoint: nothing fitted on open
    _mode(panel, "decoder")
    run = _run(qtbot, panel, steps=STEPS, n=N)
    assert run.spec.latent and run.spec.preview.kind == "decoder"
    panes = panel.row_a.latent
    assert panel.row_a.pages.currentWidget() is panes
    panel.slider.setValue(1)
    x_t = run.x_t[1]
    assert x_t.shape == (N, 2, 8, 8)
    expected = channel_tiles(x_t, None, 2)
    shown = [p for p in panes.tiles if p.isVisibleTo(panes)]
    assert len(shown) == 2
    for k, pane in enumerate(shown):
        assert pane.title == channel_title(k) == f"x_t latent, channel {k + 1}"
        np.testing.assert_array_equal(pane.image, expected[k])
        assert pane.image.shape[-1] == 3  # false colour
    assert panes.decoded.title == DECODED_TITLE
    np.testing.assert_array_equal(panes.decoded.image,
                                  _expected_pixels(run.pixels[1].decoded))
    np.testing.assert_array_equal(panes.linear.image, _expected_pixels(run.pixels[1].linear))
    assert panes.decoded.image.shape == panes.linear.image.shape == (2 * 28 + 3,) * 2 + (1,)
    assert f"R² {panel.info.preview_r2:.2f}" in panes.linear.title
    assert "ms/step measured" in panel.preview_bar.cost.text()
    # Scrub: each frame shows its own step; the last is the decoded final sample.
    for k in range(run.frames):
        panel.slider.setValue(k)
        assert panel.row_a.shown == (run.run_id, k)
    np.testing.assert_array_equal(panes.decoded.image,
                                  _expected_pixels(run.final_pixels.decoded))


def test_the_preview_choice_changes_what_is_decoded(
        qtbot: Any, panel: Any, ldm_checkpoints: dict[str, Path]) -> None:
    _load(qtbot, panel, ldm_checkpoints["fitted"])
    decoded = {}
    costs = {}
    for kind in ("decoder", "every", "linear"):
        _mode(panel, kind, 3)
        run = _run(qtbot, panel, steps=STEPS, n=N)
        decoded[kind] = [k for k in range(STEPS) if run.pixels[k].decoded is not None]
        assert all(run.pixels[k].linear is not None for k in range(STEPS))
        assert run.final_pixels.decoded is not None  # the sample itself, always
        costs[kind] = run.preview_cost()[0]
    assert decoded == {"decoder": [0, 1, 2, 3], "every": [0, 3], "linear": []}
    assert costs["linear"] < costs["decoder"]  # measured: the decoder costs more
    panes = panel.row_a.latent
    panel.slider.setValue(1)  # linear only: no decoded x̂0 before the final sample
    assert panes.decoded.image is None and "linear map only" in panes.decoded.placeholder
    assert panes.linear.image is not None
    # Each choice shows the cost it measured when it last ran.
    _mode(panel, "decoder")
    assert "decoder every step" in panel.preview_bar.cost.text()
    assert f"{costs['decoder']:.1f} ms/step" in panel.preview_bar.cost.text()
    _mode(panel, "every", 2)
    assert "not measured yet" in panel.preview_bar.cost.text()


def test_every_n_shows_the_latest_decoded_step_and_branch_keeps_previews(
        qtbot: Any, panel: Any, ldm_checkpoints: dict[str, Path]) -> None:
    _load(qtbot, panel, ldm_checkpoints["fitted"])
    _mode(panel, "every", 2)
    a = _run(qtbot, panel, steps=STEPS, n=N)
    panel.slider.setValue(1)
    panes = panel.row_a.latent
    assert panes.decoded.title == "x̂0 decoded, from step 1"  # the latest decoded step
    np.testing.assert_array_equal(panes.decoded.image, _expected_pixels(a.pixels[0].decoded))
    # Branch from step 2 with the decoder every step: its first steps are A's own.
    _mode(panel, "decoder")
    panel.slider.setValue(2)
    with qtbot.waitSignal(panel.ended, timeout=30_000):
        b_id = panel.branch()
    b = panel.cache.runs[b_id]
    assert b.spec.latent and b.pixels[0] is a.pixels[0] and b.pixels[1] is a.pixels[1]
    assert all(b.pixels[k].decoded is not None for k in (2, 3))
    assert b.preview_cost()[2] == 2  # its own steps only
    assert panel.row_b.isVisible() and panel.row_b.pages.currentWidget() is panel.row_b.latent
    panel.slider.setValue(3)
    assert panel.row_b.shown == (b_id, 3)
    np.testing.assert_array_equal(panel.row_b.latent.decoded.image,
                                  _expected_pixels(b.pixels[3].decoded))


def test_a_pixel_space_model_after_a_latent_one_looks_as_before(
        qtbot: Any, panel: Any, ldm_checkpoints: dict[str, Path]) -> None:
    _load(qtbot, panel, ldm_checkpoints["fitted"])
    _run(qtbot, panel, steps=2, n=1)
    _load(qtbot, panel, ldm_checkpoints["ddpm"])
    assert not panel.info.latent and not panel.preview_bar.isVisible()
    run = _run(qtbot, panel, steps=3, n=2)
    assert not run.spec.latent and run.spec.preview is None and run.pixels == [None] * 3
    assert panel.row_a.pages.currentIndex() == 0
    assert all(p.image is not None for p in panel.row_a.panes.values())


def test_a_latent_run_exports_and_its_trajectory_reloads_as_latents(
        qtbot: Any, panel: Any, ldm_checkpoints: dict[str, Path], tmp_path: Path) -> None:
    from PIL import Image

    _load(qtbot, panel, ldm_checkpoints["fitted"])
    _mode(panel, "linear")
    run = _run(qtbot, panel, steps=3, n=2)
    panel.slider.setValue(1)
    png = Image.open(panel.export_png(tmp_path / "step.png"))
    assert png.mode == "RGB" and png.height >= 300  # channels in colour beside x̂0
    gif = Image.open(panel.export_gif(tmp_path / "run.gif"))
    assert gif.n_frames == 3 + 1  # the steps, then the final sample held (one frame)
    saved = panel.save_trajectory(tmp_path / "run.npz")
    loaded = panel.cache.runs[panel.load_trajectory(saved)]
    assert loaded.spec.latent and loaded.x_t[0].shape == run.x_t[0].shape
    panel.slider.setValue(0)
    assert panel.row_a.pages.currentWidget() is panel.row_a.latent
    assert panel.row_a.latent.tiles[0].image is not None
    # The file holds latents only: the linear preview is made again from them.
    np.testing.assert_allclose(loaded.pixels[1].linear, run.pixels[1].linear, atol=1e-5)
    assert loaded.pixels[1].decoded is None
    assert panel.row_a.latent.linear.image is not None


def test_the_forward_view_noises_the_datas_latents(
        qtbot: Any, panel: Any, ldm_checkpoints: dict[str, Path]) -> None:
    from app.panels.diffusion.display import latent_mosaic

    _load(qtbot, panel, ldm_checkpoints["fitted"])
    info = panel.info
    assert info.data_x0.shape[1:] == (2, 8, 8)  # scaled posterior means, not pixels
    view = panel.forward
    view.set_t(0)
    np.testing.assert_array_equal(view.panes["x0"].image, latent_mosaic(info.data_x0[0]))
    assert "latent" in view.panes["x_t"].title
    view.set_t(info.num_train_timesteps)
    np.testing.assert_allclose(view.x_t, np.sqrt(info.alpha_bar[-1]) * info.data_x0[0]
                               + np.sqrt(1 - info.alpha_bar[-1]) * info.forward_noise,
                               rtol=1e-5, atol=1e-6)


def test_a_class_conditional_ldm_runs_guided_in_latent_space(
        qtbot: Any, panel: Any, tmp_path: Path) -> None:
    from models.latent_diffusion.model import ConditionalLDM

    model = tiny_model(ConditionalLDM)
    model.fit_linear_preview(torch.rand(40, 1, 28, 28), torch.rand(8, 1, 28, 28))
    path = save_checkpoint(tmp_path / "cldm", model, data=DataConfig(dataset="mnist5k"),
                           class_names=("a", "b", "c"), progress={"epoch": 1})
    _load(qtbot, panel, path)
    assert panel.info.conditional and panel.info.latent
    assert panel.form.class_box.isVisible() and not panel.guidance_toggle.isVisible()
    _mode(panel, "linear")
    run = _run(qtbot, panel, steps=3, n=3)
    assert run.spec.guidance is not None and run.spec.labels == (0, 1, 2)
    assert not run.spec.parts and run.parts == [None] * 3  # no pixel-space guidance view
    assert run.final_pixels.decoded.shape == (3, 1, 28, 28)


def test_a_latent_checkpoints_recorded_trajectory_shows_as_latents_with_previews(
        qtbot: Any, panel: Any, ldm_checkpoints: dict[str, Path], tmp_path: Path) -> None:
    import shutil

    from models.checkpoint import load_checkpoint
    from models.pictures.trajectory_file import write_cached_trajectory

    folder = Path(shutil.copytree(ldm_checkpoints["fitted"], tmp_path / "ck"))
    assert write_cached_trajectory(folder, load_checkpoint(folder).model) is not None
    with qtbot.waitSignal(panel.recordedShown, timeout=10_000) as shown:
        panel.show_pictures(folder)  # as the session does when the folder opens
    record = panel.cache.runs[shown.args[0]]
    assert record.spec.latent and panel.row_a.pages.currentWidget() is panel.row_a.latent
    strip = panel.filmstrip
    step = strip.steps[0]

    def frame_pixels() -> np.ndarray:
        gray = strip._frame(record, step).convertToFormat(QImage.Format.Format_Grayscale8)
        rows = np.frombuffer(gray.constBits(), np.uint8, gray.bytesPerLine() * gray.height())
        return rows.reshape(gray.height(), -1)[:, :gray.width()].copy()  # gray is freed

    assert np.all(frame_pixels() == 128)  # before the model: nothing to show, mid-grey
    _open(panel, folder)
    qtbot.waitUntil(lambda: panel.info is not None and panel.run_button.isEnabled(),
                    timeout=60_000)
    assert panel.primary is record and record.pixels[0].linear is not None
    assert panel.row_a.latent.linear.image is not None
    # Once the previews arrive the filmstrip draws them, not the grey frames it kept.
    assert not np.all(frame_pixels() == 128)
    assert strip._signature[0] == (record.run_id, record.views_version)  # repainted
    # The decoder has not run on a loaded run: the pane says so rather than "this step".
    panel.slider.setValue(panel.slider.maximum())  # the final frame
    assert "Recorded as latents only" in panel.row_a.latent.decoded.placeholder
