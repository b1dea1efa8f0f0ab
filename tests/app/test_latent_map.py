"""The Latent Map panel: encode job, click-to-decode, PCA inverse, hover, classes, groups."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from models.autoencoders.config import VAEConfig
from models.checkpoint import load_checkpoint, save_checkpoint
from models.config import DataConfig
from models.images import to_uint8_nhwc
from models.registry import build_model

DIGITS = tuple(str(i) for i in range(10))


def _checkpoint(folder: Path, latent_dim: int) -> Path:
    torch.manual_seed(0)
    model = build_model("vae", VAEConfig(latent_dim=latent_dim, hidden_dims=(32,)))
    return save_checkpoint(folder, model, data=DataConfig(dataset="mnist5k"),
                           class_names=DIGITS, progress={"epoch": 3})


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    root = tmp_path_factory.mktemp("latent-ck")
    return {d: _checkpoint(root / f"vae{d}", d) for d in (2, 4)}


@pytest.fixture
def panel(latent_map_panel: Any) -> Any:
    """The latent map panel under test (tests/app/conftest.py)."""
    return latent_map_panel


def _show(panel: Any, path: Path) -> Any:
    """Open the checkpoint at `path` as the window's model (as File › Open does); return it."""
    from models.opened import open_model

    model = open_model(path)
    panel.session.models.adopt(model, same_run=False)
    return model


def _load(qtbot: Any, panel: Any, path: Path) -> Any:
    model = _show(panel, path)
    qtbot.waitUntil(lambda: panel.projection is not None and panel.latent.busy is None,
                    timeout=60_000)
    return model


def _decoded(qtbot: Any, panel: Any, channel: str) -> Any:
    return qtbot.waitSignal(panel.latent.decoded, timeout=10_000,
                            check_params_cb=lambda ch, _images: ch == channel)


def _reference_decode(path: Path, latent: np.ndarray) -> np.ndarray:
    model = load_checkpoint(path).model
    with torch.no_grad():
        return to_uint8_nhwc(model.decode(torch.from_numpy(latent.reshape(1, -1))))


def test_encode_job_yields_every_latent_and_a_legend(qtbot, panel, checkpoints) -> None:
    from PySide6.QtCore import QThread

    progress: list[tuple[str, int, int]] = []
    threads: list[object] = []
    panel.latent.progress.connect(lambda *a: progress.append(a))
    # Lane results reach the panel through the job service, on the GUI thread.
    panel.latent.mapReady.connect(lambda _d: threads.append(QThread.currentThread()))
    _load(qtbot, panel, checkpoints[2])
    assert threads == [panel.thread()]
    data = panel.data
    assert data.means.shape == (5000, 2) and data.means.dtype == np.float32
    assert data.labels.shape == (5000,) and data.images.shape == (5000, 28, 28, 1)
    assert data.epoch == 3 and data.class_names == DIGITS
    assert panel.projection.method == "Latent (2-D)"
    np.testing.assert_array_equal(panel.projection.positions, data.means)
    assert any(stage == "Encoding the dataset" and done == total == 5000
               for stage, done, total in progress)
    assert panel.legend.count() == 10
    assert sum(panel.scatter.counts().values()) == 5000
    assert panel.projection_box.itemText(0) == "Latent (2-D)"


def test_clicking_empty_space_decodes_exactly_there(qtbot, panel, checkpoints) -> None:
    _load(qtbot, panel, checkpoints[2])
    means = panel.data.means
    # A spot well outside every point, inside the visible range.
    x, y = float(means[:, 0].max()) + 0.5, float(means[:, 1].max()) + 0.5
    panel.view_box.setRange(xRange=(x - 1, x + 1), yRange=(y - 1, y + 1), padding=0)
    qtbot.wait(20)
    with _decoded(qtbot, panel, "detail") as blocker:
        anchor = panel.click_at(x, y)
    assert anchor is not None and anchor.index is None
    np.testing.assert_allclose(anchor.latent, [x, y], rtol=0, atol=1e-6)
    assert panel.session.latent_selection is anchor
    np.testing.assert_array_equal(blocker.args[1], _reference_decode(checkpoints[2],
                                                                     anchor.latent))


