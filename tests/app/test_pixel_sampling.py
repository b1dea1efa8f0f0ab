"""The Pixels dock: a PixelCNN's draw streams in value by value, scrubbing to step k shows
exactly the first k values the recording holds, hovering a pixel charts the distribution
it was drawn from, and Stop leaves a usable viewer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt

from app.panels.pixel_sampling.grid import UNDRAWN

SIZE = 8  # 8×8 grey images: 64 values each
WAIT_MS = 60_000


def _checkpoint(root: Path, conditional: bool) -> Path:
    import torch

    from models.checkpoint import save_checkpoint
    from models.config import DataConfig
    from models.pixelcnn.config import PixelCNNConfig
    from models.pixelcnn.model import PixelCNN

    torch.manual_seed(0)
    model = PixelCNN(PixelCNNConfig(image_size=SIZE, filters=6, gated_layers=1,
                                    output_filters=6, class_conditional=conditional))
    return save_checkpoint(root / ("cpcnn" if conditional else "pcnn"), model,
                           data=DataConfig(dataset="digits", image_size=SIZE),
                           class_names=tuple(str(d) for d in range(10)),
                           progress={"epoch": 1})


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    """Run torch on one thread, as the window does on two cores: two spinning OpenMP
    threads beside the other busy processes of this machine made a draw 10× slower."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny untrained PixelCNN over 8×8 grey images."""
    return _checkpoint(tmp_path_factory.mktemp("pixels-ck"), conditional=False)


@pytest.fixture
def panel(qtbot: Any, tmp_path: Path) -> Iterator[Any]:
    """A shown PixelSamplingPanel on a fresh session, sending every step to the view as
    its own piece; its lane must join at teardown."""
    from app.panels.pixel_sampling import PixelSamplingPanel
    from tests.app.conftest import shown_panel

    widget, session = shown_panel(qtbot, tmp_path, PixelSamplingPanel, (1100, 650))
    widget.piece_s = 0.0
    yield widget
    assert session.jobs.await_all(2.0) and session.shutdown(5.0)
    assert not session.jobs.threads_running()


def _open(qtbot: Any, panel: Any, path: Path) -> Any:
    """Open `path` in the panel's session; return the opened model."""
    from models.opened import open_model

    model = open_model(path)
    panel.session.models.adopt(model, same_run=False)
    qtbot.waitUntil(lambda: panel.model is model, timeout=WAIT_MS)
    return model


def _finished(qtbot: Any, panel: Any) -> None:
    qtbot.waitUntil(lambda: not panel.running(), timeout=WAIT_MS)
    assert panel.recording is not None and panel.recording.complete


def _recorded(model: Any, panel: Any) -> Any:
    """Return `record_sampling` of the draw the panel made."""
    import torch

    from models.pixelcnn.sampling import record_sampling

    spec = panel.recording.spec
    labels = None if spec.labels is None else torch.tensor(spec.labels)
    return record_sampling(model.inference_copy(), spec.n, spec.seed, labels,
                           spec.temperature)


def _shown_levels(panel: Any) -> tuple[np.ndarray, np.ndarray]:
    """Return (grey levels [n, H, W], drawn mask [n, H, W]) of what the grid shows."""
    rgb = panel.grid.images
    undrawn = np.all(rgb == np.array(UNDRAWN, np.uint8), axis=-1)
    return rgb[..., 0], ~undrawn


def _hover(qtbot: Any, panel: Any, image: int, row: int, col: int) -> None:
    centre = panel.grid.pixel_rect(image, row, col).center().toPoint()
    qtbot.mouseMove(panel.grid, centre)
    qtbot.waitUntil(lambda: panel.hover == (image, row, col), timeout=5000)


def test_a_draw_streams_in_and_each_step_shows_the_recordings_first_values(
        qtbot: Any, panel: Any, checkpoint: Path) -> None:
    seen: list[tuple[int, int]] = []  # (steps arrived, values shown drawn) while running
    panel.stepsArrived.connect(
        lambda n: seen.append((n, int(_shown_levels(panel)[1].sum()))))
    panel.controls.seed_spin.setValue(7)  # before opening: the first draw uses it
    model = _open(qtbot, panel, checkpoint)  # shown while idle: it draws at once
    _finished(qtbot, panel)
    n = panel.recording.spec.n
    # Streamed: the grid filled in piece by piece while the job ran.
    assert len(seen) > 2 and seen[0][0] < SIZE * SIZE
    assert seen[0][1] == seen[0][0] * n
    rec = _recorded(model, panel)
    np.testing.assert_array_equal(panel.recording.values, rec.values)
    np.testing.assert_array_equal(panel.recording.probs, rec.probs)
    for k in (0, 1, 2, 13, 40, SIZE * SIZE):
        panel.playback.slider.setValue(k)
        levels, drawn = _shown_levels(panel)
        expected = rec.partial(k - 1)[:, 0]
        mask = np.broadcast_to(rec.filled(k - 1)[0], expected.shape)
        np.testing.assert_array_equal(drawn, mask)
        np.testing.assert_array_equal(levels[mask], expected[mask])
        current = None if k == 0 else tuple(int(v) for v in rec.positions[k - 1][:2])
        assert panel.grid.current == current
        assert panel.playback.step_label.text().startswith(f"{k} / {SIZE * SIZE} values")


