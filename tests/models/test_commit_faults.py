"""A checkpoint commit killed after any one of its file operations leaves a loadable
checkpoint, and so do two kills in a row; the next start tidies what they left.

A kill is simulated by letting the first n file operations run and making every later one
raise (the process is gone: no cleanup it would have done reaches the disk), for n = 0, 1,
2, ... until the commit completes.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import torch

from models.autoencoders.config import VAEConfig
from models.checkpoint import atomic, load_checkpoint
from models.checkpoint.atomic import (
    atomic_write,
    commit_in_order,
    is_temp_name,
    remove_stale_temps,
)
from models.checkpoint.store import stage_checkpoint, stage_weights_only
from models.registry import build_model
from models.training.run_dir import RunDir

# Every call that changes the file system (or flushes it) on the way of a commit.
OPS = ("replace", "rename", "fsync", "link", "unlink", "rmdir", "chmod", "mkdir")


class Killed(BaseException):
    """The simulated kill: not an OSError, so no `suppress(OSError)` swallows it."""


@pytest.fixture(autouse=True)
def _fresh_registry() -> None:
    atomic._unfinished.clear()


@contextlib.contextmanager
def killed_after(n: int) -> Iterator[list[int]]:
    """Let `n` file operations run, then raise Killed from every one; yield the count."""
    done = [0]
    real = {name: getattr(os, name) for name in OPS}

    def wrap(name: str) -> Callable[..., object]:
        def op(*args: object, **kwargs: object) -> object:
            if done[0] >= n:
                raise Killed(name)
            done[0] += 1
            return real[name](*args, **kwargs)
        return op

    for name in OPS:
        setattr(os, name, wrap(name))
    try:
        yield done
    finally:
        for name, fn in real.items():
            setattr(os, name, fn)


def run_killed(n: int, job: Callable[[], object]) -> bool:
    """Run `job` killed after `n` operations; return True when it completed."""
    with killed_after(n):
        try:
            job()
        except Killed:
            atomic._unfinished.clear()  # the process died: its memory is gone
            return False
    return True


MODEL = build_model("vae", VAEConfig(latent_dim=2, hidden_dims=(8,)))


def stage(folder: Path, epoch: int, with_past: bool = False) -> list[atomic.StagedFolder]:
    """Return checkpoint(s) of epoch `epoch` for `folder` (and epoch-N beside), uncommitted."""
    staged = [stage_checkpoint(folder, MODEL, progress={"epoch": epoch},
                               train_tensors={"t": torch.zeros(2)}, train_json={})]
    if with_past:
        staged.append(stage_weights_only(staged[0], folder.parent / f"epoch-{epoch}"))
    return staged


def loadable_epoch(run: Path) -> int:
    """Return the epoch of the checkpoint `load_checkpoint(.../last)` finds."""
    return int(load_checkpoint(run / "checkpoints" / "last").progress["epoch"])


def start_again(run: Path) -> None:
    """What the next run's start does to the folder (under its lock)."""
    RunDir(run).tidy()


def assert_tidy(run: Path, epochs: set[int]) -> None:
    names = sorted(os.listdir(run / "checkpoints"))
    assert not [n for n in names if is_temp_name(n) or n.endswith(".old")], names
    assert (run / "checkpoints" / "last" / "config.json").is_file()
    assert loadable_epoch(run) in epochs


def new_run(tmp_path: Path, name: str) -> Path:
    run = tmp_path / name
    commit_in_order(stage(run / "checkpoints" / "last", 1))
    return run


@pytest.mark.parametrize("with_past", [False, True], ids=["last", "last+epoch-N"])
def test_a_commit_killed_after_any_operation_leaves_a_loadable_checkpoint(
        tmp_path: Path, with_past: bool) -> None:
    for n in range(200):
        run = new_run(tmp_path, f"run-{n}")
        staged = stage(run / "checkpoints" / "last", 2, with_past)
        completed = run_killed(n, lambda: commit_in_order(staged))  # noqa: B023
        assert loadable_epoch(run) in ({2} if completed else {1, 2}), n
        start_again(run)
        assert_tidy(run, {2} if completed else {1, 2})
        if completed:
            assert n >= 4  # the kills above did land inside the commit
            break
    else:
        pytest.fail("the commit never completed")


@pytest.mark.parametrize("tidy_between", [False, True], ids=["next-commit", "next-start"])
def test_two_kills_in_a_row_still_leave_a_loadable_checkpoint(
        tmp_path: Path, tidy_between: bool) -> None:
    """Killed in a commit, then killed again in the next start's tidy and commit (or in a
    commit made without the tidy, as the old code's second commit was)."""
    first_ops = 0
    while True:
        template = new_run(tmp_path, f"t-{first_ops}")
        staged = stage(template / "checkpoints" / "last", 2)
        if run_killed(first_ops, lambda: commit_in_order(staged)):  # noqa: B023
            break
        for m in range(200):
            run = tmp_path / f"r-{first_ops}-{m}"
            shutil.copytree(template, run, symlinks=True)
            again = stage(run / "checkpoints" / "last", 3)

            def second() -> None:
                if tidy_between:
                    start_again(run)  # noqa: B023
                commit_in_order(again)  # noqa: B023

            completed = run_killed(m, second)
            assert loadable_epoch(run) in ({3} if completed else {1, 2, 3}), (first_ops, m)
            start_again(run)
            assert_tidy(run, {3} if completed else {1, 2, 3})
            if completed:
                break
        else:
            pytest.fail("the second commit never completed")
        first_ops += 1
    assert first_ops >= 4


def test_the_loader_finds_last_old_when_last_is_missing(tmp_path: Path) -> None:
    run = new_run(tmp_path, "run")
    last = run / "checkpoints" / "last"
    os.replace(last, last.with_name("last.old"))  # killed between the commit's renames
    assert loadable_epoch(run) == 1 and load_checkpoint(run).progress["epoch"] == 1
    start_again(run)  # the next start puts it back
    assert sorted(os.listdir(run / "checkpoints")) == ["last"] and loadable_epoch(run) == 1


def test_an_atomic_write_killed_anywhere_leaves_old_or_new_and_temps_go(tmp_path: Path) -> None:
    target = tmp_path / "metrics.jsonl"
    for n in range(50):
        atomic_write(target, "old\n")
        completed = run_killed(n, lambda: atomic_write(target, "new\n"))
        assert target.read_text() in (("new\n",) if completed else ("old\n", "new\n"))
        remove_stale_temps(tmp_path)
        assert os.listdir(tmp_path) == ["metrics.jsonl"]
        if completed:
            break
    else:
        pytest.fail("the write never completed")


def test_a_commit_replaces_a_linked_checkpoint_without_touching_its_target(
        tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("mine")
    checkpoints = tmp_path / "run" / "checkpoints"
    checkpoints.mkdir(parents=True)
    (checkpoints / "epoch-2").symlink_to(elsewhere, target_is_directory=True)
    (checkpoints / "last").symlink_to(elsewhere, target_is_directory=True)
    commit_in_order(stage(checkpoints / "last", 2, with_past=True))
    assert sorted(os.listdir(elsewhere)) == ["keep.txt"]
    assert (elsewhere / "keep.txt").read_text() == "mine"
    for name in ("last", "epoch-2"):
        assert not (checkpoints / name).is_symlink() and (checkpoints / name).is_dir()
    assert sorted(os.listdir(checkpoints)) == ["epoch-2", "last"]
