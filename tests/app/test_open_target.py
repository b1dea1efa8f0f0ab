"""What a folder opened holds is read from its file names alone, before torch."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.session.opening import open_target


def _touch(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{}")


def test_a_run_folder_is_followed_and_shows_its_last_checkpoint(tmp_path: Path) -> None:
    _touch(tmp_path / "run.json")
    _touch(tmp_path / "checkpoints" / "last" / "config.json")
    target = open_target(tmp_path)
    assert target.run_dir == tmp_path and target.has_model and target.recorded is None
    assert target.checkpoint == tmp_path / "checkpoints" / "last"


def test_a_run_without_checkpoints_yet_has_no_pictures(tmp_path: Path) -> None:
    _touch(tmp_path / "metrics.jsonl")
    target = open_target(tmp_path)
    assert target.run_dir == tmp_path and not target.has_model and target.checkpoint is None


def test_a_run_checkpoint_follows_its_run(tmp_path: Path) -> None:
    last = tmp_path / "checkpoints" / "last"
    _touch(last / "config.json")
    target = open_target(last)
    assert target.run_dir == tmp_path and target.checkpoint == last


def test_a_demo_shows_its_recorded_history(tmp_path: Path) -> None:
    _touch(tmp_path / "config.json")
    _touch(tmp_path / "history" / "metrics.jsonl")
    target = open_target(tmp_path)
    assert target.run_dir is None and target.checkpoint == tmp_path
    assert target.recorded == tmp_path / "history"


def test_a_folder_with_neither_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="neither a checkpoint nor a run folder"):
        open_target(tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        open_target(tmp_path / "missing")