def test_hovering_a_pixel_charts_the_distribution_it_was_drawn_from(
        qtbot: Any, panel: Any, checkpoint: Path) -> None:
    model = _open(qtbot, panel, checkpoint)
    _finished(qtbot, panel)
    rec = _recorded(model, panel)
    k = 21  # rows 0–1 and 5 values of row 2 drawn
    panel.playback.slider.setValue(k)
    # Not hovering: image 1's latest value.
    np.testing.assert_allclose(panel.chart.heights, rec.probs[k - 1, 0].astype(float))
    assert panel.chart.drawn == rec.values[k - 1, 0]
    # A pixel already drawn: the distribution it was drawn from, the value marked.
    _hover(qtbot, panel, 2, 1, 6)
    step = 1 * SIZE + 6
    np.testing.assert_allclose(panel.chart.heights, rec.probs[step, 2].astype(float))
    assert panel.chart.drawn == rec.values[step, 2]
    p = rec.probs[step, 2].astype(np.float64)
    p = p[p > 0] / p.sum()
    assert panel.chart.entropy == pytest.approx(-(p * np.log2(p)).sum())
    assert f"Entropy {panel.chart.entropy:.2f} bits" in \
        panel.chart.plot.plotItem.titleLabel.text
    assert "Image 3, row 1, col 6" in panel.chart.info.text()
    # On a log scale the drawn value's stem reaches log10 of its probability.
    panel.chart.log_box.setChecked(True)
    _, y = panel.chart.drawn_stem.getData()
    drawn_p = max(float(rec.probs[step, 2, rec.values[step, 2]]), 1e-4)
    assert y[1] == pytest.approx(np.log10(drawn_p), abs=1e-6) and y[0] == -4
    panel.chart.log_box.setChecked(False)
    _, y = panel.chart.drawn_stem.getData()
    assert y[1] == pytest.approx(float(rec.probs[step, 2, rec.values[step, 2]]))
    # A pixel still to come: that image's current pixel.
    _hover(qtbot, panel, 3, 6, 6)
    np.testing.assert_allclose(panel.chart.heights, rec.probs[k - 1, 3].astype(float))
    # Playing on while hovering a drawn pixel keeps its distribution.
    _hover(qtbot, panel, 1, 0, 3)
    panel.playback.step_forward()
    np.testing.assert_allclose(panel.chart.heights, rec.probs[3, 1].astype(float))


def test_stop_keeps_the_values_drawn_and_a_new_draw_works(
        qtbot: Any, panel: Any, checkpoint: Path) -> None:
    stopped: list[int] = []

    def stop_at_first_piece(available: int) -> None:
        if not stopped:
            stopped.append(available)
            qtbot.mouseClick(panel.controls.stop_button, Qt.MouseButton.LeftButton)

    panel.stepsArrived.connect(stop_at_first_piece)
    model = _open(qtbot, panel, checkpoint)
    qtbot.waitUntil(lambda: bool(stopped), timeout=WAIT_MS)
    assert not panel.running() and not panel.controls.stop_button.isEnabled()
    qtbot.wait(200)  # pieces the lane sent after the stop are dropped
    available = panel.recording.available
    assert available == stopped[0] < SIZE * SIZE
    assert panel.playback.slider.maximum() == available
    assert f"Stopped after {available} of {SIZE * SIZE} values" in panel.status.text()
    panel.playback.slider.setValue(0)
    panel.playback.step_forward()
    assert panel.playback.step() == 1
    # Sample again: the whole draw, as recorded.
    panel.stepsArrived.disconnect(stop_at_first_piece)
    panel.controls.seed_spin.setValue(3)
    qtbot.mouseClick(panel.controls.sample_button, Qt.MouseButton.LeftButton)
    _finished(qtbot, panel)
    rec = _recorded(model, panel)
    assert rec.seed == 3
    np.testing.assert_array_equal(panel.recording.values, rec.values)
    assert panel.playback.step() == SIZE * SIZE
    assert "Drew 4 images" in panel.status.text()


