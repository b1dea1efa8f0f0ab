"""RealNVP as a family: invertible encoder and decoder, sampling at a temperature,
training with the trainer, checkpoints, and the latent map and interpolation using it."""

from pathlib import Path

import numpy as np
import pytest
import torch

from models.base import detached_copy
from models.checkpoint import load_checkpoint
from models.flows.config import RealNVPConfig
from models.flows.realnvp import RealNVP
from models.latent.decode import decode_latents
from models.latent.interpolation import frame_alphas, path_latents
from models.latent.map_compute import MapProgress, compute_map
from models.latent.map_contents import MapContents
from models.opened import opened_from_training
from models.registry import build_model, config_class
from models.training import EpochEnd, Trainer
from tests.models.flows.test_likelihood import TINY, randomized
from tests.models.helpers import DATA, quick_train, small_mnist

SMALL = RealNVPConfig(num_scales=2, couplings=1, hidden_channels=8, res_blocks=1)


def test_the_family_is_registered_with_a_torch_free_config() -> None:
    assert config_class("realnvp") is RealNVPConfig
    caps = build_model("realnvp", SMALL).capabilities
    assert caps.can_encode and caps.has_prior and not caps.conditional
    assert caps.latent_shape == (784,)


def test_28_pixels_squeeze_twice_and_no_more() -> None:
    assert RealNVP(SMALL).latent_parts == ((2, 14, 14), (4, 7, 7), (4, 7, 7))
    with pytest.raises(ValueError, match="halve"):
        SMALL.replace(num_scales=3)
    colour = RealNVP(SMALL.replace(image_size=32, channels=3, num_scales=3))
    assert sum(int(np.prod(p)) for p in colour.latent_parts) == 3 * 32 * 32


@pytest.mark.parametrize("channels", [1, 3])
def test_decode_inverts_encode_to_1e_4(channels: int) -> None:
    model = randomized(TINY.replace(channels=channels))
    levels = torch.randint(0, 256, (6, channels, 8, 8), generator=torch.Generator().manual_seed(1))
    x = levels.double() / 255
    z, logvar = model.encode(x)
    assert z.shape == (6, channels * 64) and not logvar.any()
    assert (model.decode(z) - x).abs().max() < 1e-4
    h = torch.randn(6, channels, 8, 8, dtype=torch.float64) * 3
    assert (model.flow_inverse(model.flow_forward(h)[0]) - h).abs().max() < 1e-6


def test_encode_is_deterministic_and_works_in_float32() -> None:
    model = randomized(TINY, scale=0.05).float()
    x = small_mnist(4).images[:, :, 10:18, 10:18]
    x = torch.from_numpy(x).float() / 255
    z1, _ = model.encode(x)
    assert torch.equal(z1, model.encode(x)[0])
    assert (model.decode(z1) - x).abs().max() < 1e-4


def test_sampling_repeats_per_seed_and_follows_the_temperature() -> None:
    model = randomized(TINY).float()
    a = model.sample(4, seed=3, temperature=0.7)
    assert a.shape == (4, 1, 8, 8) and 0 <= a.min() and a.max() <= 1
    assert torch.equal(a, model.sample(4, seed=3, temperature=0.7))
    assert not torch.equal(a, model.sample(4, seed=3, temperature=1.0))
    cold = model.sample(3, seed=3, temperature=0.0)  # every sample is f⁻¹(0)
    assert torch.equal(cold, model.decode(torch.zeros(3, 64)))
    # The config's temperature is the default (previews use it).
    warm = RealNVP(TINY.replace(temperature=0.7))
    warm.load_state_dict(model.state_dict())
    assert torch.equal(warm.sample(4, seed=3), a)
    with pytest.raises(ValueError, match="steps"):
        model.sample(2, seed=0, steps=3)


def test_training_lowers_bits_per_dim_and_the_checkpoint_keeps_them(tmp_path: Path) -> None:
    data = small_mnist(256)
    trainer = Trainer("realnvp", SMALL, quick_train(epochs=2, lr=3e-3), DATA, tmp_path,
                      dataset=data)
    ends = [e for e in trainer.run() if isinstance(e, EpochEnd)]
    bpd = [e.val_metrics["bits_per_dim"] for e in ends]
    assert bpd[1] < bpd[0] < 8.0  # the digits are far from uniform noise
    loaded = load_checkpoint(tmp_path)
    model = loaded.model.eval()
    assert all(bool(m.initialized) for m in model.modules() if hasattr(m, "initialized"))
    x = torch.from_numpy(data.images[:32]).float() / 255
    with torch.no_grad():
        assert torch.allclose(model.nll_bits_per_dim(x),
                              trainer.model.eval().nll_bits_per_dim(x), atol=1e-5)


def test_the_latent_map_and_interpolation_work_through_the_flow() -> None:
    torch.manual_seed(0)
    net = randomized(TINY.replace(image_size=28, actnorm=False), seed=2, scale=0.05).float()
    data = small_mnist(64)
    opened = opened_from_training(detached_copy(net), epoch=1, data=DATA, train=None,
                                  class_names=data.class_names, checkpoint=None, run_dir=None)
    events = list(compute_map(opened, opened.inference_copy(), lambda _cfg: data))
    assert any(isinstance(e, MapProgress) for e in events)
    contents = events[-1]
    assert isinstance(contents, MapContents)
    assert contents.means.shape == (64, 784) and not contents.generated
    assert contents.has_prior and contents.kl_per_dim is None  # a bijection: no KL
    # Interpolating two encoded digits: the path's ends decode to those digits.
    a, b = contents.means[0], contents.means[1]
    frames = path_latents(a, b, frame_alphas(5))
    images = decode_latents(net, frames)
    assert images.shape == (5, 28, 28, 1)
    np.testing.assert_allclose(images[0, ..., 0], data.images[0, 0], atol=1)
    np.testing.assert_allclose(images[-1, ..., 0], data.images[1, 0], atol=1)
    assert not np.array_equal(images[2], images[0])