def test_a_real_mouse_click_on_a_point_selects_it(qtbot, panel, checkpoints) -> None:
    from PySide6.QtCore import QPointF, Qt

    _load(qtbot, panel, checkpoints[2])
    i = 123
    pos = panel.projection.positions[i]
    scene = panel.view_box.mapViewToScene(QPointF(float(pos[0]), float(pos[1])))
    widget_pos = panel.plot.mapFromScene(scene)
    with qtbot.waitSignal(panel.session.latentSelected, timeout=5000) as blocker:
        qtbot.mouseClick(panel.plot.viewport(), Qt.MouseButton.LeftButton, pos=widget_pos)
    anchor = blocker.args[0]
    # The point under the cursor, or one drawn on the very same pixel.
    assert np.hypot(*(panel.projection.positions[anchor.index] - pos)) < 3 * max(
        panel._pixel_size())
    np.testing.assert_array_equal(anchor.latent, panel.data.means[anchor.index])


def test_pca_map_inverts_positions_for_decoding(qtbot, panel, checkpoints) -> None:
    _load(qtbot, panel, checkpoints[4])
    proj = panel.projection
    assert proj.method == "PCA" and proj.invertible
    np.testing.assert_allclose(proj.positions, proj.pca.transform(panel.data.means),
                               atol=1e-5)
    x, y = (float(v) + 1.0 for v in proj.positions.max(0))
    panel.view_box.setRange(xRange=(x - 1, x + 1), yRange=(y - 1, y + 1), padding=0)
    with _decoded(qtbot, panel, "detail") as blocker:
        anchor = panel.click_at(x, y)
    # Round trip: the decoded latent projects back onto the clicked position.
    np.testing.assert_allclose(proj.pca.transform(anchor.latent[None])[0], [x, y], atol=1e-4)
    np.testing.assert_array_equal(blocker.args[1], _reference_decode(checkpoints[4],
                                                                     anchor.latent))


def test_hover_returns_the_nearest_visible_point(qtbot, panel, checkpoints) -> None:
    _load(qtbot, panel, checkpoints[2])
    pos = panel.projection.positions
    px = panel._pixel_size()
    rng = np.random.default_rng(1)
    for i in rng.choice(len(pos), 20, replace=False):
        x, y = pos[i] + np.array(px) * 2  # two pixels off the point
        got = panel.hover_at(float(x), float(y))
        d = np.hypot((pos[:, 0] - x) / px[0], (pos[:, 1] - y) / px[1])
        assert got is not None and np.isclose(d[got], d.min())
    assert panel.thumbnail.isVisible()
    with _decoded(qtbot, panel, "hover"):
        panel.hover_at(*(float(v) for v in pos[7]))
    far = pos.max(0) + 1000 * np.array(px)
    assert panel.hover_at(float(far[0]), float(far[1])) is None
    assert not panel.thumbnail.isVisible()


def test_classes_hide_and_show(qtbot, panel, checkpoints) -> None:
    _load(qtbot, panel, checkpoints[2])
    labels, pos = panel.data.labels, panel.projection.positions
    i = int(np.flatnonzero(labels == 3)[0])
    panel.legend.set_checked(3, False)
    assert not panel.scatter.items[3].isVisible()
    assert panel.scatter.items[4].isVisible()
    got = panel.scatter.nearest_any(*(float(v) for v in pos[i]))
    assert labels[got] != 3
    panel.legend.set_checked(3, True)
    assert panel.scatter.items[3].isVisible()
    got = panel.scatter.nearest_any(*(float(v) for v in pos[i]))
    assert np.allclose(pos[got], pos[i])


