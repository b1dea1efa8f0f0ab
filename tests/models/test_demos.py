"""The bundled demo checkpoints: each loads and samples offline; the catalogue is robust."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from models.checkpoint import load_checkpoint
from models.demos import DEMOS_DIR, list_demos

EXPECTED = {"vae-2d", "conv-vae-16", "dcgan", "cddpm-tiny", "ldm-digits"}
MB = 1024 * 1024
RESOURCES_BUDGET = 40 * MB  # every bundled file: demos, the digit classifier, icons


def _bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def test_the_five_demos_are_bundled_within_the_size_budget() -> None:
    demos = {d.name: d for d in list_demos()}
    assert set(demos) == EXPECTED
    sizes = {name: _bytes(d.path) for name, d in demos.items()}
    assert all(size <= 10 * MB for size in sizes.values()), sizes
    assert _bytes(DEMOS_DIR.parent) <= RESOURCES_BUDGET, sizes
    assert all(d.train_seconds > 0 and d.epochs > 0 for d in demos.values())


def test_the_latent_diffusion_demo_ships_weights_only() -> None:
    """EMA UNet and autoencoder in fp32, no optimiser state: small enough to bundle."""
    folder = DEMOS_DIR / "ldm-digits"
    names = {f.name for f in folder.rglob("*") if f.is_file()}
    assert {"config.json", "diffusion_pytorch_model.safetensors"} <= names
    assert not any(n.startswith("training_state") for n in names)
    assert (folder / "vae" / "config.json").is_file() and (folder / "unet").is_dir()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_demo_loads_and_samples(name: str) -> None:
    torch.set_num_threads(1)
    loaded = load_checkpoint(DEMOS_DIR / name)
    options = {"steps": 2} if loaded.model.capabilities.is_diffusion else {}
    images = loaded.model.sample(4, 0, **options)
    assert images.shape == (4, 1, 28, 28)
    assert torch.isfinite(images).all()
    assert float(images.min()) >= 0.0 and float(images.max()) <= 1.0
    # A trained model draws strokes on a dark background, not a flat or noisy field.
    assert 0.02 < float(images.mean()) < 0.5


def test_catalogue_skips_missing_folders_and_broken_entries(tmp_path: Path) -> None:
    (tmp_path / "good").mkdir()
    (tmp_path / "good" / "config.json").write_text("{}")
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "config.json").write_text("{}")
    (tmp_path / "index.json").write_text(json.dumps({"demos": [
        {"name": "good", "title": "Good", "family": "vae", "epochs": 3, "train_seconds": 9},
        {"name": "cpu", "title": "CPU", "family": "ldm", "epochs": 3, "train_seconds": 90,
         "cpu_seconds": 30},
        {"name": "absent", "title": "Absent", "family": "vae"},
        {"title": "no name"},
    ]}))
    demos = list_demos(tmp_path)
    assert [d.name for d in demos] == ["good", "cpu"] and demos[0].path == tmp_path / "good"
    # A shared machine's wall clock counts others' work: the CPU seconds are the cost.
    assert [d.train_seconds for d in demos] == [9.0, 30.0]
    assert list_demos(tmp_path / "nowhere") == []
    (tmp_path / "index.json").write_text("{not json")
    assert list_demos(tmp_path) == []
