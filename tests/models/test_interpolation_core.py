"""Interpolation building blocks: path frames, seeds, activity, class mixing, files, noise."""

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from models.autoencoders.config import CVAEConfig
from models.diffusion.config import DDPMConfig
from models.gans.config import CGANConfig, GANConfig
from models.images import to_uint8_nhwc
from models.latent.conditioning import (
    decode_class_mix,
    generated_class_latents,
    supports_class_mix,
)
from models.latent.encode import EncodedLatents
from models.latent.image_file import dark_background, image_for_model
from models.latent.interpolation import (
    aggregate_spread,
    class_weights,
    dimension_order,
    fill_order,
    frame_alphas,
    kl_per_dimension,
    path_latents,
    seeded_latent,
    with_dimension,
)
from models.latent.noise_path import noise_path_frames
from models.latent.paths import slerp
from models.registry import build_model


def test_path_latents_follow_the_chosen_path() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=6), rng.normal(size=6)
    alphas = np.array([0.0, 0.25, 1.0])
    np.testing.assert_allclose(path_latents(a, b, alphas, "linear")[1], a + 0.25 * (b - a),
                               rtol=1e-6)
    np.testing.assert_allclose(path_latents(a, b, alphas, "slerp"), slerp(a, b, alphas),
                               rtol=1e-6)
    assert path_latents(a, b, alphas).dtype == np.float32
    with pytest.raises(ValueError, match="unknown path"):
        path_latents(a, b, alphas, "zigzag")


