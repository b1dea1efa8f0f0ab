"""W-space tools: mapping, synthesis, truncation, mixing, edits, interpolation, directions,
path length and projection, on a tiny untrained model."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from models.stylegan import directions, ppl, projection, wspace
from tests.models.stylegan.helpers import tiny_stylegan


@pytest.fixture(scope="module")
def model():  # type: ignore[no-untyped-def]
    return tiny_stylegan()


def ws_of(model, z: torch.Tensor) -> torch.Tensor:  # type: ignore[no-untyped-def]
    return wspace.broadcast(wspace.mapping(model, z), wspace.num_ws(model))


def test_mapping_and_synthesis_reproduce_decode(model) -> None:  # type: ignore[no-untyped-def]
    z = wspace.sample_z(model, 3, seed=5)
    w = wspace.mapping(model, z)
    assert w.shape == (3, 8)
    images = wspace.synthesize(model, ws_of(model, z))
    assert images.shape == (3, 1, 28, 28)
    torch.testing.assert_close(images, model.decode(z, psi=1.0))


def test_truncation_psi_0_gives_the_mean_w_image_for_any_z(model) -> None:  # type: ignore[no-untyped-def]
    z = torch.randn(4, 8) * torch.tensor([[0.1], [1.0], [3.0], [10.0]])
    w = wspace.truncate(model, wspace.mapping(model, z), 0.0)
    images = wspace.synthesize(model, wspace.broadcast(w, wspace.num_ws(model)))
    mean_image = wspace.synthesize(model, wspace.broadcast(wspace.w_avg(model)[None], 8))
    for image in images:
        torch.testing.assert_close(image, mean_image[0])
    assert not torch.equal(images[0], model.decode(z[:1], psi=1.0)[0])
    torch.testing.assert_close(model.decode(z, psi=0.0), images)
    w1 = wspace.mapping(model, z)
    torch.testing.assert_close(wspace.truncate(model, w1, 1.0), w1)


def test_the_named_ranges_split_every_layer_by_resolution(model) -> None:  # type: ignore[no-untyped-def]
    ranges = wspace.layer_ranges(model)
    assert list(ranges) == ["coarse", "middle", "fine"]
    covered = [i for r in ranges.values() for i in r]
    assert covered == list(range(wspace.num_ws(model)))
    names = wspace.layer_names(model)
    assert [names[i] for i in ranges["coarse"]] == ["4×4", "8×8 up", "8×8"]
    assert [names[i] for i in ranges["middle"]] == ["16×16 up", "16×16"]
    assert [names[i] for i in ranges["fine"]] == ["32×32 up", "32×32", "32×32 rgb"]
    assert len(wspace.noise_layer_names(model)) == 7


def test_mixing_grid_sources_and_corners(model) -> None:  # type: ignore[no-untyped-def]
    w_a = wspace.mapping(model, wspace.sample_z(model, 2, seed=1))
    w_b = wspace.mapping(model, wspace.sample_z(model, 3, seed=2))
    grid = wspace.mixing_grid(model, w_a, w_b, "coarse")
    assert grid.cells.shape == (2, 3, 1, 28, 28) and grid.range_name == "coarse"
    torch.testing.assert_close(grid.rows, wspace.synthesize(model, wspace.broadcast(w_a, 8)))
    torch.testing.assert_close(grid.columns, wspace.synthesize(model, wspace.broadcast(w_b, 8)))
    # Every layer from A: the cell is A; none from A: it is B.
    everything = wspace.mixing_grid(model, w_a, w_b, range(8))
    nothing = wspace.mixing_grid(model, w_a, w_b, [])
    for i in range(2):
        for j in range(3):
            torch.testing.assert_close(everything.cells[i, j], grid.rows[i])
            torch.testing.assert_close(nothing.cells[i, j], grid.columns[j])
            assert not torch.allclose(grid.cells[i, j], grid.columns[j])
    mixed = wspace.mix(wspace.broadcast(w_a[:1], 8), wspace.broadcast(w_b[:1], 8),
                       range(0, 3))
    torch.testing.assert_close(wspace.synthesize(model, mixed), grid.cells[0, 0][None])


def test_edit_layers_replaces_or_offsets_only_the_chosen_layers() -> None:
    ws = torch.randn(2, 8, 4)
    target = torch.ones(4)
    out = wspace.edit_layers(ws, [1, 2], replace=target)
    assert torch.equal(out[:, [1, 2]], target.expand(2, 2, 4))
    assert torch.equal(out[:, [0, 3, 4, 5, 6, 7]], ws[:, [0, 3, 4, 5, 6, 7]])
    shifted = wspace.edit_layers(ws, range(5, 8), offset=torch.full((4,), 0.5))
    torch.testing.assert_close(shifted[:, 5:], ws[:, 5:] + 0.5)
    assert torch.equal(shifted[:, :5], ws[:, :5])
    assert not torch.equal(ws, out)  # a copy: the input is left alone


def test_slerp_keeps_ends_and_typical_length_and_lerp_is_straight() -> None:
    a, b = torch.randn(1, 64), torch.randn(1, 64)
    t = torch.tensor([0.0, 0.5, 1.0])
    path = wspace.slerp(a.expand(3, -1), b.expand(3, -1), t)
    torch.testing.assert_close(path[0], a[0], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(path[2], b[0], atol=1e-5, rtol=1e-5)
    mid_norm = float(path[1].norm())
    assert mid_norm == pytest.approx(0.5 * float(a.norm() + b.norm()), rel=1e-4)
    assert mid_norm > float(((a + b) / 2).norm())  # lerp would cut through the middle
    same = wspace.slerp(a, a, torch.tensor([0.3]))
    torch.testing.assert_close(same, a)
    torch.testing.assert_close(wspace.lerp(a, b, torch.tensor([0.25])), a + 0.25 * (b - a))


@pytest.mark.parametrize("space", ["z", "w"])
def test_interpolation_ends_are_the_two_sources(model, space: str) -> None:  # type: ignore[no-untyped-def]
    z = wspace.sample_z(model, 2, seed=9)
    path = wspace.interpolate(model, z[0], z[1], 5, space)
    assert path.images.shape == (5, 1, 28, 28) and path.space == space
    ends = model.decode(z, psi=1.0)
    torch.testing.assert_close(path.images[0], ends[0], atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(path.images[-1], ends[1], atol=1e-5, rtol=1e-4)
    assert path.latents.shape == (5, 8)
    with pytest.raises(ValueError, match="space"):
        wspace.interpolate(model, z[0], z[1], 3, "x")


def test_pca_directions_are_orthonormal_and_sorted_by_variance(model) -> None:  # type: ignore[no-untyped-def]
    d = directions.pca_directions(model, k=5, samples=600, batch=250)
    assert d.components.shape == (5, 8) and d.samples == 600
    torch.testing.assert_close(d.components @ d.components.T, torch.eye(5), atol=1e-5,
                               rtol=0)
    ratios = d.explained_variance_ratio
    assert bool((ratios[:-1] >= ratios[1:]).all()) and 0 < float(ratios.sum()) <= 1 + 1e-6
    # σ_k is w's standard deviation along v_k.
    w = wspace.mapping(model, wspace.sample_z(model, 600, seed=0))
    proj = (w - d.mean) @ d.components[0]
    assert float(proj.std()) == pytest.approx(float(d.sigma[0]), rel=0.15)


def test_a_direction_moves_the_chosen_layers_by_sigma_times_amount(model) -> None:  # type: ignore[no-untyped-def]
    d = directions.pca_directions(model, k=3, samples=300)
    ws = ws_of(model, wspace.sample_z(model, 2, seed=3))
    out = directions.apply_directions(ws, d, [0.0, 2.0], range(0, 3))
    expected = 2.0 * d.sigma[1] * d.components[1]
    torch.testing.assert_close(out[:, :3], ws[:, :3] + expected)
    assert torch.equal(out[:, 3:], ws[:, 3:])


def fake_features(images: torch.Tensor) -> torch.Tensor:
    """A stand-in feature map for tests that need no classifier: 4×4 average pooling."""
    return torch.nn.functional.avg_pool2d(images, 7).flatten(1)


def test_path_length_is_positive_finite_and_reproducible(model) -> None:  # type: ignore[no-untyped-def]
    for space in ("z", "w"):
        a = ppl.perceptual_path_length(model, space, fake_features, pairs=32, seed=1)
        b = ppl.perceptual_path_length(model, space, fake_features, pairs=32, seed=1)
        assert a == b and a.mean > 0 and math.isfinite(a.mean) and a.pairs == 32
        assert "not VGG" in a.to_json()["features"]
    # A generator that ignores its latent has zero path length.
    flat = tiny_stylegan()
    with torch.no_grad():
        for layer in flat.generator_ema.mapping.net:
            layer.weight.zero_()
    assert ppl.perceptual_path_length(flat, "z", fake_features, pairs=8).mean == 0.0


def test_path_length_uses_the_bundled_digit_classifier(model) -> None:  # type: ignore[no-untyped-def]
    features = ppl.digit_features("mnist5k")
    assert features(torch.rand(2, 1, 28, 28)).shape == (2, 128)
    result = ppl.perceptual_path_length(model, "w", features, pairs=8)
    assert result.mean > 0
    steps = ppl.step_lengths(wspace.interpolate(model, torch.randn(8), torch.randn(8), 4,
                                                "w").images, features)
    assert steps.shape == (3,) and bool(np.all(steps >= 0))


def test_projection_lowers_its_loss_reports_every_step_and_can_stop(model) -> None:  # type: ignore[no-untyped-def]
    target = wspace.synthesize(model, ws_of(model, wspace.sample_z(model, 1, seed=11)))[0]
    events = list(projection.project(model, target, steps=60, lr=0.1))
    steps = [e for e in events if isinstance(e, projection.ProjectionStep)]
    result = events[-1]
    assert isinstance(result, projection.ProjectionResult)
    assert [s.step for s in steps] == list(range(1, 61))
    assert result.loss < 0.2 * steps[0].pixel_loss
    assert steps[-1].pixel_loss < steps[len(steps) // 2].pixel_loss < steps[0].pixel_loss
    assert result.ws.shape == (1, 8, 8) and result.image.shape == (1, 1, 28, 28)
    torch.testing.assert_close(wspace.synthesize(model, result.ws), result.image)
    assert all(p.requires_grad for p in model.generator_ema.parameters()) is False
    # Closing the generator between steps stops it there.
    gen = projection.project(model, target, steps=50)
    first = next(gen)
    gen.close()
    assert isinstance(first, projection.ProjectionStep) and first.step == 1
    with pytest.raises(ValueError, match="target"):
        next(projection.project(model, torch.rand(3, 28, 28)))


def test_sampled_latents_pair_each_z_with_its_w_image_and_class(model) -> None:  # type: ignore[no-untyped-def]
    from models.stylegan.maps import SampledLatents, sampled_latents

    events = list(sampled_latents(model, 10, seed=4, batch=4))
    assert events[:-1] == [(4, 10), (8, 10), (10, 10)]
    result = events[-1]
    assert isinstance(result, SampledLatents)
    torch.testing.assert_close(torch.from_numpy(result.w),
                               wspace.mapping(model, torch.from_numpy(result.z)))
    assert result.images.shape == (10, 1, 28, 28) and result.images.dtype == np.uint8
    assert result.labels.shape == (10,) and set(result.labels) <= set(range(10))
    np.testing.assert_array_equal(result.z, wspace.sample_z(model, 10, 4).numpy())