def test_two_groups_give_an_attribute_vector(qtbot, panel, checkpoints) -> None:
    _load(qtbot, panel, checkpoints[4])
    pos, means = panel.projection.positions, panel.data.means
    mx = float(np.median(pos[:, 0]))
    lo, hi = pos.min(0) - 1, pos.max(0) + 1
    left = np.array([[lo[0], lo[1]], [mx, lo[1]], [mx, hi[1]], [lo[0], hi[1]]])
    right = np.array([[mx, lo[1]], [hi[0], lo[1]], [hi[0], hi[1]], [mx, hi[1]]])
    with _decoded(qtbot, panel, "groupA"):
        panel.view_box.shapeDrawn.emit(left)  # as a finished box drag does
    assert panel.session.attribute_vector is None
    panel.groups_view.buttons["B"].setChecked(True)
    with qtbot.waitSignal(panel.session.attributeVectorChanged) as blocker:
        panel.view_box.shapeDrawn.emit(right)
    vec = blocker.args[0]
    a, b = pos[:, 0] < mx, pos[:, 0] > mx
    assert len(vec.group_a) == a.sum() and len(vec.group_b) == b.sum()
    np.testing.assert_allclose(vec.vector, means[a].mean(0) - means[b].mean(0), atol=1e-5)
    panel.clear_groups()
    assert panel.session.attribute_vector is None


def test_manifold_grid_tiles_the_visible_region(qtbot, panel, checkpoints) -> None:
    _load(qtbot, panel, checkpoints[2])
    panel.grid_size.setValue(6)
    with _decoded(qtbot, panel, "grid") as blocker:
        panel.grid_check.setChecked(True)
    assert blocker.args[1].shape == (36, 28, 28, 1)
    assert panel.grid_image.isVisible()
    assert panel.grid_image.image.shape == (6 * 28, 6 * 28, 4)
    (x0, x1), (y0, y1) = panel.view_box.viewRange()
    rect = panel.grid_image.mapRectToParent(panel.grid_image.boundingRect())
    assert np.allclose([rect.left(), rect.right()], [x0, x1], atol=1e-3 * (x1 - x0))
    assert np.allclose(sorted([rect.top(), rect.bottom()]), [y0, y1], atol=1e-3 * (y1 - y0))
    # Zooming redraws it (debounced) for the new region.
    with _decoded(qtbot, panel, "grid"):
        panel.view_box.scaleBy((0.5, 0.5))
    panel.prior_check.setChecked(True)
    assert panel.prior_image.isVisible()


def test_tsne_is_a_cancellable_job_and_cannot_be_decoded(qtbot, panel, checkpoints) -> None:
    _load(qtbot, panel, checkpoints[2])
    with qtbot.waitSignal(panel.latent.progress, timeout=30_000):
        panel.choose_projection("t-SNE")
    assert panel.cancel_button.isVisible()
    with qtbot.waitSignal(panel.latent.jobEnded, timeout=60_000) as blocker:
        panel.cancel_button.click()
    assert blocker.args == ["t-SNE", "cancelled"]
    assert panel.projection.method == "Latent (2-D)"
    # A non-invertible map refuses to decode empty space and says why.
    from app.session.latent_types import ProjectionResult

    fake = ProjectionResult(panel.data.generation, "t-SNE", panel.projection.positions)
    panel.show_projection(fake)
    assert panel.click_at(1e6, 1e6) is None
    assert "no inverse" in panel.detail.text.text()


def test_session_model_changes_encode_when_visible(qtbot, panel, checkpoints) -> None:
    from models.opened import open_model

    panel.session.state = panel.session.state.IDLE
    panel.session.models.adopt(open_model(checkpoints[2]), same_run=False)
    qtbot.waitUntil(lambda: panel.data is not None, timeout=60_000)
    assert panel.data.path == checkpoints[2]


def test_exports(qtbot, panel, checkpoints, tmp_path) -> None:
    _load(qtbot, panel, checkpoints[4])
    csv_path = panel.export_latents(tmp_path / "z.csv", "csv")
    rows = csv_path.read_text().splitlines()
    assert rows[0] == "index,label,x,y,z0,z1,z2,z3" and len(rows) == 5001
    npz = np.load(panel.export_latents(tmp_path / "z.npz", "npz"))
    assert npz["latents"].shape == (5000, 4) and npz["positions"].shape == (5000, 2)
    assert str(npz["projection"]) == "PCA"
    assert panel.export_png(tmp_path / "map.png")
    assert (tmp_path / "map.png").stat().st_size > 1000


