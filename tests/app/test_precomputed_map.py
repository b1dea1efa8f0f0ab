"""A checkpoint's precomputed latent map: shown before its model (and torch) loads, the
model attaching to it without encoding, t-SNE from the file, and the file used once torch
is ready."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from models.autoencoders.config import VAEConfig
from models.checkpoint import save_checkpoint
from models.config import DataConfig
from models.opened import open_model
from models.pictures.map_file import PrecomputedMap, load_map, map_path, save_map
from models.pictures.map_writer import computed_contents
from models.registry import build_model

ROOT = Path(__file__).resolve().parents[2]
DIGITS = tuple(str(i) for i in range(10))
N = 5000  # mnist5k


@pytest.fixture(scope="module")
def pictured(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny 2-D VAE checkpoint with its precomputed map (t-SNE positions: made up, so a
    map showing them can only have read them from the file)."""
    folder = tmp_path_factory.mktemp("pictured") / "vae2"
    torch.manual_seed(0)
    model = build_model("vae", VAEConfig(latent_dim=2, hidden_dims=(32,)))
    save_checkpoint(folder, model, data=DataConfig(dataset="mnist5k"), class_names=DIGITS,
                    progress={"epoch": 3})
    from models.pictures.fingerprint import weights_fingerprint

    contents = computed_contents(open_model(folder), lambda _stage: None)
    tsne = np.random.default_rng(5).normal(size=(N, 2)).astype(np.float32)
    save_map(folder, PrecomputedMap(contents, weights_fingerprint(folder), {"t-SNE": tsne}))
    return folder


@pytest.fixture
def panel(latent_map_panel: Any) -> Any:
    """The latent map panel under test (tests/app/conftest.py)."""
    return latent_map_panel


@pytest.fixture
def no_encoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any computation of a map (encoding, generating) fail the test's map job."""
    def refuse(*_a: Any, **_k: Any) -> Any:
        raise AssertionError("the map was computed instead of read from its file")

    monkeypatch.setattr("models.latent.map_compute.compute_map", refuse)
    monkeypatch.setattr("models.latent.encode.encode_dataset", refuse)


def _show_pictures(qtbot: Any, panel: Any, checkpoint: Path) -> None:
    panel.session.picturesOpened.emit(checkpoint)
    qtbot.waitUntil(lambda: panel.projection is not None and panel.latent.busy is None,
                    timeout=20_000)


def _decoded(qtbot: Any, panel: Any, channel: str) -> Any:
    return qtbot.waitSignal(panel.latent.decoded, timeout=20_000,
                            check_params_cb=lambda ch, _images: ch == channel)


def _empty_spot(panel: Any) -> tuple[float, float]:
    """Return a position outside every point, made visible."""
    x, y = (float(v) + 0.5 for v in panel.projection.positions.max(0))
    panel.view_box.setRange(xRange=(x - 1, x + 1), yRange=(y - 1, y + 1), padding=0)
    return x, y


def test_the_map_shows_from_its_file_before_any_model(qtbot, panel, pictured) -> None:
    expected = load_map(pictured)
    _show_pictures(qtbot, panel, pictured)
    data = panel.data
    assert panel.session.models.current is None and data.model is None
    assert data.path == pictured and data.epoch == 3 and data.class_names == DIGITS
    np.testing.assert_array_equal(data.means, expected.contents.means)
    np.testing.assert_array_equal(panel.projection.positions, expected.contents.means)
    assert sum(panel.scatter.counts().values()) == N and panel.legend.count() == 10
    assert "decoding starts once PyTorch has loaded" in panel.status.text()
    # What needs the model is off, and says why; hover shows the data image alone.
    assert not panel.grid_check.isEnabled() and not panel.refresh_button.isEnabled()
    assert "PyTorch" in panel.grid_check.toolTip()
    assert panel.hover_at(*(float(v) for v in panel.projection.positions[11])) is not None
    assert panel.thumbnail.isVisible() and panel.hover_caption[1] == ("input",)
    assert panel.click_at(*_empty_spot(panel)) is None
    assert "PyTorch" in panel.detail.text.text()
    lo, hi = panel.projection.positions.min(0) - 1, panel.projection.positions.max(0) + 1
    idx = panel.select_group("A", np.array([[lo[0], lo[1]], [hi[0], lo[1]], [hi[0], hi[1]]]))
    assert len(idx) > 0 and "PyTorch" in panel.groups_view.vector.text()
    panel.refresh()  # with no model: nothing happens, nothing breaks
    panel.grid_check.setChecked(True)
    qtbot.wait(100)
    assert not panel.grid_image.isVisible()
    assert panel.latent.decode("hover", np.zeros((1, 2), np.float32)) > 0  # ignored, no error


def test_the_model_attaches_to_the_map_shown_without_encoding(qtbot, panel, pictured,
                                                              no_encoding) -> None:
    _show_pictures(qtbot, panel, pictured)
    shown, generation = panel.data, panel.latent.generation
    panel.view_box.setRange(xRange=(-0.5, 0.25), yRange=(0.1, 0.6), padding=0)  # zoomed in
    view = panel.view_box.viewRange()
    model = open_model(pictured)
    panel.session.models.adopt(model, same_run=False)
    # Reset and drawn again in the same turn of the event loop: never a blank map, and
    # the user's zoom stays.
    assert panel.data is not None and panel.data.model is model
    assert panel.projection is not None and sum(panel.scatter.counts().values()) == N
    np.testing.assert_allclose(panel.view_box.viewRange(), view)
    assert panel.latent.generation == generation and panel.latent.busy is None
    np.testing.assert_array_equal(panel.data.means, shown.means)
    assert "PyTorch" not in panel.status.text()
    assert panel.grid_check.isEnabled() and panel.refresh_button.isEnabled()
    x, y = _empty_spot(panel)
    with _decoded(qtbot, panel, "detail"):
        anchor = panel.click_at(x, y)
    np.testing.assert_allclose(anchor.latent, [x, y], atol=1e-6)
    with _decoded(qtbot, panel, "grid"):
        panel.grid_check.setChecked(True)


