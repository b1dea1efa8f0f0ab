"""The Style dock on a tiny StyleGAN: ψ = 0 draws w̄'s image for every seed and ψ = 1 the
untruncated one; each mixing cell is `mix` of its sources; noise "none" is deterministic
while noise on the ticked layers varies; kept slider positions repaint at once; another
family clears the dock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

DIGITS = tuple(str(d) for d in range(10))
TIMEOUT = 60_000


def _save(root: Path, family: str, model: Any) -> Path:
    from models.checkpoint import save_checkpoint
    from models.config import DataConfig, TrainConfig

    return save_checkpoint(root / family, model, data=DataConfig(dataset="mnist5k"),
                           train=TrainConfig(device="cpu"), class_names=DIGITS,
                           progress={"epoch": 1})


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Return a tiny StyleGAN (w̄ off the origin, noise strengths on, so truncation and
    noise change pictures) and a tiny VAE, saved as checkpoints."""
    import torch

    from models.autoencoders.config import VAEConfig
    from models.registry import build_model
    from models.stylegan.config import StyleGANConfig

    root = tmp_path_factory.mktemp("style-ck")
    torch.manual_seed(0)
    gan = build_model("stylegan", StyleGANConfig(z_dim=8, w_dim=8, mapping_layers=1,
                                                 g_channels=(8, 8, 4, 4),
                                                 d_channels=(4, 4, 4)))
    with torch.no_grad():
        for g in (gan.generator, gan.generator_ema):
            g.mapping.w_avg.copy_(torch.randn(8))
            for layer in g.synthesis.layers:
                layer.noise_strength.fill_(0.5)
    vae = build_model("vae", VAEConfig(latent_dim=2, hidden_dims=(16,)))
    paths = {"stylegan": _save(root, "stylegan", gan), "vae": _save(root, "vae", vae)}
    with torch.no_grad():  # "the next epoch": another w̄
        for g in (gan.generator, gan.generator_ema):
            g.mapping.w_avg.copy_(torch.randn(8) * 2.0)
    paths["stylegan-next"] = _save(root / "next", "stylegan", gan)
    return paths


@pytest.fixture
def panel(qtbot: Any, tmp_path: Path) -> Iterator[Any]:
    """A shown StylePanel on a fresh session; its lane must join at teardown."""
    import torch

    from app.panels.style import StylePanel
    from tests.app.conftest import shown_panel

    torch.set_num_threads(1)
    widget, session = shown_panel(qtbot, tmp_path, StylePanel, (1000, 600))
    yield widget
    assert session.jobs.await_all(2.0) and session.shutdown(5.0)
    assert not session.jobs.threads_running()


def _open(qtbot: Any, panel: Any, path: Path) -> Any:
    """Open `path` in the panel's session; return the weights opened (for expectations)."""
    from models.opened import open_model

    opened = open_model(path)
    panel.session.models.adopt(opened, same_run=False)
    qtbot.waitUntil(lambda: panel.model is opened, timeout=TIMEOUT)
    return opened


def _frame_at(qtbot: Any, section: Any, position: int) -> Any:
    section.slider.setValue(position)
    qtbot.waitUntil(lambda: position in section.frames, timeout=TIMEOUT)
    return section.frames[position]


def _uint8(images: Any) -> np.ndarray:
    from app.panels.style.render import to_uint8

    return to_uint8(images).astype(int)


def test_psi_zero_is_w_bar_for_every_seed_and_psi_one_is_untruncated(
        qtbot: Any, panel: Any, checkpoints: dict[str, Path]) -> None:
    import torch

    from app.panels.style.render import PSI_STEP
    from models.stylegan import wspace

    opened = _open(qtbot, panel, checkpoints["stylegan"])
    trunc = panel.truncation
    at_zero = _frame_at(qtbot, trunc, 0).images.astype(int)
    w_bar_image = at_zero[0]
    for image in at_zero[1:]:
        assert np.abs(image - w_bar_image).max() <= 1
    at_one = _frame_at(qtbot, trunc, round(1.0 / PSI_STEP)).images.astype(int)
    model = opened.inference_copy()
    w = torch.cat([wspace.w_avg(model)[None],
                   torch.cat([wspace.mapping(model, wspace.sample_z(model, 1, s))
                              for s in trunc.seeds()])])
    expected = _uint8(wspace.synthesize(model, wspace.broadcast(w, wspace.num_ws(model))))
    assert np.abs(at_one - expected).max() <= 1
    assert np.abs(at_one[1:] - w_bar_image).max() > 20  # the seeds differ from w̄'s image


