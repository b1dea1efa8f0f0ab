"""The Pipeline dock on tiny random Stable Diffusion pipelines built in the test (no hub,
no network): a run streamed to the end equals run_pipeline's, scrubbing, guidance
decomposed, attention, branching, the mask brush and refusals as one line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.panels.pipeline.record import LINEAR, to_uint8
from tests.app.conftest import shown_panel

pytest.importorskip("transformers")
RUN_S = 120_000  # ms: the machine is shared and slow


@pytest.fixture
def panel(qtbot: Any, tmp_path: Path) -> Iterator[Any]:
    """A shown PipelinePanel, 1100×640 (the dock beside the setup dock at 1280×720)."""
    from app.panels.pipeline import PipelinePanel

    widget, session = shown_panel(qtbot, tmp_path, PipelinePanel, (1100, 640))
    yield widget
    session.jobs.await_all(5.0)


def messages(panel: Any) -> list[tuple[str, str]]:
    """Return a list that collects the session's messages (level, text) from now on."""
    seen: list[tuple[str, str]] = []
    panel.session.message.connect(lambda level, text: seen.append((level, text)))
    return seen


def open_sd(qtbot: Any, panel: Any, folder: Path) -> None:
    panel.open_folder(folder)
    qtbot.waitUntil(lambda: panel.info is not None and panel.opening is None, timeout=RUN_S)


def run_to_end(qtbot: Any, panel: Any, **form: Any) -> Any:
    f = panel.form
    f.prompt.setText(form.get("prompt", "a cat"))
    f.seed.setValue(form.get("seed", 3))
    f.steps.setValue(form.get("steps", 4))
    f.guidance.setValue(form.get("guidance", 3.0))
    f.sampler.setCurrentIndex(f.sampler.findData(form.get("sampler", "ddim")))
    job = panel.run()
    assert job is not None
    qtbot.waitUntil(lambda: panel.run_a.status != "running", timeout=RUN_S)
    assert panel.run_a.status == "done"
    return panel.run_a


def test_a_text_to_image_run_streams_to_the_end_and_equals_run_pipeline(
        qtbot: Any, panel: Any, sd_folder: Path) -> None:
    from models.latent_diffusion.recording import PreviewMode
    from models.pipelines.opening import open_pipeline
    from models.pipelines.stepper import TextRequest, run_pipeline

    open_sd(qtbot, panel, sd_folder)
    assert panel.form.mode.count() == 4  # text, image, inpainting, ControlNet
    run = run_to_end(qtbot, panel, prompt="a cat", seed=3, steps=4, guidance=3.0)
    assert sorted(run.steps) == [0, 1, 2, 3]
    assert panel.views.slider.value() == 3  # followed the run live
    request = TextRequest(prompt="a cat", seed=3, steps=4, guidance=3.0, sampler="ddim")
    preview = PreviewMode("every", panel.form.every.value())
    events = list(run_pipeline(open_pipeline(sd_folder), request, preview))
    final = events[-1]
    np.testing.assert_allclose(run.finished.x0, final.x0, atol=1e-5)
    np.testing.assert_allclose(run.finished.pixels.decoded, final.pixels.decoded, atol=1e-5)
    # Each step's previews, kept as uint8 images on the lane, are run_pipeline's.
    for direct in events[1:-1]:
        mine = run.steps[direct.step.index]
        for ours, theirs in ((mine.step.pixels, direct.step.pixels),
                             (mine.uncond, direct.uncond), (mine.cond, direct.cond)):
            for kind in ("linear", "decoded"):
                a, b = getattr(ours, kind), getattr(theirs, kind)
                assert (a is None) == (b is None)
                if a is not None:
                    np.testing.assert_allclose(to_uint8(a).astype(int),
                                               to_uint8(b).astype(int), atol=1)
    assert "finished" in panel.views.status.full_text()


def test_scrubbing_shows_the_previews_and_latent_of_the_step_chosen(
        qtbot: Any, panel: Any, sd_folder: Path) -> None:
    from app.panels.pipeline.display import latent_grid

    open_sd(qtbot, panel, sd_folder)
    panel.form.decoder.setCurrentIndex(panel.form.decoder.findData(LINEAR))
    run = run_to_end(qtbot, panel, steps=5)
    shown = {}
    for k in (1, 3):
        panel.show_step(k)
        assert panel.views.slider.value() == k and not panel.follow_live
        expected = to_uint8(run.steps[k].step.pixels.linear)
        np.testing.assert_array_equal(panel.views.a_image.image, expected)
        np.testing.assert_array_equal(panel.views.a_latent.image,
                                      latent_grid(run.steps[k].step.x_t))
        assert panel.views.step_label.text().startswith(f"{k + 1} of 5")
        shown[k] = panel.views.a_image.image
    assert not np.array_equal(shown[1], shown[3])
    # The full VAE every 5 steps: step 3 shows the latest decoded step, 0.
    panel.form.decoder.setCurrentIndex(0)
    np.testing.assert_array_equal(panel.views.a_image.image,
                                  to_uint8(run.steps[0].step.pixels.decoded))
    assert "shown: step 1" in panel.views.cost_label.full_text()