def test_a_gan_maps_generated_samples_coloured_by_the_classifier(qtbot, panel,
                                                                 tmp_path) -> None:
    from models.gans.config import GANConfig

    torch.manual_seed(0)
    gan = build_model("gan", GANConfig(latent_dim=8, hidden_dims=(16,)))
    path = save_checkpoint(tmp_path / "gan", gan, data=DataConfig(dataset="mnist5k"),
                           class_names=DIGITS)
    _load(qtbot, panel, path)
    data = panel.data
    assert data.generated and data.means.shape == (5000, 8)
    if data.labels_note.startswith("no digit classifier"):
        assert (data.labels == -1).all()
    else:
        assert data.labels.min() >= 0
    # LDA by the predicted classes when there are two of them (an untrained GAN's samples
    # may all look alike to the classifier), else PCA.
    classes = len(np.unique(data.labels[data.labels >= 0]))
    assert panel.projection.method == ("LDA" if classes >= 2 else "PCA")
    # Click-to-decode on the map's plane works without an encoder.
    x, y = (float(v) + 1.0 for v in panel.projection.positions.max(0))
    panel.view_box.setRange(xRange=(x - 1, x + 1), yRange=(y - 1, y + 1), padding=0)
    with _decoded(qtbot, panel, "detail"):
        assert panel.click_at(x, y) is not None


def test_cached_scatter_pans_to_the_same_picture_as_a_fresh_render(qtbot, panel,
                                                                   checkpoints) -> None:
    """DeviceCoordinateCache makes a pan a blit: it must still draw what a full render does."""
    from PySide6.QtWidgets import QGraphicsItem

    _load(qtbot, panel, checkpoints[2])
    viewport = panel.plot.viewport()
    viewport.repaint()
    (x0, x1), _ = panel.view_box.viewRange()
    for _ in range(5):
        panel.view_box.translateBy(x=(x1 - x0) / 37)
        viewport.repaint()
    cached = _pixels(panel.plot)
    for item in panel.scatter.items.values():
        item.setCacheMode(QGraphicsItem.CacheMode.NoCache)
    viewport.repaint()
    fresh = _pixels(panel.plot)
    # The blit scrolls whole pixels, a fresh render places points at fractional ones, so
    # edges may move by a pixel; strips left unpainted or points drawn in the wrong place
    # would show as large differences between 16-px block averages and a moved centroid.
    h, w = (d - d % 16 for d in cached.shape[:2])

    def blocks(img: np.ndarray) -> np.ndarray:
        return img[:h, :w].reshape(h // 16, 16, w // 16, 16, 3).mean((1, 3))

    diff = np.abs(blocks(cached) - blocks(fresh)).max(2)
    assert diff.max() < 15 and diff.mean() < 1.0, (diff.max(), diff.mean())
    ink = [np.argwhere((img < 200).any(2)).mean(0) for img in (cached, fresh)]
    assert np.abs(ink[0] - ink[1]).max() < 1.0


def _pixels(widget: Any) -> np.ndarray:
    from PySide6.QtGui import QImage

    img = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    arr = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), -1, 4)
    return arr[:, :img.width(), :3].astype(int)


def test_pca_refits_are_aligned_so_points_stay_put() -> None:
    from app.session.latent_types import PCA, compute_projection

    rng = np.random.default_rng(0)
    z = rng.normal(size=(500, 6)).astype(np.float32) * np.array([3, 2, 1, 1, 1, 1], np.float32)
    first = compute_projection(1, PCA, z)
    # The next epoch's latents: the same structure, mirrored and slightly moved.
    z2 = (-z + rng.normal(scale=0.01, size=z.shape)).astype(np.float32)
    raw = compute_projection(2, PCA, z2)
    aligned = compute_projection(2, PCA, z2, align_to=first)
    assert np.abs(raw.positions - first.positions).mean() > 1.0
    assert np.abs(aligned.positions - first.positions).mean() < 0.1
    np.testing.assert_allclose(aligned.pca.transform(aligned.pca.inverse_transform(
        aligned.positions[:5])), aligned.positions[:5], atol=1e-4)


