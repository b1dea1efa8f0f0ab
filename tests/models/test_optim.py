"""The shared Adam: fused where the device has kernels; resuming keeps this machine's
implementation choice."""

import torch

from models.autoencoders.config import VAEConfig
from models.checkpoint.train_state import flatten_optimizers, restore_optimizers
from models.config import TrainConfig
from models.optim import adam
from models.registry import build_model


def test_adam_is_fused_on_the_cpu_and_steps_like_plain_adam() -> None:
    torch.manual_seed(0)
    a = torch.nn.Linear(8, 4)
    b = torch.nn.Linear(8, 4)
    b.load_state_dict(a.state_dict())
    fused = adam(a.parameters(), lr=1e-2)
    plain = torch.optim.Adam(b.parameters(), lr=1e-2)
    assert fused.param_groups[0]["fused"] is True
    x = torch.randn(16, 8)
    for _ in range(5):
        for net, opt in ((a, fused), (b, plain)):
            opt.zero_grad()
            net(x).square().mean().backward()
            opt.step()
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)


def test_resuming_keeps_this_machines_implementation_and_the_saved_state() -> None:
    model = build_model("vae", VAEConfig(latent_dim=2, hidden_dims=(8,)))
    opts = model.configure_optimizers(TrainConfig())
    x = torch.rand(4, 1, 28, 28)
    model.training_step(x, torch.zeros(4, dtype=torch.long), opts)
    tensors, meta = flatten_optimizers(opts)
    assert meta["model"]["param_groups"][0]["fused"] is True
    other = {"model": torch.optim.Adam(model.parameters(), lr=1e-3)}  # e.g. no fused kernel
    restore_optimizers(other, tensors, meta)
    group = other["model"].param_groups[0]
    assert group["fused"] is None and group["lr"] == opts["model"].param_groups[0]["lr"]
    state = other["model"].state_dict()["state"]
    assert torch.equal(state[0]["exp_avg"], opts["model"].state_dict()["state"][0]["exp_avg"])