def test_each_mixing_cell_is_mix_of_its_sources(qtbot: Any, panel: Any,
                                                checkpoints: dict[str, Path]) -> None:
    import torch

    from models.stylegan import wspace

    opened = _open(qtbot, panel, checkpoints["stylegan"])
    panel.tabs.setCurrentWidget(panel.mixing)
    mixing = panel.mixing
    qtbot.waitUntil(lambda: mixing.range.count() > 0, timeout=TIMEOUT)
    mixing.range.setCurrentIndex(mixing.range.findText("middle", flags=_contains()))
    layers = mixing.chosen_layers()
    frame = _frame_at(qtbot, mixing, mixing.slider.maximum())
    model = opened.inference_copy()
    assert layers == tuple(wspace.layer_ranges(model)["middle"])

    def w_of(seeds: list[int]) -> torch.Tensor:
        return torch.cat([wspace.mapping(model, wspace.sample_z(model, 1, s)) for s in seeds])

    w_a, w_b = w_of(mixing.rows()), w_of(mixing.columns())
    n = wspace.num_ws(model)
    cells = frame.images.astype(int).reshape(len(w_a), len(w_b), *frame.images.shape[1:])
    for i in range(len(w_a)):
        for j in range(len(w_b)):
            ws = wspace.mix(wspace.broadcast(w_a[i:i + 1], n),
                            wspace.broadcast(w_b[j:j + 1], n), layers)
            assert np.abs(cells[i, j] - _uint8(wspace.synthesize(model, ws))[0]).max() <= 1
    columns = frame.extra["columns"].astype(int)
    assert np.abs(cells - columns[None]).max() > 20  # A's middle styles change B's images


def _contains() -> Any:
    from PySide6.QtCore import Qt

    return Qt.MatchFlag.MatchStartsWith


def test_noise_none_is_deterministic_and_draws_vary_only_with_noise_on(
        qtbot: Any, panel: Any, checkpoints: dict[str, Path]) -> None:
    _open(qtbot, panel, checkpoints["stylegan"])
    noise = panel.noise
    panel.tabs.setCurrentWidget(noise)
    qtbot.waitUntil(lambda: noise.frame is not None, timeout=TIMEOUT)
    assert noise.frame.extra["std"].max() > 0.01  # every layer's noise on: draws differ

    def render() -> Any:
        before = noise.frame
        noise.resample.click()
        qtbot.waitUntil(lambda: noise.frame is not before, timeout=TIMEOUT)
        return noise.frame

    noise.mode.setCurrentIndex(noise.mode.findData("none"))
    first, second = render(), render()
    assert np.array_equal(first.images[0], second.images[0])
    for box in noise.boxes:
        box.setChecked(False)
    quiet = render()
    assert quiet.extra["std"].max() == 0.0
    assert np.array_equal(quiet.images[1], quiet.images[0])  # a draw equals "none"


def test_kept_slider_positions_repaint_without_the_lane(qtbot: Any, panel: Any,
                                                        checkpoints: dict[str, Path]) -> None:
    _open(qtbot, panel, checkpoints["stylegan"])
    trunc = panel.truncation
    qtbot.waitUntil(trunc.complete, timeout=TIMEOUT)
    for position in (0, 7, trunc.slider.maximum()):
        trunc.slider.setValue(position)
        assert trunc.view.painted_tag == trunc.live_request  # painted in the same call
        assert trunc.view.image is trunc.frames[position].picture


def test_another_family_clears_the_dock(qtbot: Any, panel: Any,
                                        checkpoints: dict[str, Path]) -> None:
    _open(qtbot, panel, checkpoints["stylegan"])
    qtbot.waitUntil(lambda: bool(panel.truncation.frames), timeout=TIMEOUT)
    assert panel.tabs.isEnabled() and panel.mixing.range.count() > 0
    from models.opened import open_model

    panel.session.models.adopt(open_model(checkpoints["vae"]), same_run=False)
    qtbot.waitUntil(lambda: panel.renderer is None, timeout=TIMEOUT)
    qtbot.wait(200)  # a late frame of the StyleGAN must not come back
    assert panel.model is None and panel.layers is None
    for section in (panel.truncation, panel.mixing, panel.edit):
        assert not section.frames and section.view.image is None
    assert panel.noise.frame is None and not panel.noise.boxes
    assert panel.mixing.range.count() == 0 and not panel.tabs.isEnabled()
    assert "StyleGAN" in panel.status.text() and "vae" in panel.status.text()


