"""copy_checkpoint: a crash at any moment leaves a loadable checkpoint at the destination."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from models.autoencoders.config import VAEConfig
from models.checkpoint import CheckpointError, copy_checkpoint, load_checkpoint, save_checkpoint
from models.checkpoint.atomic import unfinished_temps
from models.registry import build_model


def vae(latent_dim: int) -> torch.nn.Module:
    torch.manual_seed(0)
    return build_model("vae", VAEConfig(latent_dim=latent_dim, hidden_dims=(8,)))


@pytest.fixture
def two(tmp_path: Path) -> tuple[Path, Path]:
    """Return (src with latent_dim 3, dest with latent_dim 2)."""
    return (save_checkpoint(tmp_path / "src", vae(3)),
            save_checkpoint(tmp_path / "dest", vae(2)))


def latent_dim(path: Path) -> int:
    return load_checkpoint(path).model.config.latent_dim


def test_copy_replaces_the_destination(two: tuple[Path, Path], tmp_path: Path) -> None:
    src, dest = two
    assert copy_checkpoint(src, dest) == dest and latent_dim(dest) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dest", "src"]
    assert copy_checkpoint(src, tmp_path / "new" / "ck") == tmp_path / "new" / "ck"
    assert latent_dim(tmp_path / "new" / "ck") == 3 and latent_dim(src) == 3


def failing_replace(monkeypatch: pytest.MonkeyPatch, from_call: int, until: int) -> None:
    """Make os.replace raise on calls from_call..until (1-based), as a crash there would."""
    real = os.replace
    calls = 0

    def replace(a: object, b: object) -> None:
        nonlocal calls
        calls += 1
        if from_call <= calls <= until:
            raise OSError("killed")
        real(a, b)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", replace)


def test_a_crash_between_the_two_renames_leaves_a_loadable_old_copy(
        two: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    src, dest = two
    failing_replace(monkeypatch, 2, 10**9)  # dest → dest.old went through, nothing after
    with pytest.raises(OSError, match="killed"):
        copy_checkpoint(src, dest)
    monkeypatch.undo()
    assert not dest.exists() and dest.with_name("dest.old").is_dir()
    assert latent_dim(dest) == 2  # load_checkpoint falls back to dest.old


def test_a_failed_swap_puts_the_previous_checkpoint_back(
        two: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src, dest = two
    failing_replace(monkeypatch, 2, 2)
    with pytest.raises(OSError, match="killed"):
        copy_checkpoint(src, dest)
    monkeypatch.undo()
    assert latent_dim(dest) == 2 and not any(t.parent == tmp_path for t in unfinished_temps())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dest", "src"]


def test_a_source_that_is_no_checkpoint_is_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / "junk").mkdir()
    with pytest.raises(CheckpointError, match="junk: not a checkpoint folder"):
        copy_checkpoint(tmp_path / "junk", tmp_path / "dest")
    assert not (tmp_path / "dest").exists()


def test_a_destination_inside_the_source_is_refused(two: tuple[Path, Path]) -> None:
    src, _ = two
    for dest in (src / "copy", src):
        with pytest.raises(CheckpointError, match="into itself"):
            copy_checkpoint(src, dest)
    assert sorted(p.name for p in src.iterdir()) == ["config.json", "model.safetensors"]
