"""Checkpoints serialised from a copy on the writer thread equal the trained model, for
every family (the copy is rebuilt from the config and loaded with the live weights)."""

from pathlib import Path

import numpy as np
import pytest
import torch

from models.checkpoint import load_checkpoint
from models.config import DataConfig, TrainConfig
from models.registry import config_class
from models.training import Trainer
from tests.models.helpers import small_mnist

TINY = {
    "ae": {"latent_dim": 2, "hidden_dims": (16,)},
    "cvae": {"latent_dim": 2, "hidden_dims": (16,)},
    "conv-vae": {"latent_dim": 2, "conv_channels": (4, 8), "fc_dim": 16},
    "dcgan": {"latent_dim": 4, "g_width": 4, "d_width": 4, "spectral_norm": True},
    "wgan-gp": {"latent_dim": 4, "g_width": 4, "d_width": 4, "n_critic": 2},
    "cgan": {"latent_dim": 4},
    "ddpm": {"preset": "custom", "block_channels": (4, 8), "norm_groups": 4,
             "sample_steps": 2},
}


@pytest.mark.parametrize("family", sorted(TINY))
def test_a_checkpoint_saved_off_thread_equals_the_trained_model(
        family: str, tmp_path: Path) -> None:
    config = config_class(family)(**TINY[family])
    train = TrainConfig(epochs=2, batch_size=32, seed=0, preview_n=4, device="cpu",
                        keep_epoch_checkpoints=True)
    trainer = Trainer(family, config, train, DataConfig(), tmp_path,
                      dataset=small_mnist(96))
    trainer._offload = True
    list(trainer.run())
    for folder in ("last", "epoch-2"):
        saved = load_checkpoint(tmp_path / "checkpoints" / folder).model.state_dict()
        live = trainer.model.state_dict()
        assert set(saved) == set(live)
        for key, value in live.items():
            assert torch.equal(saved[key].cpu(), value.cpu()), (folder, key)
    resumed = Trainer.resume(tmp_path, epochs=3, dataset=small_mnist(96))
    for name, opt in trainer.optimizers.items():
        a, b = opt.state_dict()["state"], resumed.optimizers[name].state_dict()["state"]
        assert a.keys() == b.keys()
        for pid in a:
            for k, v in a[pid].items():
                np.testing.assert_array_equal(np.asarray(v), np.asarray(b[pid][k]))
