"""The latent map of a generator (LDA of the classifier's classes, decoded on its plane) and
the progress shown while t-SNE runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from models.checkpoint import load_checkpoint, save_checkpoint
from models.config import DataConfig
from models.latent.decode import decode_latents
from models.latent.discriminant import separation
from models.latent.projection import PCAProjection
from models.registry import build_model
from tests.app import test_latent_map as base
from tests.app.test_latent_map import DIGITS, _decoded, _load

panel = base.panel  # the shown LatentMapPanel fixture, threads checked at teardown
checkpoints = base.checkpoints  # tiny VAEs with 2-D and 4-D latents


def _brightness_classes(images: np.ndarray, dataset: str) -> np.ndarray:
    """A stand-in digit classifier: four classes by quartile of the images' brightness."""
    mean = images.reshape(len(images), -1).mean(1)
    return np.digitize(mean, np.quantile(mean, [0.25, 0.5, 0.75])).astype(np.int64)


def _gan(tmp_path: Path) -> Path:
    from models.gans.config import GANConfig

    torch.manual_seed(0)
    gan = build_model("gan", GANConfig(latent_dim=8, hidden_dims=(16,)))
    return save_checkpoint(tmp_path / "gan", gan, data=DataConfig(dataset="mnist5k"),
                           class_names=DIGITS)


def test_a_gan_map_is_the_lda_of_its_classes_and_decodes_that_plane(qtbot, panel, tmp_path,
                                                                    monkeypatch) -> None:
    from models.latent.grids import grid_positions

    monkeypatch.setattr("models.latent.labels.predicted_labels", _brightness_classes)
    path = _gan(tmp_path)
    _load(qtbot, panel, path)
    data, proj = panel.data, panel.projection
    assert data.generated and "classifier" in data.labels_note
    assert proj.method == "LDA" and proj.invertible
    items = [panel.projection_box.itemText(i) for i in range(panel.projection_box.count())]
    assert items == ["LDA", "PCA", "t-SNE", "UMAP"]
    assert panel.plot_item.getAxis("bottom").labelText.startswith("LD 1 (")
    assert "LDA" in panel.status.text()
    # The classes lie further apart than on the PCA map of the same samples.
    pca = PCAProjection.fit(data.means).transform(data.means)
    assert separation(proj.positions, data.labels) > 2 * separation(pca, data.labels)

    # A click on empty space decodes the latent of the LDA plane drawn there.
    generator = load_checkpoint(path).model.eval()
    x, y = (float(v) + 1.0 for v in proj.positions.max(0))
    panel.view_box.setRange(xRange=(x - 1, x + 1), yRange=(y - 1, y + 1), padding=0)
    with _decoded(qtbot, panel, "detail") as blocker:
        anchor = panel.click_at(x, y)
    assert anchor is not None and anchor.index is None
    np.testing.assert_allclose(proj.linear.transform(anchor.latent[None])[0], [x, y],
                               atol=1e-4)
    np.testing.assert_array_equal(blocker.args[1],
                                  decode_latents(generator, anchor.latent[None]))

    # The manifold grid tiles the visible part of that plane.
    panel.view_box.autoRange(padding=0.04)
    panel.grid_size.setValue(4)
    with _decoded(qtbot, panel, "grid") as blocker:
        panel.grid_check.setChecked(True)
    (x0, x1), (y0, y1) = panel.view_box.viewRange()
    cells = proj.to_latent(grid_positions((x0, x1), (y0, y1), 4))
    np.testing.assert_array_equal(blocker.args[1], decode_latents(generator, cells))

    # PCA stays selectable, and LDA comes back from the cache.
    panel.grid_check.setChecked(False)
    qtbot.waitUntil(lambda: panel.latent.busy is None)
    panel.choose_projection("PCA")
    qtbot.waitUntil(lambda: panel.projection.method == "PCA", timeout=10_000)
    assert panel.plot_item.getAxis("bottom").labelText.startswith("PC 1 (")
    panel.choose_projection("LDA")
    assert panel.projection is proj