def test_frame_alphas_span_the_anchors_or_beyond() -> None:
    np.testing.assert_allclose(frame_alphas(5), [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_allclose(frame_alphas(3, extrapolate=True), [-0.5, 0.5, 1.5])
    with pytest.raises(ValueError):
        frame_alphas(1)


def test_seeded_latents_repeat_per_seed_and_follow_the_spread() -> None:
    center, std = np.array([10.0, -5.0]), np.array([0.001, 2.0])
    assert np.array_equal(seeded_latent(3, center, std), seeded_latent(3, center, std))
    assert not np.array_equal(seeded_latent(3, center, std), seeded_latent(4, center, std))
    z = np.stack([seeded_latent(s, center, std) for s in range(400)])
    assert abs(z[:, 0].mean() - 10) < 0.01 and abs(z[:, 1].std() - 2) < 0.3


def test_kl_per_dimension_matches_the_gaussian_formula_and_orders_dimensions() -> None:
    means = np.array([[0.0, 2.0, 0.0], [0.0, -2.0, 0.0]])
    logvars = np.array([[0.0, 0.0, np.log(4.0)], [0.0, 0.0, np.log(4.0)]])
    kl = kl_per_dimension(means, logvars)
    np.testing.assert_allclose(kl, [0.0, 2.0, 0.5 * (4 - np.log(4) - 1)], rtol=1e-6)
    assert list(dimension_order(kl)) == [1, 2, 0]
    center, std = aggregate_spread(means)
    np.testing.assert_allclose(center, 0, atol=1e-7)
    assert std[1] == pytest.approx(2.0) and std[0] > 0  # floored: a slider still moves


def test_with_dimension_changes_only_that_dimension() -> None:
    z = np.arange(5, dtype=np.float32)
    out = with_dimension(z, 3, -7.0)
    assert out[3] == -7.0 and np.array_equal(np.delete(out, 3), np.delete(z, 3))
    assert z[3] == 3.0  # a copy


def test_class_weights_move_from_one_class_to_another() -> None:
    w = class_weights(1, 3, np.array([0.0, 0.25, 1.0]), 4)
    np.testing.assert_allclose(w, [[0, 1, 0, 0], [0, 0.75, 0, 0.25], [0, 0, 0, 1]])


def test_fill_order_visits_every_frame_once_ends_first() -> None:
    for n in (1, 2, 5, 17, 29):
        order = fill_order(n)
        assert sorted(order) == list(range(n))
        if n > 2:
            assert order[:3] == [0, n - 1, round((n - 1) / 2)]


@pytest.mark.parametrize("family, config", [
    ("cvae", CVAEConfig(latent_dim=3, hidden_dims=(16,))),
    ("cgan", CGANConfig(latent_dim=4, g_width=8, d_width=8)),
])
def test_one_hot_class_weights_decode_like_integer_labels(family, config) -> None:
    torch.manual_seed(0)
    model = build_model(family, config).eval()
    assert supports_class_mix(model)
    z = np.random.default_rng(0).normal(size=(3, config.latent_dim)).astype(np.float32)
    labels = np.array([0, 4, 9])
    expected = to_uint8_nhwc(model.decode(torch.from_numpy(z), torch.from_numpy(labels)))
    got = decode_class_mix(model, z, np.eye(10, dtype=np.float32)[labels])
    np.testing.assert_array_equal(got, expected)
    # A dataset using only the first classes may give fewer columns: zeros for the rest.
    np.testing.assert_array_equal(decode_class_mix(model, z[:1], np.eye(5)[[0]]), got[:1])
    # Halfway between two classes is neither of them.
    half = decode_class_mix(model, z[:1], class_weights(0, 9, 0.5, 10)[None])
    assert not np.array_equal(half[0], got[0])


def test_unconditional_models_have_no_class_to_mix() -> None:
    model = build_model("gan", GANConfig(latent_dim=2, hidden_dims=(8,)))
    assert not supports_class_mix(model)
    with pytest.raises(ValueError, match="no class input"):
        decode_class_mix(model, np.zeros((1, 2), np.float32), np.ones((1, 10), np.float32))


def test_an_image_file_becomes_a_model_input(tmp_path: Path) -> None:
    # A dark 7-ish stroke on white, wider than tall: padded to a square, inverted for MNIST.
    pic = np.full((40, 60), 255, np.uint8)
    pic[10:30, 20:24] = 0
    Image.fromarray(pic).save(tmp_path / "digit.png")
    out = image_for_model(tmp_path / "digit.png", 1, 28, dark_background=True)
    assert out.shape == (1, 28, 28) and out.dtype == np.uint8
    assert out[0, 0, 0] < 10 and out.max() > 200  # background now dark, stroke bright
    rgb = image_for_model(tmp_path / "digit.png", 3, 32)
    assert rgb.shape == (3, 32, 32) and rgb[:, 0, 0].min() > 245  # not inverted unasked
    mnist_like = np.zeros((4, 28, 28, 1), np.uint8)
    assert dark_background(mnist_like) and not dark_background(255 - mnist_like)


def test_noise_path_frames_are_ddim_samples_of_the_slerped_noise() -> None:
    torch.manual_seed(0)
    model = build_model("ddpm", DDPMConfig(image_size=8, preset="custom", block_channels=(4, 8),
                                           norm_groups=4)).eval()
    alphas = frame_alphas(5)
    frames = list(noise_path_frames(model, 1, 2, alphas, steps=2))
    assert [f.index for f in frames] == fill_order(5)
    noise = slerp(model.initial_noise(1, 1)[0].numpy(), model.initial_noise(1, 2)[0].numpy(),
                  alphas[[1]])
    expected = model.sample(1, 0, noise=torch.from_numpy(noise), sampler="ddim", steps=2,
                            eta=0.0)
    got = next(f for f in frames if f.index == 1)
    assert got.alpha == pytest.approx(0.25) and got.image.shape == (8, 8, 1)
    np.testing.assert_array_equal(got.image, to_uint8_nhwc(expected)[0])


def test_a_cgan_map_draws_samples_of_known_classes() -> None:
    torch.manual_seed(0)
    model = build_model("cgan", CGANConfig(latent_dim=4, g_width=8, d_width=8)).eval()
    events = list(generated_class_latents(model, 25, seed=3, batch_size=10))
    assert [e.done for e in events[:-1]] == [10, 20, 25]
    result = events[-1]
    assert isinstance(result, EncodedLatents) and result.generated
    assert list(result.labels[:12]) == [*range(10), 0, 1]
    expected = model.decode(torch.from_numpy(result.means[:3]), torch.tensor([0, 1, 2]))
    np.testing.assert_array_equal(result.images[:3].transpose(0, 2, 3, 1),
                                  to_uint8_nhwc(expected))
