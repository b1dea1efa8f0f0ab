"""Atomic files: written whole or not at all, flushed, temps recognisable and removable."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from models.checkpoint import atomic
from models.checkpoint.atomic import (
    atomic_path,
    atomic_write,
    is_temp_name,
    remove_unfinished_temps,
    stage_folder,
    unfinished_temps,
)
from models.training.run_dir import RunDir


@pytest.fixture(autouse=True)
def _fresh_registry() -> None:
    """Forget temps other tests abandoned on purpose (the registry is per process)."""
    atomic._unfinished.clear()


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_atomic_write_writes_bytes_and_text_and_fsyncs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    assert atomic_write(tmp_path / "sub" / "a.bin", b"\x00\x01") == tmp_path / "sub" / "a.bin"
    atomic_write(tmp_path / "b.txt", "héllo")
    assert (tmp_path / "sub" / "a.bin").read_bytes() == b"\x00\x01"
    assert (tmp_path / "b.txt").read_text(encoding="utf-8") == "héllo"
    assert len(synced) >= 2  # the file each time (and the folder where the OS allows)
    assert names(tmp_path) == ["b.txt", "sub"] and unfinished_temps() == []


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path: Path) -> None:
    atomic_write(tmp_path / "a.txt", "old")
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "a.txt") as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash")
    assert (tmp_path / "a.txt").read_text() == "old" and names(tmp_path) == ["a.txt"]
    assert unfinished_temps() == []


def test_temps_are_recognisable_and_keep_the_suffix(tmp_path: Path) -> None:
    with atomic_path(tmp_path / "latents.npz") as tmp:
        assert tmp.parent == tmp_path and is_temp_name(tmp.name)
        assert tmp.name.startswith(".latents.npz.tmp-") and tmp.suffix == ".npz"
        assert unfinished_temps() == [tmp]
        np.savez(tmp, a=np.arange(3))  # numpy would add .npz to a name without it
    assert np.load(tmp_path / "latents.npz")["a"].tolist() == [0, 1, 2]
    assert names(tmp_path) == ["latents.npz"]
    assert not is_temp_name("latents.npz") and not is_temp_name(".hidden")


def test_remove_unfinished_temps_deletes_abandoned_work(tmp_path: Path) -> None:
    atomic_write(tmp_path / "a.txt", "old")
    staged = stage_folder(tmp_path / "ck")
    (staged.tmp / "w.bin").write_bytes(b"x")
    with pytest.raises(OSError), atomic_path(tmp_path / "a.txt") as tmp:
        tmp.write_text("half")
        # The app exits by force while a thread is here.
        assert sorted(remove_unfinished_temps()) == sorted([tmp, staged.tmp])
    # The abandoned writer's rename then fails: the old file stays, nothing is left over.
    assert (tmp_path / "a.txt").read_text() == "old" and names(tmp_path) == ["a.txt"]
    with pytest.raises(OSError):
        staged.commit()
    assert names(tmp_path) == ["a.txt"] and unfinished_temps() == []


def test_staged_folders_are_registered_until_committed(tmp_path: Path) -> None:
    staged = stage_folder(tmp_path / "ck")
    assert is_temp_name(staged.tmp.name) and unfinished_temps() == [staged.tmp]
    (staged.tmp / "config.json").write_text("{}")
    staged.commit()
    assert unfinished_temps() == [] and names(tmp_path) == ["ck"]


def test_truncating_the_metrics_log_rewrites_it_atomically(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = RunDir(tmp_path)
    for step in (1, 2, 3):
        run.log({"kind": "step", "step": step}, force_flush=True)
    before = run.metrics_path.read_text()

    def fail(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(atomic.os, "replace", fail)
    with pytest.raises(OSError):
        run.truncate_metrics_after(1)
    assert run.metrics_path.read_text() == before and names(tmp_path) == ["metrics.jsonl"]
    monkeypatch.undo()
    run.truncate_metrics_after(1)
    run.log({"kind": "step", "step": 2}, force_flush=True)
    run.close()
    assert [line[-2] for line in run.metrics_path.read_text().splitlines()] == ["1", "2"]
