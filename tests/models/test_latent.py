"""Latent-space maths: paths, PCA and alignment, nearest-point look-ups, encoding."""

import numpy as np
import pytest
import torch

from models.autoencoders.config import CVAEConfig, VAEConfig
from models.latent.encode import EncodedLatents, EncodeProgress, encode_dataset
from models.latent.grids import grid_positions, standard_normal_density
from models.latent.paths import (
    arithmetic,
    attribute_vector,
    lerp,
    slerp,
    traversal_grid,
    traversal_values,
)
from models.latent.projection import PCAProjection, align_pca
from models.latent.spatial import PointIndex, points_in_polygon
from models.registry import build_model
from tests.models.helpers import small_mnist

rng = np.random.default_rng(0)


@pytest.mark.parametrize("path", [lerp, slerp])
def test_paths_start_at_a_and_end_at_b(path) -> None:
    a, b = rng.normal(size=8).astype(np.float32), rng.normal(size=8).astype(np.float32)
    assert np.allclose(path(a, b, 0.0), a, atol=1e-6)
    assert np.allclose(path(a, b, 1.0), b, atol=1e-6)
    frames = path(a, b, np.linspace(0, 1, 5))
    assert frames.shape == (5, 8) and np.allclose(frames[-1], b, atol=1e-6)


def test_slerp_keeps_the_norm_of_equal_norm_inputs() -> None:
    a, b = rng.normal(size=16), rng.normal(size=16)
    b = b / np.linalg.norm(b) * np.linalg.norm(a)
    norms = np.linalg.norm(slerp(a, b, np.linspace(-0.5, 1.5, 21)), axis=1)
    assert np.allclose(norms, np.linalg.norm(a), rtol=1e-5)
    mid_lerp = np.linalg.norm(lerp(a, b, 0.5))
    assert mid_lerp < np.linalg.norm(a)  # what slerp avoids


def test_lerp_extrapolates_beyond_the_anchors() -> None:
    a, b = np.zeros(2), np.ones(2)
    assert np.allclose(lerp(a, b, 1.5), [1.5, 1.5])
    assert np.allclose(lerp(a, b, -0.5), [-0.5, -0.5])


def test_arithmetic_and_attribute_vectors() -> None:
    a, b, c = np.array([3.0, 1.0]), np.array([1.0, 1.0]), np.array([0.0, 5.0])
    assert np.allclose(arithmetic(a, b, c), [2.0, 5.0])
    g1 = np.array([[1.0, 0.0], [3.0, 0.0]])
    g2 = np.array([[0.0, 1.0], [0.0, 3.0]])
    assert np.allclose(attribute_vector(g1, g2), [2.0, -2.0])
    with pytest.raises(ValueError):
        attribute_vector(g1, np.empty((0, 2)))


def test_traversal_grid_sweeps_one_dimension_per_row() -> None:
    base = rng.normal(size=5)
    values = traversal_values(0.0, 1.0, 7)
    assert np.allclose(values[[0, -1]], [-3.0, 3.0])
    grid = traversal_grid(base, [1, 3], values).reshape(2, 7, 5)
    for row, dim in enumerate([1, 3]):
        assert np.allclose(grid[row, :, dim], values)
        others = [d for d in range(5) if d != dim]
        assert np.allclose(grid[row][:, others], base[others])


def test_pca_inverse_round_trips_points_in_the_plane() -> None:
    latents = rng.normal(size=(500, 6)) @ rng.normal(size=(6, 6))
    pca = PCAProjection.fit(latents)
    xy = pca.transform(latents)
    assert xy.shape == (500, 2)
    back = pca.inverse_transform(xy)
    assert np.allclose(pca.transform(back), xy, atol=1e-4)
    assert pca.explained_ratio[0] >= pca.explained_ratio[1] > 0
    plane = pca.mean + rng.normal(size=(10, 2)) @ pca.components
    assert np.allclose(pca.inverse_transform(pca.transform(plane)), plane, atol=1e-4)


