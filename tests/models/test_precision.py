"""Mixed precision and the speed options on the CPU path: bf16 and fp16 autocast train
every kind of family with fp32 weights, fp16's loss scale is kept and resumed,
channels-last changes the layout and not the result, and --compile compiles the networks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from models.autoencoders.config import VAEConfig
from models.config import DataConfig
from models.diffusion.config import DDPMConfig
from models.gans.config import DCGANConfig, WGANGPConfig
from models.training.precision import Precision, compile_networks
from tests.models.helpers import quick_train, small_mnist

CONFIGS = {"vae": VAEConfig(latent_dim=2, hidden_dims=(16,)),
           "dcgan": DCGANConfig(latent_dim=4, g_width=8, d_width=8),
           "wgan-gp": WGANGPConfig(latent_dim=4, g_width=8, d_width=8),
           "ddpm": DDPMConfig(preset="custom", block_channels=(4, 8), norm_groups=4,
                              sample_steps=2)}
DATA = DataConfig(dataset="mnist5k")


def _train(tmp: Path, family: str, **changes: object):
    from models.training import Trainer

    trainer = Trainer(family, CONFIGS[family], quick_train(batch_size=32, **changes), DATA,
                      tmp, dataset=small_mnist(80))
    events = list(trainer.run())
    return trainer, events


def _step_losses(run: Path) -> list[float]:
    lines = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    return [s["loss"] for s in lines if s["kind"] == "step"]


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
@pytest.mark.parametrize("family", list(CONFIGS))
def test_mixed_precision_trains_every_kind_of_family_with_fp32_weights(
        tmp_path: Path, family: str, precision: str) -> None:
    trainer, events = _train(tmp_path / precision, family, precision=precision)
    assert type(events[-1]).__name__ == "TrainFinished", events[-1]
    assert all(p.dtype == torch.float32 for p in trainer.model.parameters())
    low = _step_losses(tmp_path / precision)
    assert all(np.isfinite(low))
    _train(tmp_path / "fp32", family)
    full = _step_losses(tmp_path / "fp32")
    # the same steps from the same seed, computed in another precision: close, not equal
    assert low != full
    assert low[0] == pytest.approx(full[0], rel=0.1)


def test_fp16_keeps_its_loss_scale_in_the_checkpoint_and_resumes_with_it(
        tmp_path: Path) -> None:
    from models.checkpoint import load_checkpoint
    from models.training import Trainer

    trainer, _ = _train(tmp_path, "vae", precision="fp16")
    scale = trainer._precision.scaler.get_scale()
    saved = load_checkpoint(tmp_path, with_training_state=True).progress["grad_scaler"]
    assert saved["scale"] == scale
    resumed = Trainer.resume(tmp_path, epochs=2, dataset=small_mnist(80))
    assert resumed._precision.scaler.get_scale() == scale


def test_fp16_skips_a_step_whose_gradients_overflow_and_lowers_the_scale() -> None:
    precision = Precision("fp16", torch.device("cpu"))
    layer = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(layer.parameters(), lr=0.1)
    before = layer.weight.detach().clone()
    scale = precision.scaler.get_scale()
    with precision.autocast():
        loss = layer(torch.full((1, 2), 3e38)).sum()  # its gradient overflows fp32 × scale
    precision.scaler.scale(loss).backward()
    precision.scaler.step(opt)
    precision.update()
    assert torch.equal(layer.weight, before)
    assert precision.scaler.get_scale() < scale


def test_channels_last_changes_the_layout_of_weights_and_not_the_training(
        tmp_path: Path) -> None:
    trainer, _ = _train(tmp_path / "nhwc", "dcgan", channels_last=True)
    convs = [m.weight for m in trainer.model.modules() if isinstance(m, torch.nn.Conv2d)]
    assert convs and all(w.is_contiguous(memory_format=torch.channels_last) for w in convs)
    _train(tmp_path / "nchw", "dcgan")
    assert _step_losses(tmp_path / "nhwc") == pytest.approx(_step_losses(tmp_path / "nchw"),
                                                            rel=1e-4, abs=1e-5)


def test_compile_compiles_each_network_and_keeps_the_checkpoint_keys(tmp_path: Path,
                                                                     monkeypatch) -> None:
    import models.training.precision as precision

    compiled: list[list[str]] = []

    def eager(model: torch.nn.Module, backend: str = "inductor") -> list[str]:
        # the plumbing, with the eager backend: inductor builds C++ for a minute here
        compiled.append(compile_networks(model, backend="eager"))
        return compiled[-1]

    monkeypatch.setattr(precision, "compile_networks", eager)
    trainer, events = _train(tmp_path, "dcgan", compile=True)
    assert type(events[-1]).__name__ == "TrainFinished"
    assert compiled == [["generator", "discriminator"]]
    from models.checkpoint import load_checkpoint

    assert load_checkpoint(tmp_path).model.state_dict().keys() == \
        trainer.model.state_dict().keys()


def test_an_unknown_precision_is_refused_in_one_line() -> None:
    with pytest.raises(ValueError, match="precision must be one of fp32, bf16, fp16"):
        Precision("fp8", torch.device("cpu"))