def test_a_model_opening_while_the_file_is_read_attaches_on_arrival(
        qtbot, panel, pictured, no_encoding, monkeypatch) -> None:
    import app.session.latent_jobs as jobs

    real = jobs.load_map
    monkeypatch.setattr(jobs, "load_map", lambda ck: (time.sleep(0.8), real(ck))[1])
    model = open_model(pictured)
    panel.session.picturesOpened.emit(pictured)
    generation = panel.latent.generation
    panel.session.models.adopt(model, same_run=False)  # before the file has been read
    qtbot.waitUntil(lambda: panel.projection is not None and panel.latent.busy is None,
                    timeout=20_000)
    assert panel.data.model is model and panel.latent.data.model is model
    assert panel.data.generation == generation  # the read in progress, not a new map job


def test_tsne_comes_from_the_file_at_once(qtbot, panel, pictured, monkeypatch) -> None:
    def no_child(*_a: Any, **_k: Any) -> Any:
        raise AssertionError("t-SNE was computed instead of read from the file")

    monkeypatch.setattr("models.latent.embedding.tsne_embedding", no_child)
    _show_pictures(qtbot, panel, pictured)
    start = time.perf_counter()
    panel.choose_projection("t-SNE")
    # The projection is shown before the job reports itself done: wait for both.
    qtbot.waitUntil(lambda: panel.projection.method == "t-SNE" and panel.latent.busy is None,
                    timeout=5_000)
    assert time.perf_counter() - start < 1.0
    np.testing.assert_array_equal(panel.projection.positions,
                                  load_map(pictured).projections["t-SNE"])
    assert not panel.progress_bar.isVisible() and panel.latent.busy is None


def test_with_torch_ready_opening_the_model_reads_its_map_file(qtbot, panel, pictured,
                                                               no_encoding) -> None:
    model = open_model(pictured)
    panel.session.models.adopt(model, same_run=False)
    qtbot.waitUntil(lambda: panel.projection is not None and panel.latent.busy is None,
                    timeout=20_000)
    assert panel.data.model is model and "t-SNE" in panel.data.precomputed
    np.testing.assert_array_equal(panel.data.means, load_map(pictured).contents.means)


def test_a_refused_file_shows_nothing_and_the_model_then_encodes(qtbot, panel, pictured,
                                                                 tmp_path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(pictured, copy)
    map_path(copy).write_bytes(b"garbage")
    assert panel.session.latent.show_precomputed(copy) is True
    qtbot.waitUntil(lambda: panel.latent.busy is None, timeout=20_000)
    assert panel.data is None
    model = open_model(copy)
    panel.session.models.adopt(model, same_run=False)
    qtbot.waitUntil(lambda: panel.projection is not None and panel.latent.busy is None,
                    timeout=60_000)
    assert panel.data.model is model and panel.data.precomputed == {}


def test_another_model_replaces_the_precomputed_map(qtbot, panel, pictured,
                                                    tmp_path) -> None:
    _show_pictures(qtbot, panel, pictured)
    other = tmp_path / "other"
    shutil.copytree(pictured, other)
    shutil.rmtree(other / "precomputed")
    panel.session.models.adopt(open_model(other), same_run=False)
    assert panel.latent.data is None  # the map of `pictured` is gone at once
    qtbot.waitUntil(lambda: panel.projection is not None and panel.latent.busy is None,
                    timeout=60_000)
    assert panel.data.path == other and panel.data.precomputed == {}


def test_a_model_that_fails_to_open_takes_its_pictures_away(qtbot, panel, pictured) -> None:
    from app.panels.latent_map.panel import EMPTY_TEXT

    _show_pictures(qtbot, panel, pictured)
    panel.session.latent.clear()  # what the session does when the model fails to open
    assert panel.data is None and panel.projection is None
    assert sum(panel.scatter.counts().values()) == 0 and panel.status.text() == EMPTY_TEXT


def test_a_checkpoint_without_a_map_file_says_so(panel, tmp_path) -> None:
    assert panel.session.latent.show_precomputed(tmp_path) is False


TORCH_FREE = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from app.main import configure_pyqtgraph
    from app.panels.latent_map import LatentMapPanel
    from app.session import Session
    configure_pyqtgraph()
    session = Session(Path(sys.argv[2]))
    panel = LatentMapPanel(session)
    panel.resize(800, 600)
    panel.show()
    session.picturesOpened.emit(Path(sys.argv[1]))
    deadline = time.monotonic() + 60
    while (panel.projection is None or session.latent.busy) and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    pos = panel.projection.positions
    panel.hover_at(float(pos[3, 0]), float(pos[3, 1]))
    panel.choose_projection("t-SNE")
    while panel.projection.method != "t-SNE" and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    print(len(panel.data.means), panel.projection.method, "torch" in sys.modules)
    session.shutdown(2.0)
    panel.close()
""")


def test_showing_the_map_from_its_file_never_imports_torch(pictured, tmp_path) -> None:
    result = subprocess.run([sys.executable, "-c", TORCH_FREE, str(pictured),
                             str(tmp_path / "runs")], cwd=ROOT, capture_output=True,
                            text=True, timeout=120,
                            env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(N), "t-SNE", "False"], result.stderr
