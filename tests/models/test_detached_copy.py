"""Copies of a model for other threads: equal weights, independent, RNG untouched."""

import torch

from models.autoencoders.config import VAEConfig
from models.base import detached_copy
from models.registry import build_model


def test_a_detached_copy_has_equal_independent_weights_and_leaves_the_rng_alone() -> None:
    torch.manual_seed(0)
    model = build_model("vae", VAEConfig(latent_dim=2, hidden_dims=(16,)))
    before = torch.get_rng_state()
    copy = detached_copy(model)
    assert torch.equal(torch.get_rng_state(), before)
    for (name, a), b in zip(model.state_dict().items(), copy.state_dict().values(), strict=True):
        assert torch.equal(a, b), name
        assert a.data_ptr() != b.data_ptr()
    assert not copy.training and not any(p.requires_grad for p in copy.parameters())
    with torch.no_grad():
        next(model.parameters()).add_(1.0)
    assert not torch.equal(next(model.parameters()), next(copy.parameters()))