def test_play_runs_to_the_last_value_and_stops(qtbot: Any, panel: Any,
                                               checkpoint: Path) -> None:
    _open(qtbot, panel, checkpoint)
    _finished(qtbot, panel)
    bar = panel.playback
    bar.speed.setCurrentIndex(bar.speed.count() - 1)  # the fastest
    bar.slider.setValue(0)
    qtbot.mouseClick(bar.play_button, Qt.MouseButton.LeftButton)
    assert bar.play_button.text() == "Pause"
    qtbot.waitUntil(lambda: bar.step() == SIZE * SIZE and not bar.play_button.isChecked(),
                    timeout=10_000)
    assert bar.play_button.text() == "Play"
    bar.step_back()
    assert bar.step() == SIZE * SIZE - 1


def test_a_conditional_model_draws_the_class_chosen(qtbot: Any, panel: Any,
                                                    tmp_path: Path) -> None:
    model = _open(qtbot, panel, _checkpoint(tmp_path, conditional=True))
    _finished(qtbot, panel)
    combo = panel.controls.class_combo
    assert combo.isVisible() and combo.count() == 11
    assert panel.recording.spec.labels == (0, 1, 2, 3)  # each its own, by default
    combo.setCurrentIndex(combo.findData(3))
    _hover(qtbot, panel, 3, 0, 0)  # an image the next draw does not have
    panel.controls.n_spin.setValue(2)
    qtbot.mouseClick(panel.controls.sample_button, Qt.MouseButton.LeftButton)
    _finished(qtbot, panel)
    assert panel.recording.spec.labels == (3, 3)
    rec = _recorded(model, panel)
    np.testing.assert_array_equal(panel.recording.values, rec.values)
    assert panel.grid.captions == ["1 · 3", "2 · 3"]
    assert panel.hover is None and panel.chart.drawn == rec.values[-1, 0]


def test_newer_weights_keep_the_draw_shown_and_the_next_draw_uses_them(
        qtbot: Any, panel: Any, tmp_path: Path) -> None:
    from models.opened import open_model

    path = _checkpoint(tmp_path, conditional=True)
    _open(qtbot, panel, path)
    _finished(qtbot, panel)
    combo = panel.controls.class_combo
    combo.setCurrentIndex(combo.findData(5))
    shown = panel.recording
    newer = open_model(path)
    panel.session.models.adopt(newer, same_run=True)
    assert panel.model is newer and panel.recording is shown  # not drawn again
    assert "Sample draws with them" in panel.status.text() and combo.currentData() == 5
    # Hidden, a model opened waits; newer weights of its run replace it before it shows.
    panel.hide()
    panel.session.models.adopt(open_model(path), same_run=False)
    newest = open_model(path)
    panel.session.models.adopt(newest, same_run=True)
    assert panel.pending is newest and panel.recording is None
    panel.show()
    qtbot.waitUntil(lambda: panel.model is newest, timeout=WAIT_MS)
    _finished(qtbot, panel)


def test_colour_images_are_drawn_channel_by_channel(qtbot: Any, panel: Any,
                                                    tmp_path: Path) -> None:
    import torch

    from models.checkpoint import save_checkpoint
    from models.config import DataConfig
    from models.pixelcnn.config import PixelCNNConfig
    from models.pixelcnn.model import PixelCNN

    torch.manual_seed(1)
    path = save_checkpoint(tmp_path / "rgb", PixelCNN(PixelCNNConfig(
        image_size=SIZE, channels=3, filters=6, gated_layers=1, output_filters=6)),
        data=DataConfig(dataset="digits", image_size=SIZE, channels=3))
    model = _open(qtbot, panel, path)
    _finished(qtbot, panel)
    rec = _recorded(model, panel)
    assert panel.recording.spec.steps == 3 * SIZE * SIZE
    panel.playback.slider.setValue(5)  # pixel (0, 0) whole, R and G of pixel (0, 1)
    rgb = panel.grid.images
    np.testing.assert_array_equal(rgb[:, 0, 0], rec.images[:, :, 0, 0])
    np.testing.assert_array_equal(rgb[:, 0, 1, :2], rec.images[:, :2, 0, 1])
    assert (rgb[:, 0, 1, 2] == 0).all() and (rgb[:, 0, 2] == UNDRAWN).all()
    assert panel.grid.current == (0, 1)
    _hover(qtbot, panel, 1, 0, 1)  # its latest value: G
    np.testing.assert_allclose(panel.chart.heights, rec.probs[4, 1].astype(float))
    assert "Image 2, row 0, col 1, G (value 5 of 192)" in panel.chart.info.text()


