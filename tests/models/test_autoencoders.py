"""The autoencoder family: shapes, loss terms, sampling and learning on real digits."""

import pytest
import torch

from models.config import TrainConfig
from models.registry import build_model, config_class
from tests.models.helpers import small_mnist

AE_FAMILIES = ("ae", "vae", "conv-vae", "cvae")


def tiny(name: str, channels: int, size: int):
    cls = config_class(name)
    kwargs = {"channels": channels, "image_size": size, "latent_dim": 3}
    if name == "conv-vae":
        kwargs.update(conv_channels=(4, 8), fc_dim=16)
    else:
        kwargs["hidden_dims"] = (32,)
    return build_model(name, cls(**kwargs))


@pytest.mark.parametrize("name", AE_FAMILIES)
@pytest.mark.parametrize(("channels", "size"), [(1, 28), (3, 28), (1, 32), (3, 32)])
def test_shapes_of_encode_decode_sample_and_reconstruct(name: str, channels: int,
                                                        size: int) -> None:
    torch.manual_seed(0)
    model = tiny(name, channels, size)
    x = torch.rand(5, channels, size, size)
    y = torch.arange(5)
    mu, logvar = model.encode(x, y)
    assert mu.shape == logvar.shape == (5, 3)
    out = model.decode(mu, y)
    assert out.shape == x.shape and 0 <= out.min() and out.max() <= 1
    assert model.reconstruct(x, y).shape == x.shape
    samples = model.sample(6, seed=1)
    assert samples.shape == (6, channels, size, size)
    assert torch.equal(samples, model.sample(6, seed=1))
    assert not torch.equal(samples, model.sample(6, seed=2))
    caps = model.capabilities
    assert caps.can_encode and caps.latent_shape == (3,)
    assert caps.conditional == (name == "cvae")


@pytest.mark.parametrize("name", AE_FAMILIES)
def test_loss_terms_are_reported_separately(name: str) -> None:
    model = tiny(name, 1, 28)
    terms = model.losses(torch.rand(4, 1, 28, 28), torch.arange(4))
    assert terms["kl_per_dim"].shape == (3,)
    if name == "ae":
        assert "kl" not in terms
        assert torch.allclose(terms["loss"], terms["recon"])
    else:
        assert torch.allclose(terms["kl"], terms["kl_per_dim"].sum())
        assert torch.allclose(terms["loss"], terms["recon"] + model.config.beta * terms["kl"])


def test_beta_weights_the_kl_term() -> None:
    cls = config_class("vae")
    torch.manual_seed(0)
    a = build_model("vae", cls(latent_dim=2, hidden_dims=(16,), beta=1.0))
    b = build_model("vae", cls(latent_dim=2, hidden_dims=(16,), beta=4.0))
    b.load_state_dict(a.state_dict())
    x = torch.rand(4, 1, 28, 28)
    ta, tb = a.losses(x, None, stochastic=False), b.losses(x, None, stochastic=False)
    assert torch.allclose(tb["loss"] - ta["loss"], 3.0 * ta["kl"], atol=1e-3)


def test_cvae_decodes_differently_per_class() -> None:
    model = tiny("cvae", 1, 28)
    z = torch.zeros(2, 3)
    imgs = model.decode(z, torch.tensor([0, 7]))
    assert not torch.allclose(imgs[0], imgs[1])
    with pytest.raises(ValueError, match="labels"):
        model.decode(z)


@pytest.mark.parametrize("name", ["vae", "conv-vae"])
def test_loss_falls_on_real_digits_within_a_few_hundred_steps(name: str) -> None:
    torch.manual_seed(0)
    ds = small_mnist(2048)
    cls = config_class(name)
    model = build_model(name, cls(latent_dim=8))
    opts = model.configure_optimizers(TrainConfig(lr=2e-3))
    x_all = torch.from_numpy(ds.images).float() / 255
    y_all = torch.from_numpy(ds.labels)
    losses = []
    for step in range(200):
        idx = torch.arange(step * 64, step * 64 + 64) % len(ds)
        losses.append(float(model.training_step(x_all[idx], y_all[idx], opts)["loss"]))
    first, last = sum(losses[:10]) / 10, sum(losses[-10:]) / 10
    assert last < 0.75 * first, (first, last)


@pytest.mark.parametrize("name", AE_FAMILIES)
def test_a_trained_model_can_be_deep_copied_for_inference(name: str) -> None:
    import copy

    model = tiny(name, 1, 28)
    opts = model.configure_optimizers(TrainConfig())
    model.training_step(torch.rand(8, 1, 28, 28), torch.arange(8), opts)
    clone = copy.deepcopy(model)
    assert torch.equal(clone.sample(2, seed=0), model.sample(2, seed=0))