def test_pca_alignment_keeps_points_in_place_across_refits() -> None:
    latents = rng.normal(size=(300, 4)) * [3, 2, 1, 0.5]
    first = PCAProjection.fit(latents)
    moved = latents + rng.normal(scale=0.01, size=latents.shape)
    refit = PCAProjection.fit(moved)
    flipped = PCAProjection(refit.mean, -refit.components[::-1], refit.explained_variance[::-1],
                            refit.total_variance)
    aligned = align_pca(first, flipped, latents)
    assert np.abs(aligned.transform(latents) - first.transform(latents)).max() < 0.2
    assert np.abs(flipped.transform(latents) - first.transform(latents)).max() > 1.0


def test_nearest_point_matches_brute_force_and_respects_hidden_points() -> None:
    pos = rng.normal(size=(2000, 2))
    index = PointIndex(pos)
    for q in rng.normal(size=(20, 2)):
        assert index.nearest(*q) == int(np.linalg.norm(pos - q, axis=1).argmin())
    assert index.nearest(100.0, 100.0, max_distance=1.0) is None
    mask = np.ones(len(pos), bool)
    target = index.nearest(0.0, 0.0)
    mask[target] = False
    index.set_visible(mask)
    assert index.nearest(0.0, 0.0) not in (None, target)
    scaled = index.nearest(0.0, 0.0, max_distance=5.0, scale=(0.1, 0.1))
    assert scaled is not None and scaled != target


def test_lasso_selects_points_inside_the_polygon() -> None:
    pts = np.array([[0.5, 0.5], [2.0, 2.0], [0.1, 0.9], [-1, 0]])
    square = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], float)
    assert points_in_polygon(pts, square).tolist() == [True, False, True, False]
    assert PointIndex(pts).inside_polygon(square).tolist() == [0, 2]


def test_grid_positions_cover_the_region_row_major_from_the_top() -> None:
    pos = grid_positions((0, 4), (0, 2), 4)
    assert pos.shape == (16, 2)
    assert np.allclose(pos[0], [0.5, 1.75]) and np.allclose(pos[-1], [3.5, 0.25])
    dens = standard_normal_density((-3, 3), (-3, 3), (61, 61))
    assert dens.argmax() == 30 * 61 + 30


def test_encoding_a_dataset_yields_progress_then_n_by_d_means() -> None:
    torch.manual_seed(0)
    model = build_model("vae", VAEConfig(latent_dim=3, hidden_dims=(16,)))
    ds = small_mnist(300)
    events = list(encode_dataset(model, ds.images, ds.labels, batch_size=128))
    assert [e.done for e in events[:-1]] == [128, 256, 300]
    assert all(isinstance(e, EncodeProgress) for e in events[:-1])
    result = events[-1]
    assert isinstance(result, EncodedLatents)
    assert result.means.shape == (300, 3) and (result.labels == ds.labels).all()
    x = torch.from_numpy(ds.images[:5]).float() / 255
    assert np.allclose(result.means[:5], model.encode(x)[0].detach().numpy(), atol=1e-5)


def test_conditional_models_are_encoded_with_their_labels() -> None:
    model = build_model("cvae", CVAEConfig(latent_dim=2, hidden_dims=(16,)))
    ds = small_mnist(20)
    result = list(encode_dataset(model, ds.images, ds.labels))[-1]
    assert result.means.shape == (20, 2)


def test_models_without_encoder_get_prior_latents_and_their_images() -> None:
    from models.latent.encode import generated_latents

    model = build_model("vae", VAEConfig(latent_dim=2, hidden_dims=(16,)))
    result = list(generated_latents(model, 10, seed=1, batch_size=4))[-1]
    assert result.generated and result.means.shape == (10, 2)
    assert result.images.shape == (10, 1, 28, 28) and result.images.dtype == np.uint8
    again = list(generated_latents(model, 10, seed=1))[-1]
    assert np.array_equal(result.means, again.means)
