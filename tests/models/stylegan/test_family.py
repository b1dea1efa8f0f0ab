"""The `stylegan` family: a training step, lazy R1, the EMA generator, files, config."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from models.checkpoint import load_checkpoint, save_checkpoint
from models.config import TrainConfig
from models.registry import config_class
from models.stylegan.model import r1_penalty
from tests.models.helpers import DATA, quick_train, small_mnist
from tests.models.stylegan.helpers import TINY, tiny_stylegan


def snapshot(module: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in module.parameters()]


def moved(before: list[torch.Tensor], module: torch.nn.Module) -> bool:
    return any(not torch.equal(a, b) for a, b in zip(before, module.parameters(), strict=True))


def test_one_training_step_updates_g_d_the_ema_generator_and_w_avg() -> None:
    model = tiny_stylegan().train()
    opts = model.configure_optimizers(TrainConfig())
    g0, d0, e0 = (snapshot(m) for m in (model.generator, model.discriminator,
                                          model.generator_ema))
    w_avg = model.generator.mapping.w_avg.clone()
    out = model.training_step(torch.rand(8, 1, 28, 28), torch.zeros(8, dtype=torch.long), opts)
    model.after_training_step()
    assert set(out) == {"loss", "loss_g", "loss_d", "d_real", "d_fake", "r1", "grad_norm_g",
                        "grad_norm_d"}
    assert all(v.dim() == 0 and torch.isfinite(v) and not v.requires_grad
               for v in out.values())
    assert moved(g0, model.generator) and moved(d0, model.discriminator)
    assert moved(e0, model.generator_ema)
    assert not torch.equal(w_avg, model.generator.mapping.w_avg)
    torch.testing.assert_close(model.generator_ema.mapping.w_avg, model.generator.mapping.w_avg)
    assert all(not p.requires_grad for p in model.generator_ema.parameters())


def test_r1_is_positive_and_backpropagates_into_d() -> None:
    model = tiny_stylegan()
    real = torch.rand(6, 1, 28, 28) * 2 - 1
    logits, r1 = r1_penalty(model.discriminator, real)
    assert logits.shape == (6,) and float(r1.detach()) > 0
    r1.backward()
    grads = [p.grad for p in model.discriminator.parameters() if p.grad is not None]
    assert grads and any(float(g.abs().sum()) > 0 for g in grads)
    # It is E‖∇ₓD‖²: for one image, the squared norm of its input gradient.
    x = real[:1].clone().requires_grad_(True)
    (g,) = torch.autograd.grad(model.discriminator(x).sum(), x)
    _, r1_one = r1_penalty(model.discriminator, real[:1])
    torch.testing.assert_close(r1_one, g.square().sum(), rtol=1e-4, atol=1e-6)


def test_r1_runs_on_every_r1_every_th_step_and_is_reported_until_the_next() -> None:
    model = tiny_stylegan(r1_every=3).train()
    opts = model.configure_optimizers(TrainConfig())
    calls = []
    import models.stylegan.model as family

    original = family.r1_penalty

    def counting(d, real):  # type: ignore[no-untyped-def]
        calls.append(int(model.steps_done))
        return original(d, real)

    family.r1_penalty = counting
    try:
        values = [float(model.training_step(torch.rand(4, 1, 28, 28),
                                            torch.zeros(4, dtype=torch.long), opts)["r1"])
                  for _ in range(7)]
    finally:
        family.r1_penalty = original
    assert calls == [0, 3, 6]
    assert values[0] > 0 and values[0] == values[1] == values[2] != values[3]
    off = tiny_stylegan(r1_gamma=0.0).train()
    out = off.training_step(torch.rand(4, 1, 28, 28), torch.zeros(4, dtype=torch.long),
                            off.configure_optimizers(TrainConfig()))
    assert float(out["r1"]) == 0.0


def test_sampling_is_fixed_by_the_seed_and_uses_the_ema_generator() -> None:
    model = tiny_stylegan()
    a = model.sample(4, seed=3)
    assert a.shape == (4, 1, 28, 28) and 0 <= float(a.min()) and float(a.max()) <= 1
    assert torch.equal(a, model.sample(4, seed=3))
    assert not torch.equal(a, model.sample(4, seed=4))
    with torch.no_grad():
        for p in model.generator.parameters():
            p.add_(1.0)
    assert torch.equal(a, model.sample(4, seed=3))  # the trained G is not the one sampled
    no_ema = tiny_stylegan(ema_beta=0.0)
    assert no_ema.sampling_generator is no_ema.generator
    assert not torch.equal(model.sample(4, seed=3, psi=0.5), a)


def test_checkpoint_round_trip_gives_identical_samples(tmp_path: Path) -> None:
    model = tiny_stylegan()
    folder = save_checkpoint(tmp_path / "ck", model)
    loaded = load_checkpoint(folder).model
    assert loaded.family == "stylegan"
    assert torch.equal(model.sample(6, seed=1), loaded.sample(6, seed=1))
    torch.testing.assert_close(loaded.generator_ema.mapping.w_avg,
                               model.generator_ema.mapping.w_avg)


def test_config_refuses_sizes_and_channel_lists_it_cannot_build() -> None:
    cls = config_class("stylegan")
    with pytest.raises(ValueError, match="image_size"):
        cls(image_size=64).validate()
    with pytest.raises(ValueError, match="g_channels"):
        cls(g_channels=(8, 8)).validate()
    with pytest.raises(ValueError, match="d_channels"):
        cls(d_channels=(8,)).validate()
    cls(**TINY, image_size=32, channels=3).validate()


def test_the_trainer_runs_an_epoch_and_writes_previews(tmp_path: Path) -> None:
    from models.training import EpochEnd, Trainer

    trainer = Trainer("stylegan", config_class("stylegan")(**TINY), quick_train(batch_size=32),
                      DATA, tmp_path / "run", dataset=small_mnist(128))
    events = list(trainer.run())
    ends = [e for e in events if isinstance(e, EpochEnd)]
    assert len(ends) == 1 and "d_accuracy" in ends[0].val_metrics
    assert (tmp_path / "run" / "samples" / "epoch-0001.png").is_file()
    assert load_checkpoint(tmp_path / "run" / "checkpoints" / "last").model.family == "stylegan"


def test_a_resumed_run_matches_an_uninterrupted_one(tmp_path: Path) -> None:
    from models.training import Trainer, TrainStep, TrainStopped

    def make(folder: Path) -> Trainer:
        # r1_every 3 with 4 steps an epoch: the R1 schedule crosses the cut.
        return Trainer("stylegan", config_class("stylegan")(**TINY, r1_every=3),
                       quick_train(batch_size=16, epochs=2), DATA, folder,
                       dataset=small_mnist(72))

    def losses(events: list) -> list[dict[str, float]]:
        return [e.metrics for e in events if isinstance(e, TrainStep)]

    whole = list(make(tmp_path / "whole").run())
    trainer, first = make(tmp_path / "cut"), []
    for event in trainer.run():
        first.append(event)
        if isinstance(event, TrainStep) and event.step == 5:
            trainer.request_stop()
    assert isinstance(first[-1], TrainStopped)
    second = list(Trainer.resume(tmp_path / "cut", dataset=small_mnist(72)).run())
    assert losses(first) + losses(second) == losses(whole)
    a = load_checkpoint(tmp_path / "whole" / "checkpoints" / "last").model
    b = load_checkpoint(tmp_path / "cut" / "checkpoints" / "last").model
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(),
                                                  b.state_dict().values(), strict=True))