def test_guidance_tab_shows_unconditional_conditional_and_guided_x0(
        qtbot: Any, panel: Any, sd_folder: Path) -> None:
    open_sd(qtbot, panel, sd_folder)
    panel.form.decoder.setCurrentIndex(panel.form.decoder.findData(LINEAR))
    run = run_to_end(qtbot, panel, steps=3, guidance=5.0)
    panel.views.tabs.setCurrentIndex(1)  # Guidance
    panel.show_step(1)
    step = run.steps[1]
    panes = panel.views.guidance_panes
    np.testing.assert_array_equal(panes["uncond"].image, to_uint8(step.uncond.linear))
    np.testing.assert_array_equal(panes["cond"].image, to_uint8(step.cond.linear))
    np.testing.assert_array_equal(panes["guided"].image, to_uint8(step.step.pixels.linear))
    assert not np.array_equal(panes["uncond"].image, panes["cond"].image)
    assert "5 ×" in panel.views.guidance_note.text()


def test_attention_tab_overlays_the_chosen_tokens_map_on_x0(
        qtbot: Any, panel: Any, sd_folder: Path) -> None:
    from app.panels.pipeline.display import attention_overlay

    open_sd(qtbot, panel, sd_folder)
    panel.form.decoder.setCurrentIndex(panel.form.decoder.findData(LINEAR))
    run = run_to_end(qtbot, panel, prompt="a cat", steps=3)
    tokens = [panel.views.token.itemText(i).split()[0]
              for i in range(panel.views.token.count())]
    assert tokens == ["a", "c", "a", "t"]  # the tiny vocabulary spells letters
    panel.views.tabs.setCurrentIndex(2)  # Attention
    panel.show_step(2)
    overlays = []
    for i in (1, 3):
        panel.views.token.setCurrentIndex(i)
        pos = panel.views.token.currentData()
        image = to_uint8(run.steps[2].step.pixels.linear)
        expected = attention_overlay(image, run.steps[2].attention[0, pos])
        np.testing.assert_array_equal(panel.views.attention_pane.image, expected)
        overlays.append(panel.views.attention_pane.image)
    assert not np.array_equal(*overlays)


def test_a_branch_equals_the_original_before_its_step_and_differs_after(
        qtbot: Any, panel: Any, sd_folder: Path) -> None:
    open_sd(qtbot, panel, sd_folder)
    panel.form.decoder.setCurrentIndex(panel.form.decoder.findData(LINEAR))
    a = run_to_end(qtbot, panel, prompt="a cat", steps=6, seed=3)
    panel.form.prompt.setText("a dog")
    panel.form.seed.setValue(9)
    panel.form.branch_step.setValue(3)  # shown 1-based: schedule index 2
    assert panel.branch_from_current() is not None
    qtbot.waitUntil(lambda: panel.run_b.status != "running", timeout=RUN_S)
    b = panel.run_b
    assert b.status == "done" and sorted(b.steps) == [2, 3, 4, 5]
    assert b.request["prompt"] == "a dog" and b.request["steps"] == 6
    for k in (0, 1):
        assert b.step(k) is a.step(k)
    np.testing.assert_allclose(b.step(2).step.x_t, a.step(2).step.x_t, atol=1e-6)
    assert not np.allclose(b.step(2).step.x0, a.step(2).step.x0)
    for k in (3, 4, 5):
        assert not np.allclose(b.step(k).step.x_t, a.step(k).step.x_t)
    assert not np.allclose(b.finished.x0, a.finished.x0)
    assert panel.views.b_image.isVisible()
    panel.show_step(1)
    np.testing.assert_array_equal(panel.views.b_image.image, panel.views.a_image.image)
    panel.show_step(4)
    assert not np.array_equal(panel.views.b_image.image, panel.views.a_image.image)


def _png(path: Path, size: tuple[int, int]) -> Path:
    from PIL import Image

    y, x = np.mgrid[0:size[1], 0:size[0]]
    rgb = np.stack([x * 12 % 256, y * 12 % 256, (x + y) * 6 % 256], -1).astype(np.uint8)
    Image.fromarray(rgb).save(path)
    return path