def test_progress_keeps_method_names_and_counts_seconds_without_a_count(panel) -> None:
    panel._on_progress("t-SNE: optimising", 5, 10)
    assert panel.status.text() == "t-SNE: optimising…"
    assert (panel.progress_bar.maximum(), panel.progress_bar.value()) == (10, 5)
    panel._on_progress("t-SNE: finding neighbours", 0, 0)
    assert panel.progress_bar.maximum() == 0  # indeterminate: a moving bar
    assert panel.status.text() == "t-SNE: finding neighbours…"
    stage, started = panel._stage_clock
    panel._stage_clock = (stage, started - 3.2)  # three seconds later
    panel._on_progress("t-SNE: finding neighbours", 0, 0)
    assert panel.status.text() == "t-SNE: finding neighbours… 3 s"
    panel._on_progress("UMAP: embedding", 0, 0)  # a new stage counts from zero
    assert panel.status.text() == "UMAP: embedding…"


def test_tsne_progress_moves_through_its_stages(qtbot, panel) -> None:
    from app.session.latent_types import PCA, MapData, compute_projection

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 300)
    means = (rng.normal(size=(300, 6)) + 4.0 * labels[:, None]).astype(np.float32)
    lat = panel.latent
    lat.generation = lat.shown_generation = 7
    data = MapData(7, None, "vae", 1, "synthetic", ("a", "b", "c"), means, labels,
                   np.zeros((300, 28, 28, 1), np.uint8), False, False, True)
    lat.data = data
    panel._on_map(data)
    panel._on_projected(compute_projection(7, PCA, means))
    seen: list[tuple[str, int, int, int]] = []
    lat.progress.connect(lambda stage, done, total: seen.append(
        (stage, done, total, panel.progress_bar.value())))
    panel.choose_projection("t-SNE")
    qtbot.waitUntil(lambda: panel.projection.method == "t-SNE" and lat.busy is None,
                    timeout=60_000)
    assert panel.projection.positions.shape == (300, 2)
    assert all(stage.startswith("t-SNE: ") for stage, *_ in seen)
    assert any(stage == "t-SNE: finding neighbours" and total == 0
               for stage, _, total, _ in seen)
    bar = [value for stage, _, total, value in seen if total > 0]
    assert len(set(bar)) >= 3 and bar == sorted(bar)  # it moved, more than once, forwards


def test_an_encoder_map_offers_lda_of_the_dataset_classes_without_the_prior(
        qtbot, panel, checkpoints) -> None:
    _load(qtbot, panel, checkpoints[4])
    assert panel.projection.method == "PCA"  # an encoder's map is unchanged
    items = [panel.projection_box.itemText(i) for i in range(panel.projection_box.count())]
    assert items == ["PCA", "LDA", "t-SNE", "UMAP"]
    assert panel.prior_check.isEnabled()
    panel.prior_check.setChecked(True)
    assert panel.prior_image.isVisible()
    panel.choose_projection("LDA")
    qtbot.waitUntil(lambda: panel.projection.method == "LDA", timeout=10_000)
    data, proj = panel.data, panel.projection
    assert separation(proj.positions, data.labels) > separation(
        panel._cache["PCA"].positions, data.labels)
    # N(0, I) seen through LDA's scaled axes is no unit Gaussian: no prior shading there.
    assert not panel.prior_check.isEnabled() and not panel.prior_image.isVisible()
    panel.choose_projection("PCA")
    assert panel.prior_check.isEnabled() and panel.prior_image.isVisible()


def test_lda_refits_are_aligned_so_points_stay_put() -> None:
    from app.session.latent_types import LDA, compute_projection

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, 600)
    z = (rng.normal(size=(600, 6)) + 3.0 * np.eye(6)[labels]).astype(np.float32)
    first = compute_projection(1, LDA, z, labels=labels)
    z2 = (-z + rng.normal(scale=0.01, size=z.shape)).astype(np.float32)  # mirrored
    raw = compute_projection(2, LDA, z2, labels=labels)
    aligned = compute_projection(2, LDA, z2, align_to=first, labels=labels)
    assert np.abs(raw.positions - first.positions).mean() > 1.0
    assert np.abs(aligned.positions - first.positions).mean() < 0.1
    pts = aligned.positions[:5]
    np.testing.assert_allclose(aligned.linear.transform(aligned.to_latent(pts)), pts,
                               atol=1e-4)