def test_mixing_picture_puts_sources_top_and_left_and_cells_row_by_row() -> None:
    from app.panels.style.tiles import GAP_VALUE, heat_map, labelled_grid

    cells = np.arange(6, dtype=np.uint8).reshape(6, 1, 1, 1).repeat(2, 1).repeat(2, 2) + 10
    top = np.full((3, 2, 2, 1), 200, np.uint8)
    left = np.full((2, 2, 2, 1), 100, np.uint8)
    picture = labelled_grid(cells, 3, top=top, left=left, gap=1, margin=3)
    assert picture.shape == (2 + 3 + 2 * 2 + 1, 2 + 3 + 3 * 2 + 2, 1)
    assert picture[0, 0, 0] == GAP_VALUE  # the corner stays empty
    assert (picture[:2, 5:7] == 200).all() and (picture[5:7, :2] == 100).all()
    assert picture[5, 5, 0] == 10 and picture[5, 8, 0] == 11  # row 0: cells 0, 1, 2
    assert picture[8, 5, 0] == 13  # row 1 starts with cell 3
    heat = heat_map(np.array([[0.0, 1.0]]), top=1.0)
    assert heat[0, 0].tolist() == [0, 0, 0] and heat[0, 1].tolist() == [255, 255, 255]


def test_direction_edit_moves_only_the_chosen_layers_along_the_direction(
        qtbot: Any, panel: Any, checkpoints: dict[str, Path]) -> None:
    from models.stylegan import wspace
    from models.stylegan.directions import apply_directions, pca_directions

    opened = _open(qtbot, panel, checkpoints["stylegan"])
    edit = panel.edit
    panel.tabs.setCurrentWidget(edit)
    qtbot.waitUntil(lambda: edit.range.count() > 0, timeout=TIMEOUT)
    edit.mode.setCurrentIndex(edit.mode.findData("direction"))
    assert edit.component.isVisibleTo(edit) and not edit.target.isVisibleTo(edit)
    edit.component.setValue(1)
    edit.range.setCurrentIndex(edit.range.findText("fine", flags=_contains()))
    frame = _frame_at(qtbot, edit, edit.position_of(2.0))
    model = opened.inference_copy()
    ws = wspace.broadcast(wspace.mapping(model, wspace.sample_z(model, 1, edit.seed.value())),
                          wspace.num_ws(model))
    moved = apply_directions(ws, pca_directions(model, 10, 10_000), [0.0, 2.0],
                             wspace.layer_ranges(model)["fine"])
    images = frame.images.astype(int)
    assert np.abs(images[0] - _uint8(wspace.synthesize(model, ws))[0]).max() <= 1
    assert np.abs(images[1] - _uint8(wspace.synthesize(model, moved))[0]).max() <= 1
    assert np.abs(images[1] - images[0]).max() > 5


def test_newer_weights_of_the_run_redraw_every_position(qtbot: Any, panel: Any,
                                                         checkpoints: dict[str, Path]) -> None:
    from models.opened import open_model
    from models.stylegan import wspace

    _open(qtbot, panel, checkpoints["stylegan"])
    trunc = panel.truncation
    first = _frame_at(qtbot, trunc, 0)
    qtbot.waitUntil(trunc.complete, timeout=TIMEOUT)
    newer = open_model(checkpoints["stylegan-next"])
    panel.session.models.adopt(newer, same_run=True)
    qtbot.waitUntil(lambda: panel.model is newer and trunc.complete()
                    and trunc.frames.get(0) is not first, timeout=TIMEOUT)
    model = newer.inference_copy()
    w_bar = _uint8(wspace.synthesize(model, wspace.broadcast(wspace.w_avg(model)[None],
                                                             wspace.num_ws(model))))[0]
    assert np.abs(trunc.frames[0].images.astype(int)[1:] - w_bar).max() <= 1
    assert np.abs(first.images.astype(int)[0] - w_bar).max() > 20  # w̄ did move


def test_a_fill_turns_to_the_position_the_slider_wants() -> None:
    from app.panels.style.jobs import FillPlan

    plan = FillPlan(range(10), wanted=5)
    assert [plan.take(), plan.take(), plan.take()] == [5, 4, 6]
    plan.wanted = 0  # the slider moved while the fill ran
    assert [plan.take(), plan.take()] == [0, 1]
    assert sorted(iter(plan.take, None)) == [2, 3, 7, 8, 9]


def test_opening_a_stylegan_brings_its_style_dock_forward(make_window: Any, qtbot: Any,
                                                          checkpoints: dict[str, Path]) -> None:
    window = make_window()
    window.open_path(checkpoints["stylegan"])
    dock = window.style_dock
    qtbot.waitUntil(lambda: not dock.visibleRegion().isEmpty(), timeout=TIMEOUT)
    assert window.wspace_dock.isVisible()  # beside it, a tab away
    window.session.jobs.cancel("style")
    qtbot.waitUntil(lambda: not window.session.jobs.jobs("style"), timeout=TIMEOUT)