def test_the_mask_brush_paints_the_mask_the_inpainting_run_receives(
        qtbot: Any, panel: Any, sd_folder: Path, tmp_path: Path) -> None:
    from PySide6.QtCore import QPoint, Qt

    from models.pipelines.index import INPAINT

    open_sd(qtbot, panel, sd_folder)
    panel.form.mode.setCurrentIndex(panel.form.mode.findData(INPAINT))
    assert panel.set_input_image(_png(tmp_path / "in.png", (16, 16)))
    canvas = panel.views.mask
    panel.views.tabs.setCurrentIndex(3)
    qtbot.waitExposed(canvas)
    panel.views.brush_size.setValue(3)
    rect = canvas.image_rect()
    scale = rect.width() / 16
    # Click on image pixel (4.5, 10.5)'s centre: the disc of radius 3 around it.
    at = QPoint(round(rect.x() + 4.5 * scale), round(rect.y() + 10.5 * scale))
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=at)
    yy, xx = np.mgrid[0:16, 0:16]
    cx, cy = (at.x() - rect.x()) / scale, (at.y() - rect.y()) / scale
    expected = ((xx + 0.5 - cx) ** 2 + (yy + 0.5 - cy) ** 2 <= 9).astype(np.float32)
    np.testing.assert_array_equal(canvas.mask(), expected)
    panel.views.erase.setChecked(True)
    panel.views.brush_size.setValue(1)
    canvas.paint_at(4.5, 10.5)  # erase a disc of radius 1 inside it
    expected[(xx - 4) ** 2 + (yy - 10) ** 2 <= 1] = 0.0
    np.testing.assert_array_equal(canvas.mask(), expected)
    run = run_to_end(qtbot, panel, steps=4)
    np.testing.assert_array_equal(run.request["mask"], expected)
    assert run.started.meta["mode"] == INPAINT
    assert panel.views.noised_pane.image is not None


def test_bad_images_and_missing_inputs_are_one_line_each_and_lose_nothing(
        qtbot: Any, panel: Any, sd_folder: Path, tmp_path: Path) -> None:
    from models.pipelines.index import IMG2IMG, INPAINT

    open_sd(qtbot, panel, sd_folder)
    seen = messages(panel)
    panel.form.mode.setCurrentIndex(panel.form.mode.findData(IMG2IMG))
    assert panel.run() is None  # no image yet
    good = _png(tmp_path / "good.png", (16, 16))
    assert panel.set_input_image(good)
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    assert not panel.set_input_image(text)
    assert not panel.set_input_image(_png(tmp_path / "odd.png", (15, 17)))
    assert panel.form.image_label.full_text() == "good.png"  # the image chosen stays
    panel.form.mode.setCurrentIndex(panel.form.mode.findData(INPAINT))
    assert panel.run() is None  # nothing painted
    errors = [t for level, t in seen if level == "error"]
    assert len(errors) == 4 and all("\n" not in t for t in errors)
    assert "input image" in errors[0] and "notes.txt" in errors[1]
    assert "15×17" in errors[2] and "mask" in errors[3]


def _no_vae(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder / "vae")


def _edit_json(path: Path, **changes: Any) -> None:
    import json

    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data))


def _pickles_only(folder: Path) -> None:
    """Turn the UNet's safetensors into the pickled .bin older folders hold."""
    import torch
    from safetensors.torch import load_file

    for weights in (folder / "unet").glob("*.safetensors"):
        torch.save(load_file(weights), weights.with_suffix(".bin"))
        weights.unlink()


BREAKAGES = {
    "missing component": (_no_vae, "vae"),
    "unsupported class": (lambda f: _edit_json(f / "model_index.json",
                                               _class_name="KandinskyPipeline"), "Kandinsky"),
    "remote code": (lambda f: _edit_json(f / "unet" / "config.json",
                                         auto_map={"AutoModel": "x.Y"}), "auto_map"),
    "pickled weights": (_pickles_only, "unet"),
}


@pytest.mark.parametrize("breakage", list(BREAKAGES))
def test_a_refused_folder_is_one_line_and_the_open_pipeline_stays(
        qtbot: Any, panel: Any, sd_folder: Path, tmp_path: Path, breakage: str) -> None:
    import shutil

    open_sd(qtbot, panel, sd_folder)
    opened = panel.info
    seen = messages(panel)
    broken = Path(shutil.copytree(sd_folder, tmp_path / "broken"))
    spoil, named = BREAKAGES[breakage]
    spoil(broken)
    panel.open_folder(broken)
    qtbot.waitUntil(lambda: panel.opening is None, timeout=RUN_S)
    assert len(seen) == 1 and seen[0][0] == "error" and named in seen[0][1], seen
    assert "\n" not in seen[0][1]
    assert panel.info is opened and panel.folder == sd_folder
    assert panel.form.run_button.isEnabled()