def test_a_model_drawing_whole_images_is_refused_in_words(qtbot: Any, panel: Any,
                                                          tmp_path: Path) -> None:
    from models.autoencoders.config import VAEConfig
    from models.checkpoint import save_checkpoint
    from models.config import DataConfig
    from models.opened import open_model
    from models.registry import build_model

    path = save_checkpoint(tmp_path / "vae", build_model(
        "vae", VAEConfig(latent_dim=2, hidden_dims=(8,))), data=DataConfig(dataset="digits"))
    panel.session.models.adopt(open_model(path), same_run=False)
    qtbot.waitUntil(lambda: "draws each image whole" in panel.status.text(),
                    timeout=WAIT_MS)
    assert panel.model is None and not panel.controls.sample_button.isEnabled()
    assert not panel.running() and panel.grid.images is None


def test_streamed_pieces_join_into_the_recording(checkpoint: Path) -> None:
    from models.opened import open_model
    from models.pixelcnn.sampling import record_sampling, stream_sampling

    model = open_model(checkpoint).inference_copy()
    ticks = iter(range(10_000))  # a clock one second on at each reading
    pieces = [p for p in stream_sampling(model, 3, 5, every_s=10.0,
                                         clock=lambda: float(next(ticks)))]
    sent = [p for p in pieces if p is not None]
    assert len(pieces) == SIZE * SIZE  # one yield per value: a job can stop between them
    assert len(sent) == 7 and [p.start for p in sent] == list(range(0, SIZE * SIZE, 10))
    rec = record_sampling(model, 3, 5)
    np.testing.assert_array_equal(np.concatenate([p.positions for p in sent]), rec.positions)
    np.testing.assert_array_equal(np.concatenate([p.values for p in sent]), rec.values)
    np.testing.assert_array_equal(np.concatenate([p.probs for p in sent]), rec.probs)


def test_the_dock_fits_1280x720_normal_and_presenting(
        make_window: Any, qtbot: Any, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    from PySide6.QtCore import QSize

    from app.window import screen_fit
    from tests.app.test_fits_the_room import SETTLE_MS, _problems

    size = QSize(1280, 720)
    monkeypatch.setattr(screen_fit, "screen_limit", lambda _window: QSize(size))
    window = make_window()
    window.open_path(_checkpoint(tmp_path, conditional=True))
    dock = window.pixels_dock
    panel = dock.widget()
    qtbot.waitUntil(lambda: panel.recording is not None and panel.recording.complete
                    and not panel.running(), timeout=WAIT_MS)
    assert not dock.visibleRegion().isEmpty()  # brought forward for a PixelCNN
    found = []
    for mode in ("normal", "presentation"):
        if mode == "presentation":
            window.toggle_presentation()
            window.showNormal()  # full screen would be the offscreen screen's size
        window.resize(size)
        qtbot.wait(SETTLE_MS)
        _hover(qtbot, panel, 1, 3, 3)
        assert panel.chart.drawn is not None
        found += _problems(window, dock, f"pixels {mode}", size.width())
        side = panel.grid.image_rects()[0].width()
        assert side >= 150, f"{mode}: images {side} px wide"
    window.toggle_presentation()
    assert not found, "\n".join(found)


def test_random_use_raises_nothing_and_leaves_a_working_viewer(
        qtbot: Any, panel: Any, checkpoint: Path) -> None:
    import random

    from PySide6.QtCore import QEvent, QPoint
    from PySide6.QtWidgets import QApplication

    rng = random.Random(22)
    model = _open(qtbot, panel, checkpoint)
    bar, controls = panel.playback, panel.controls

    def hover() -> None:
        qtbot.mouseMove(panel.grid, QPoint(rng.randrange(panel.grid.width()),
                                           rng.randrange(panel.grid.height())))

    def leave() -> None:
        QApplication.sendEvent(panel.grid, QEvent(QEvent.Type.Leave))

    actions = [
        lambda: controls.sample_button.click(), lambda: controls.stop_button.click(),
        lambda: bar.slider.setValue(rng.randint(0, bar.slider.maximum())),
        bar.step_back, bar.step_forward, lambda: bar.play_button.toggle(),
        lambda: bar.first_button.click(), lambda: bar.last_button.click(),
        lambda: bar.speed.setCurrentIndex(rng.randrange(bar.speed.count())),
        lambda: controls.n_spin.setValue(rng.randint(1, 16)),
        lambda: controls.seed_spin.setValue(rng.randint(0, 99)),
        lambda: controls.temperature.setValue(rng.uniform(0.05, 3.0)),
        hover, hover, leave, lambda: panel.chart.log_box.toggle(),
        lambda: panel.resize(rng.randint(300, 1400), rng.randint(250, 900)),
    ]
    for _ in range(150):
        rng.choice(actions)()
        qtbot.wait(rng.choice((0, 1, 5, 20)))
    controls.sample_button.click()
    _finished(qtbot, panel)
    rec = _recorded(model, panel)
    np.testing.assert_array_equal(panel.recording.values, rec.values)
