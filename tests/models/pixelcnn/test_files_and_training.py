"""A PixelCNN in the rest of the system: checkpoints, the trainer, `eval`'s bits/dim."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from models.checkpoint import load_checkpoint, save_checkpoint
from models.data import ImageDataset, split_indices
from models.registry import build_model, config_class
from tests.models.helpers import DATA, quick_train, small_mnist
from tests.models.pixelcnn.helpers import sharpened, tiny

pytestmark = pytest.mark.usefixtures("one_thread")

TINY = {"filters": 4, "gated_layers": 1, "output_filters": 4}


def _tiny_digits(n: int = 64) -> ImageDataset:
    """Return n bundled digits cut to their centre 8×8 pixels (fast to train and sample)."""
    data = small_mnist(n)
    return ImageDataset("mnist5k", data.images[:, :, 10:18, 10:18].copy(), data.labels,
                        data.class_names)


def test_the_registry_builds_it_from_a_torch_free_config() -> None:
    cfg = config_class("pixelcnn")(image_size=8, **TINY)
    model = build_model("pixelcnn", cfg)
    assert model.family == "pixelcnn" and model.config == cfg
    caps = model.capabilities
    assert not caps.can_encode and not caps.is_diffusion and not caps.has_prior
    assert caps.latent_shape == ()
    assert {s.name for s in cfg.field_specs()} >= {"filters", "gated_layers",
                                                    "class_conditional"}


def test_a_checkpoint_round_trip_keeps_likelihood_and_samples(tmp_path: Path) -> None:
    model = sharpened(tiny(3, conditional=True, filters=6))
    save_checkpoint(tmp_path / "ck", model)
    loaded = load_checkpoint(tmp_path / "ck").model
    x, y = torch.rand(3, 3, 8, 8), torch.tensor([1, 2, 3])
    torch.testing.assert_close(loaded.nll_bits_per_dim(x, y), model.nll_bits_per_dim(x, y))
    assert torch.equal(loaded.sample(2, seed=4), model.sample(2, seed=4))


def test_the_trainer_logs_bits_per_dim_and_likelihood_metrics_average_them(
        tmp_path: Path) -> None:
    from models.evaluation import likelihood_metrics
    from models.training import EpochEnd, Trainer

    run = tmp_path / "run"
    trainer = Trainer("pixelcnn", config_class("pixelcnn")(**TINY),
                      quick_train(batch_size=16, lr=1e-2), DATA, run, dataset=_tiny_digits())
    ends = [e for e in trainer.run() if isinstance(e, EpochEnd)]
    val = ends[-1].val_metrics
    assert val["loss"] == val["bits_per_dim"]
    # The logged value is the mean exact bits/dim of the held-out split.
    loaded = load_checkpoint(run)
    data = _tiny_digits()
    _, val_idx = split_indices(len(data), 0.1, 0)
    held_out = torch.from_numpy(data.images[val_idx]).float() / 255
    assert val["bits_per_dim"] == pytest.approx(
        float(loaded.model.nll_bits_per_dim(held_out).mean()), rel=1e-5)
    images, labels = torch.from_numpy(data.images[:20]), torch.from_numpy(data.labels[:20])
    out = likelihood_metrics(loaded.model, images, labels, batch_size=7)  # 3 batches
    assert out["likelihood_kind"] == "exact"
    expected = float(loaded.model.nll_bits_per_dim(images.float() / 255).mean())
    assert out["bits_per_dim"] == pytest.approx(expected, rel=1e-6)
    assert likelihood_metrics(build_model("vae", config_class("vae")()), images, labels) == {}
    json.dumps(out)