def test_opening_a_pipeline_connects_no_socket(qtbot: Any, panel: Any, sd_folder: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    calls: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        calls.append(args)
        raise AssertionError("a socket was connected")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    seen = messages(panel)
    open_sd(qtbot, panel, sd_folder)
    assert calls == [] and seen == []
    assert panel.form.mode.currentData() == "text2img"


def test_cancel_stops_a_run_and_keeps_the_steps_recorded(
        qtbot: Any, panel: Any, sd_folder: Path) -> None:
    open_sd(qtbot, panel, sd_folder)
    panel.form.steps.setValue(200)
    panel.run()
    qtbot.waitUntil(lambda: len(panel.run_a.steps) >= 2, timeout=RUN_S)
    assert panel.form.cancel_button.isEnabled()
    panel.cancel()
    qtbot.waitUntil(lambda: panel.run_a.status != "running", timeout=RUN_S)
    assert panel.run_a.status == "cancelled" and panel.run_a.finished is None
    kept = len(panel.run_a.steps)
    assert 2 <= kept < 200 and "cancelled" in panel.views.status.full_text()
    panel.show_step(1)
    assert panel.views.a_image.image is not None
    assert not panel.form.cancel_button.isEnabled()


def test_img2img_shows_where_its_strength_starts_the_run_and_the_noised_input(
        qtbot: Any, panel: Any, sd_folder: Path, tmp_path: Path) -> None:
    from models.pipelines.index import IMG2IMG

    open_sd(qtbot, panel, sd_folder)
    panel.form.mode.setCurrentIndex(panel.form.mode.findData(IMG2IMG))
    panel.set_input_image(_png(tmp_path / "in.png", (16, 16)))
    panel.form.strength.setValue(50)
    panel.form.steps.setValue(8)
    assert panel.form.strength_label.text() == "0.50: starts at step 5 of 8"
    run = run_to_end(qtbot, panel, steps=8)
    assert run.first_index == 4 and sorted(run.steps) == [4, 5, 6, 7]
    assert panel.views.slider.minimum() == 4
    assert "started at step 5 of 8" in panel.form.strength_label.text()
    assert panel.views.noised_pane.image is not None
    assert panel.views.noised_pane.title == "Noised input (step 5)"


def test_controlnet_mode_runs_with_its_folder_image_and_scale(
        qtbot: Any, panel: Any, sd_folder: Path, tmp_path: Path) -> None:
    from models.pipelines.index import CONTROLNET
    from tests.models.pipelines.tiny import tiny_controlnet

    open_sd(qtbot, panel, sd_folder)
    panel.form.mode.setCurrentIndex(panel.form.mode.findData(CONTROLNET))
    seen = messages(panel)
    assert panel.run() is None  # no conditioning image, no ControlNet folder
    panel.set_input_image(_png(tmp_path / "edges.png", (16, 16)))
    assert panel.run() is None
    assert ["needs a conditioning image" in seen[0][1], "ControlNet folder" in seen[1][1]] \
        == [True, True]
    net = tiny_controlnet(tmp_path / "cn", panel.info.opened.pipe.unet)
    assert net is not None
    panel.open_folder(sd_folder, CONTROLNET, tmp_path / "cn")
    qtbot.waitUntil(lambda: panel.opening is None and panel.controlnet is not None,
                    timeout=RUN_S)
    assert panel.form.current_mode() == CONTROLNET and panel.run_a is None
    panel.form.control_scale.setValue(50)
    assert panel.form.control_scale_label.text() == "0.50"
    run = run_to_end(qtbot, panel, steps=3)
    assert run.started.meta["control_scale"] == 0.5 and run.started.meta["mode"] == CONTROLNET


def test_pickled_weights_open_only_once_the_user_allows_them(
        qtbot: Any, panel: Any, sd_folder: Path, tmp_path: Path) -> None:
    import shutil

    folder = Path(shutil.copytree(sd_folder, tmp_path / "bin-only"))
    _pickles_only(folder)
    seen = messages(panel)
    assert not panel.form.allow_pickle.isChecked()  # never by default
    panel.open_folder(folder)
    qtbot.waitUntil(lambda: panel.opening is None, timeout=RUN_S)
    assert panel.info is None and len(seen) == 1 and "pickled" in seen[0][1]
    assert "Allow pickled weights" in panel.views.status.full_text()
    panel.form.allow_pickle.setChecked(True)  # reopens the folder refused
    qtbot.waitUntil(lambda: panel.info is not None and panel.opening is None,
                    timeout=RUN_S)
    assert panel.folder == folder and len(seen) == 1


def test_a_run_without_a_scheduler_chosen_is_refused_in_one_line(
        qtbot: Any, panel: Any, sd_folder: Path) -> None:
    """A scheduler the list lacks (none chosen) is a one-line refusal, not a failed run."""
    open_sd(qtbot, panel, sd_folder)
    seen = messages(panel)
    panel.form.sampler.setCurrentIndex(-1)
    assert panel.run() is None
    assert panel.run_a is None
    assert len(seen) == 1 and "No scheduler chosen" in seen[0][1]
