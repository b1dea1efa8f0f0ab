"""Staged checkpoints committed on the trainer's writer thread: order, failures, links."""

import os
from pathlib import Path

import pytest
import torch

from models.autoencoders.config import VAEConfig
from models.checkpoint import load_checkpoint
from models.checkpoint.atomic import StagedFolder, commit_in_order
from models.checkpoint.store import (
    TRAIN_JSON,
    TRAIN_TENSORS,
    stage_checkpoint,
    stage_weights_only,
)
from models.registry import build_model
from models.training.writer import BackgroundWriter


def vae(seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    return build_model("vae", VAEConfig(latent_dim=2, hidden_dims=(16,)))


def stage(folder: Path, seed: int, with_state: bool = True) -> StagedFolder:
    state = {"rng/cpu": torch.get_rng_state()} if with_state else None
    return stage_checkpoint(folder, vae(seed), progress={"epoch": seed}, train_tensors=state)


def test_a_staged_checkpoint_is_invisible_until_committed(tmp_path: Path) -> None:
    staged = stage(tmp_path / "last", 1)
    assert not (tmp_path / "last").exists()
    staged.commit()
    assert load_checkpoint(tmp_path / "last").progress["epoch"] == 1


def test_commits_land_in_submission_order(tmp_path: Path) -> None:
    writer = BackgroundWriter()
    done: list[int] = []
    for epoch in range(1, 6):
        staged = stage(tmp_path / "last", epoch)
        writer.submit(lambda s=staged, e=epoch: (s.commit(), done.append(e)))
    writer.wait()
    writer.close()
    assert done == [1, 2, 3, 4, 5]
    assert load_checkpoint(tmp_path / "last").progress["epoch"] == 5
    assert [p.name for p in tmp_path.iterdir()] == ["last"]  # no temp or .old left over


def test_a_failed_commit_is_raised_on_wait_and_keeps_the_previous_checkpoint(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writer = BackgroundWriter()
    first = stage(tmp_path / "last", 1)
    writer.submit(first.commit)
    writer.wait()

    def disk_full(self: StagedFolder) -> Path:
        self.discard()
        raise OSError(28, "No space left on device")

    later = [stage(tmp_path / "last", 2), stage(tmp_path / "epoch-2", 2)]
    monkeypatch.setattr(StagedFolder, "commit", disk_full)
    writer.submit(lambda: commit_in_order(later))
    with pytest.raises(OSError, match="No space left"):
        writer.wait()
    writer.wait()  # raised once, not forever
    writer.close()
    assert load_checkpoint(tmp_path / "last").progress["epoch"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last"]  # epoch-2 discarded too


def test_a_weights_only_copy_shares_the_weight_file_and_drops_the_training_state(
        tmp_path: Path) -> None:
    last = stage(tmp_path / "last", 3)
    past = stage_weights_only(last, tmp_path / "epoch-3")
    last.commit()
    past.commit()
    assert {p.name for p in (tmp_path / "last").iterdir()} == {
        "config.json", "model.safetensors", TRAIN_TENSORS, TRAIN_JSON}
    assert {p.name for p in (tmp_path / "epoch-3").iterdir()} == {
        "config.json", "model.safetensors"}
    a = os.stat(tmp_path / "last" / "model.safetensors")
    b = os.stat(tmp_path / "epoch-3" / "model.safetensors")
    assert a.st_ino == b.st_ino  # a hard link: written once
    assert oct(b.st_mode & 0o777) == "0o644"
    loaded = load_checkpoint(tmp_path / "epoch-3")
    want = vae(3).state_dict()
    assert all(torch.equal(v, want[k]) for k, v in loaded.model.state_dict().items())
    # Replacing `last` later must not touch the past epoch that shares its old file.
    stage(tmp_path / "last", 4).commit()
    assert load_checkpoint(tmp_path / "epoch-3").progress["epoch"] == 3
