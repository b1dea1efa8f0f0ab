"""Exact likelihood: 8 bits per dimension for a uniform model, bits/dim from nats, the NLL
falling as a tiny model trains, labels for the conditional model."""

from __future__ import annotations

import math

import pytest
import torch

from models.config import TrainConfig
from models.pixelcnn.likelihood import LEVELS, bits_per_dim, nll_nats, quantise
from tests.models.helpers import small_mnist
from tests.models.pixelcnn.helpers import tiny

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.parametrize("channels", [1, 3])
def test_a_uniform_model_measures_exactly_8_bits_per_dim(channels: int) -> None:
    levels = torch.randint(0, LEVELS, (5, channels, 8, 8))
    uniform = torch.zeros(5, LEVELS, channels, 8, 8)  # equal logits: p = 1/256 per value
    bpd = bits_per_dim(nll_nats(uniform, levels), channels * 64)
    assert bpd.tolist() == pytest.approx([8.0] * 5, abs=1e-6)
    # The model's own path: a last layer of zeros predicts the uniform distribution.
    model = tiny(channels)
    with torch.no_grad():
        model.head[-1].weight.zero_()
        model.head[-1].bias.zero_()
    bpd = model.nll_bits_per_dim(torch.rand(5, channels, 8, 8))
    assert bpd.shape == (5,) and bpd.dtype == torch.float32
    assert bpd.tolist() == pytest.approx([8.0] * 5, abs=1e-6)
    assert type(model).likelihood_kind == "exact"


def test_bits_per_dim_is_nats_over_d_ln2_of_the_quantised_pixels() -> None:
    model = tiny()
    x = torch.rand(3, 1, 8, 8)
    levels = quantise(x)
    assert levels.min() >= 0 and levels.max() <= 255
    # Pixels within half a level of the same 8-bit value measure the same.
    nudged = (levels.float() + 0.3) / 255.0
    torch.testing.assert_close(model.nll_bits_per_dim(x), model.nll_bits_per_dim(nudged))
    logits = model.logits(levels)
    by_hand = -torch.log_softmax(logits.double(), dim=1).gather(1, levels[:, None]).sum(
        dim=(1, 2, 3, 4)) / (64 * math.log(2))
    torch.testing.assert_close(model.nll_bits_per_dim(x).double(), by_hand, rtol=1e-5,
                               atol=1e-6)


def test_nll_in_chunks_matches_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    import models.pixelcnn.model as model_module

    model = tiny(conditional=True)
    x, y = torch.rand(7, 1, 8, 8), torch.arange(7) % 10
    whole = model.nll_bits_per_dim(x, y)
    monkeypatch.setattr(model_module, "NLL_CHUNK", 3)
    torch.testing.assert_close(model.nll_bits_per_dim(x, y), whole)
    assert model.nll_bits_per_dim(x[:0], y[:0]).shape == (0,)


def test_a_tiny_models_nll_decreases_over_a_few_steps() -> None:
    data = small_mnist(64)
    x = torch.from_numpy(data.images[:32, :, 10:18, 10:18]).float() / 255.0
    y = torch.from_numpy(data.labels[:32])
    model = tiny().train()
    opts = model.configure_optimizers(TrainConfig(lr=1e-2))
    before = float(model.nll_bits_per_dim(x).mean())
    losses = [float(model.training_step(x, y, opts)["loss"]) for _ in range(12)]
    after = float(model.nll_bits_per_dim(x).mean())
    assert losses[-1] < losses[0] and after < before - 0.3
    metrics = model.validation_step(x, y)
    assert set(metrics) == {"loss", "bits_per_dim", "nll"}
    assert float(metrics["nll"]) == pytest.approx(float(metrics["bits_per_dim"])
                                                  * 64 * math.log(2), rel=1e-5)


def test_the_conditional_model_needs_labels_and_uses_them() -> None:
    model = tiny(conditional=True)
    x = torch.rand(4, 1, 8, 8)
    with pytest.raises(ValueError, match="needs class labels"):
        model.nll_bits_per_dim(x)
    with pytest.raises(ValueError, match="every image has a class"):
        model.validation_step(x, torch.tensor([0, 1, -1, 2]))
    with torch.no_grad():
        model.layers[0].class_bias.weight.mul_(20)
    a = model.nll_bits_per_dim(x, labels=torch.zeros(4, dtype=torch.long))
    b = model.nll_bits_per_dim(x, labels=torch.full((4,), 3))
    assert not torch.allclose(a, b)
    assert model.capabilities.conditional and not tiny().capabilities.conditional


def test_config_refuses_widths_that_do_not_split_per_channel_and_even_kernels() -> None:
    from models.pixelcnn.config import PixelCNNConfig

    with pytest.raises(ValueError, match="filters must be a multiple of channels"):
        PixelCNNConfig(channels=3, filters=32).validate()
    with pytest.raises(ValueError, match="kernel must be odd"):
        PixelCNNConfig(kernel=4).validate()
    PixelCNNConfig(channels=3, filters=33, output_filters=63).validate()
