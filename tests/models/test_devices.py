"""Device choice: auto falls back to the CPU; training runs on every device present."""

import os
from pathlib import Path

import pytest
import torch

from models.autoencoders.config import ConvVAEConfig
from models.checkpoint import load_checkpoint
from models.device import available_devices, resolve_device
from models.training import Trainer, TrainFinished
from tests.models.helpers import DATA, quick_train, small_mnist

ACCELERATORS = [d for d in available_devices() if d != "cpu"]


def test_auto_picks_the_first_available_device() -> None:
    assert resolve_device("auto") == torch.device(available_devices()[0])
    assert resolve_device("cpu") == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is present here")
def test_requesting_absent_cuda_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="CUDA is not available"):
        resolve_device("cuda")


@pytest.mark.parametrize("device", ["cpu", *ACCELERATORS])
def test_training_and_checkpoints_work_on_each_device(device: str, tmp_path: Path) -> None:
    trainer = Trainer("conv-vae", ConvVAEConfig(conv_channels=(4, 8), fc_dim=16),
                      quick_train(device=device, batch_size=32), DATA, tmp_path,
                      dataset=small_mnist(96))
    assert isinstance(list(trainer.run())[-1], TrainFinished)
    assert trainer.model.device.type == torch.device(device).type
    loaded = load_checkpoint(tmp_path, device=device)
    resumed = Trainer.resume(tmp_path, epochs=2, dataset=small_mnist(96), device=device)
    assert isinstance(list(resumed.run())[-1], TrainFinished)
    assert loaded.model.sample(2, seed=0).device.type == torch.device(device).type


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_samples_match_the_cpu_for_the_same_seed(tmp_path: Path) -> None:
    from models.autoencoders.config import VAEConfig
    from models.registry import build_model

    torch.manual_seed(0)
    model = build_model("vae", VAEConfig(hidden_dims=(16,)))
    cpu = model.sample(4, seed=3)
    gpu = model.to("cuda").sample(4, seed=3).cpu()
    assert torch.allclose(cpu, gpu, atol=1e-5)


def test_background_saving_gets_a_core_only_where_torch_leaves_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from models import device as dev

    assert 1 <= dev.usable_cores() <= (os.cpu_count() or 1)
    monkeypatch.setattr(dev, "usable_cores", lambda: 2)
    monkeypatch.setattr(torch, "get_num_threads", lambda: 2)
    assert not dev.has_spare_core(torch.device("cpu"))
    assert dev.has_spare_core(torch.device("cuda", 0))  # the CPU waits on the GPU
    monkeypatch.setattr(torch, "get_num_threads", lambda: 1)
    assert dev.has_spare_core(torch.device("cpu"))