def test_while_training_the_map_waits_unless_refreshing_each_epoch(qtbot, panel,
                                                                   checkpoints) -> None:
    from app.session import JobState
    from models.opened import SOURCE_TRAINING, open_model

    def from_training(path):
        return replace(open_model(path), source=SOURCE_TRAINING)

    session = panel.session
    session.state = JobState.TRAINING
    session.checkpoint = checkpoints[2]
    session.models.adopt(from_training(checkpoints[2]), same_run=False)
    qtbot.wait(50)
    assert panel.data is None and panel.latent.busy is None and panel.pending is not None
    session._set_state(JobState.IDLE)  # training ended: the waiting model is mapped
    qtbot.waitUntil(lambda: panel.data is not None, timeout=60_000)
    session.state = JobState.TRAINING
    panel.follow_check.setChecked(True)
    session.checkpoint = checkpoints[4]
    session.models.adopt(from_training(checkpoints[4]), same_run=True)
    qtbot.waitUntil(lambda: panel.data.latent_dim == 4, timeout=60_000)
    session.state = JobState.IDLE


def test_a_new_run_clears_the_map(qtbot, panel, checkpoints) -> None:
    _load(qtbot, panel, checkpoints[2])
    panel.session.models.close()  # as a new training run or File › New does
    assert panel.data is None and panel.projection is None
    assert not panel.scatter.items and panel.legend.count() == 0
    assert panel.click_at(0.0, 0.0) is None and panel.hover_at(0.0, 0.0) is None


def test_opening_another_model_leaves_no_trace_of_the_first(qtbot, panel, checkpoints) -> None:
    from PySide6.QtCore import QRectF

    _load(qtbot, panel, checkpoints[2])
    pos = panel.projection.positions
    lo, hi = pos.min(0) - 1, pos.max(0) + 1
    with _decoded(qtbot, panel, "groupA"):
        panel.view_box.shapeDrawn.emit(np.array([[lo[0], lo[1]], [hi[0], lo[1]],
                                                 [hi[0], hi[1]], [lo[0], hi[1]]]))
    with _decoded(qtbot, panel, "detail"):
        panel.select_point(5)
    panel.legend.set_checked(3, False)
    panel.hover_at(*(float(v) for v in pos[9]))
    panel.grid_size.setValue(4)
    with _decoded(qtbot, panel, "grid"):
        panel.grid_check.setChecked(True)
    panel.prior_check.setChecked(True)
    assert panel.grid_image.isVisible() and panel.prior_image.isVisible()
    assert panel.plot_item.getAxis("bottom").labelText == "z₁"

    model_b = _show(panel, checkpoints[4])  # a 4-D latent: its map is a PCA
    # At once, before B's map arrives: nothing of A is left.
    axes = [panel.plot_item.getAxis(a) for a in ("bottom", "left")]
    assert [a.labelText for a in axes] == ["", ""]
    assert not any(a.label.isVisible() for a in axes)
    assert panel.data is None and panel.projection is None and not panel._cache
    assert panel.latent.data is None and panel.latent.projection is None
    assert not panel.scatter.items and panel.legend.count() == 0 and not panel.scatter.hidden
    assert panel.projection_box.count() == 0
    assert all(len(g) == 0 for g in panel.groups.values())
    assert all(len(o.getData()[0]) == 0 for o in panel.group_outlines.values())
    assert panel.groups_view.counts["A"].text() == "A: empty"
    assert panel.groups_view.means["A"].pixmap().isNull()
    assert panel.session.attribute_vector is None
    assert panel.detail.text.text().startswith("Click a point")
    assert panel.detail.original.pixmap().isNull()
    assert panel._selected is None and len(panel.marker.data) == 0
    assert panel._hover is None and not panel.thumbnail.isVisible()
    assert panel.grid_image.image is None and not panel.grid_image.isVisible()
    assert panel.prior_image.image is None and not panel.prior_image.isVisible()
    assert panel.info_text == "" and "vae" not in panel.status.text()
    assert panel._grid_rect == QRectF()

    qtbot.waitUntil(lambda: panel.projection is not None and panel.latent.busy is None,
                    timeout=60_000)
    assert panel.data.model is model_b and panel.data.latent_dim == 4
    assert panel.projection.method == "PCA" and panel.plot_item.getAxis(
        "bottom").labelText.startswith("PC 1")
    assert [panel.projection_box.itemText(i) for i in range(panel.projection_box.count())] \
        == ["PCA", "LDA", "t-SNE", "UMAP"]
    assert panel.legend.count() == 10 and all(item.isVisible()
                                              for item in panel.scatter.items.values())
    assert panel.detail.text.text().startswith("Click a point")


