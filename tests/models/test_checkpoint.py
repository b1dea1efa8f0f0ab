"""Checkpoints: round trips, atomic saves, and one-line errors for broken files."""

import json
from pathlib import Path

import pytest
import torch

from models.autoencoders.config import VAEConfig
from models.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from models.registry import build_model


def vae(latent_dim: int = 2) -> torch.nn.Module:
    torch.manual_seed(0)
    return build_model("vae", VAEConfig(latent_dim=latent_dim, hidden_dims=(16,)))


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    model = vae()
    save_checkpoint(tmp_path / "ck", model, class_names=("a", "b"))
    loaded = load_checkpoint(tmp_path / "ck")
    assert loaded.family == "vae" and loaded.class_names == ("a", "b")
    assert torch.equal(loaded.model.sample(4, seed=0), model.sample(4, seed=0))


def test_checkpoint_holds_only_json_and_safetensors(tmp_path: Path) -> None:
    save_checkpoint(tmp_path / "ck", vae())
    suffixes = {p.suffix for p in (tmp_path / "ck").iterdir()}
    assert suffixes <= {".json", ".safetensors"}


def test_a_save_interrupted_by_an_exception_leaves_the_previous_loadable(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = vae()
    save_checkpoint(tmp_path / "ck", first)
    second = vae(latent_dim=2)
    with torch.no_grad():
        for p in second.parameters():
            p.add_(1.0)

    def explode(folder: Path) -> list[str]:
        (folder / "model.safetensors").write_bytes(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(second, "save_weights", explode)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(tmp_path / "ck", second)
    loaded = load_checkpoint(tmp_path / "ck")
    assert torch.equal(loaded.model.sample(2, seed=0), first.sample(2, seed=0))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck"]  # no temp folders left


def test_a_crash_between_the_two_renames_falls_back_to_the_old_copy(tmp_path: Path) -> None:
    save_checkpoint(tmp_path / "last", vae())
    (tmp_path / "last").rename(tmp_path / "last.old")  # what a kill mid-swap leaves
    assert load_checkpoint(tmp_path / "last").family == "vae"


def one_line_error(path: Path) -> str:
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(path)
    message = str(err.value)
    assert "\n" not in message
    return message


def test_missing_path_is_a_one_line_error(tmp_path: Path) -> None:
    assert "no such file" in one_line_error(tmp_path / "nowhere")


def test_truncated_weights_name_the_file(tmp_path: Path) -> None:
    save_checkpoint(tmp_path / "ck", vae())
    weights = tmp_path / "ck" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    msg = one_line_error(tmp_path / "ck")
    assert "model.safetensors" in msg and "safetensors" in msg


def test_corrupt_weights_and_config_name_the_file(tmp_path: Path) -> None:
    save_checkpoint(tmp_path / "ck", vae())
    (tmp_path / "ck" / "model.safetensors").write_bytes(b"\xff" * 4096)
    assert "model.safetensors" in one_line_error(tmp_path / "ck")
    save_checkpoint(tmp_path / "ck2", vae())
    (tmp_path / "ck2" / "config.json").write_text("{not json")
    assert "config.json: not valid JSON" in one_line_error(tmp_path / "ck2")


def test_weights_that_do_not_match_the_config_are_named(tmp_path: Path) -> None:
    save_checkpoint(tmp_path / "ck", vae(latent_dim=2))
    cfg_path = tmp_path / "ck" / "config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["model"]["latent_dim"] = 5
    cfg_path.write_text(json.dumps(cfg))
    msg = one_line_error(tmp_path / "ck")
    assert "does not match config.json" in msg and "shape" in msg


def test_a_non_checkpoint_folder_or_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert "no checkpoint here" in one_line_error(tmp_path / "empty")
    (tmp_path / "x.png").write_bytes(b"png")
    assert "is a file" in one_line_error(tmp_path / "x.png")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "config.json").write_text('{"format": "something-else"}')
    assert "not a Latent Lab checkpoint" in one_line_error(tmp_path / "other")