def test_two_requests_for_the_same_model_encode_once(qtbot, panel, checkpoints,
                                                     monkeypatch) -> None:
    import app.session.latent_space as latent_space

    calls: list[object] = []
    real = latent_space.map_events

    def counting(job, model, *args):
        calls.append(model)
        return real(job, model, *args)

    monkeypatch.setattr(latent_space, "map_events", counting)
    maps: list[object] = []
    panel.latent.mapReady.connect(maps.append)
    model = _show(panel, checkpoints[2])  # the panel asks for its map
    gen = panel.latent.generation
    assert panel.latent.busy == "encode"
    assert panel.latent.open(model) == gen  # another panel asks while it is computed
    qtbot.waitUntil(lambda: panel.projection is not None and panel.latent.busy is None,
                    timeout=60_000)
    assert panel.latent.open(model) == gen  # ... and once it is shown
    assert panel.latent.busy is None
    qtbot.wait(100)
    assert len(calls) == 1 and len(maps) == 1 and calls[0] is model
    # Refresh forces a new map of the same model.
    panel.refresh()
    qtbot.waitUntil(lambda: len(maps) == 2, timeout=60_000)
    assert panel.latent.generation == gen + 1 and len(calls) == 2


def test_closing_while_tsne_runs_stops_within_two_seconds(qtbot, panel, checkpoints) -> None:
    import multiprocessing
    import time

    _load(qtbot, panel, checkpoints[2])
    with qtbot.waitSignal(panel.latent.progress, timeout=30_000,
                          check_params_cb=lambda stage, *_: stage != "t-SNE: starting"):
        panel.choose_projection("t-SNE")  # the child process is running
    assert panel.latent.busy == "t-SNE"
    panel.close()
    t0 = time.monotonic()
    assert panel.session.jobs.await_all(2.0)
    assert time.monotonic() - t0 < 2.0
    assert not panel.session.jobs.threads_running()
    assert not multiprocessing.active_children()  # the t-SNE child was terminated


def test_a_training_model_before_its_first_checkpoint_is_mapped(qtbot, panel,
                                                               checkpoints) -> None:
    from models.opened import SOURCE_TRAINING, open_model

    model = replace(open_model(checkpoints[2]), source=SOURCE_TRAINING, path=None)
    panel.session.models.adopt(model, same_run=False)
    qtbot.waitUntil(lambda: panel.projection is not None, timeout=60_000)
    assert panel.data.path is None and panel.data.model is model
    with _decoded(qtbot, panel, "detail"):
        panel.select_point(0)


def test_the_empty_plot_says_what_is_being_computed_not_open_a_checkpoint(panel) -> None:
    from app.panels.latent_map.panel import EMPTY_TEXT

    assert panel.empty_text.toPlainText() == EMPTY_TEXT
    panel._set_busy(True, "Generating samples…")  # as the map job's progress sets it
    assert panel.empty_text.toPlainText() == "Generating samples…"
    panel._set_busy(False)  # ended without a map (failed, cancelled): the invitation again
    assert panel.empty_text.toPlainText() == EMPTY_TEXT
