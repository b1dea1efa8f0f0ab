"""Reading run folders back: whole (read_run), incrementally (RunTail, follow_run), safely."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

import models.training
from models.images import save_png
from models.training import run_reader
from models.training.run_dir import RunDir, read_run
from models.training.run_reader import RunTail, follow_run, parse_records, read_png

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a real run folder: a tiny VAE trained 2 epochs on bundled digits."""
    from models.autoencoders.config import VAEConfig
    from models.training import Trainer
    from tests.models.helpers import DATA, quick_train, small_mnist

    root = tmp_path_factory.mktemp("run") / "run"
    trainer = Trainer("vae", VAEConfig(latent_dim=2, hidden_dims=(32,)),
                      quick_train(epochs=2, log_every=1), DATA, root, dataset=small_mnist(128))
    for _ in trainer.run():
        pass
    return root


def within(seconds: float, fn: Callable[[], Any]) -> Any:
    """Return fn() run on a thread; fail (instead of hanging) if it takes longer."""
    out: list[Any] = []
    t = threading.Thread(target=lambda: out.append(fn()), daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), f"blocked for more than {seconds} s"
    return out[0]


def step_line(step: int, **metrics: Any) -> str:
    return json.dumps({"kind": "step", "step": step, "epoch": step / 10, "time": 1.0 + step,
                       "images_per_s": 50.0, **metrics}) + "\n"


def append(path: Path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write(text)


def test_read_run_returns_the_whole_run(tiny_run: Path) -> None:
    run = read_run(tiny_run)
    assert run.shape.family == "vae" and run.shape.total_epochs == 2
    assert run.shape.steps_per_epoch > 0 and run.info["dataset"]["name"]
    assert len(run.steps) == 2 * run.shape.steps_per_epoch  # log_every=1
    assert run.steps.dtype == np.int64 and np.all(np.diff(run.steps) > 0)
    assert set(run.metrics) >= {"loss", "recon", "kl"}
    assert all(len(v) == len(run.steps) for v in run.metrics.values())
    assert np.all(run.images_per_s > 0) and np.all(np.isfinite(run.times))
    assert [e.epoch for e in run.epochs] == [1, 2]
    last = run.epochs[-1]
    assert last.step == run.steps[-1] and "loss" in last.val_metrics
    assert last.preview is not None and last.preview.dtype == np.uint8
    assert last.preview.ndim == 3 and last.reconstructions is not None
    assert last.arrays["kl_per_dim"].shape == (2,)
    assert run.ended is None and run.finished


def test_read_run_is_reachable_from_the_package_and_the_writer() -> None:
    assert models.training.read_run is read_run is run_reader.read_run
    assert models.training.RunTail is RunTail


def test_read_run_refuses_a_folder_that_is_no_run(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not a run folder"):
        read_run(tmp_path)


def test_stopped_failed_and_resumed_endings(tmp_path: Path) -> None:
    append(tmp_path / "metrics.jsonl", step_line(1) + '{"kind": "stopped", "step": 1}\n')
    assert read_run(tmp_path).ended == "stopped" and not read_run(tmp_path).finished
    append(tmp_path / "metrics.jsonl", step_line(2))  # resumed: no longer the last word
    assert read_run(tmp_path).ended is None
    append(tmp_path / "metrics.jsonl", '{"kind": "failed", "step": 3, "reason": "nan"}\n')
    assert read_run(tmp_path).ended == "failed: nan"


def test_numbers_follow_the_log_rules(tmp_path: Path) -> None:
    lines = [json.dumps({"kind": "step", "step": 1, "loss": 2, "kl": "nan", "big": "inf",
                         "flag": True, "name": "x"}),
             "not json", "[1, 2]", '{"kind": "step", "step": "three"}',
             json.dumps({"kind": "epoch", "step": 9, "epoch": 1, "val_loss": 1.5,
                         "val_flag": False, "kl_per_dim": [0.1, 0.2], "seconds": 3.0})]
    update = parse_records(lines, tmp_path)
    (step, metrics, ips, _), = update.steps
    assert step == 1 and metrics["loss"] == 2.0 and ips is None
    assert np.isnan(metrics["kl"]) and metrics["big"] == np.inf
    assert "flag" not in metrics and "name" not in metrics
    epoch, = update.epochs
    assert epoch.val_metrics == {"loss": 1.5}
    assert epoch.arrays["kl_per_dim"].dtype == np.float32 and set(epoch.arrays) == {"kl_per_dim"}
    assert epoch.preview is None and epoch.preview_path == tmp_path / "samples/epoch-0001.png"


def test_tail_returns_complete_lines_only(tmp_path: Path) -> None:
    tail = RunTail(tmp_path)
    assert tail.poll().is_empty  # nothing there yet
    line = step_line(1, loss=0.5)
    append(tmp_path / "metrics.jsonl", line[:20])
    assert tail.poll().steps == []  # half-written: wait for the newline
    append(tmp_path / "metrics.jsonl", line[20:] + step_line(2, loss=0.4)[:-1])
    assert [s[0] for s in tail.poll().steps] == [1]
    append(tmp_path / "metrics.jsonl", "\n" + step_line(3, loss=0.3))
    update = tail.poll()
    assert [(s[0], s[1]["loss"]) for s in update.steps] == [(2, 0.4), (3, 0.3)]
    assert tail.poll().is_empty


def test_tail_sends_the_shape_once_when_run_json_appears(tmp_path: Path) -> None:
    tail = RunTail(tmp_path)
    assert tail.poll().shape is None
    RunDir(tmp_path).create({"family": "vae", "train": {"epochs": 3, "batch_size": 10},
                             "dataset": {"name": "d", "n_train": 95}})
    shape = tail.poll().shape
    assert shape is not None and (shape.total_epochs, shape.steps_per_epoch) == (3, 10)
    assert tail.poll().shape is None


def test_tail_rereads_a_log_rewritten_shorter_without_repeats(tmp_path: Path) -> None:
    run = RunDir(tmp_path)
    run.create({})
    for step in (1, 2, 3):
        run.log({"kind": "step", "step": step, "loss": 1.0}, force_flush=True)
    tail = RunTail(tmp_path)
    assert len(tail.poll().steps) == 3
    run.truncate_metrics_after(1)  # a resume from step 1's checkpoint
    run.log({"kind": "step", "step": 2, "loss": 0.5}, force_flush=True)
    run.log({"kind": "step", "step": 4, "loss": 0.25}, force_flush=True)
    run.close()
    assert [s[0] for s in tail.poll().steps] == [4]
    assert read_run(tmp_path).steps.tolist() == [1, 2, 4]


def test_overlong_lines_are_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run_reader, "MAX_LINE_BYTES", 200)
    tail = RunTail(tmp_path)
    path = tmp_path / "metrics.jsonl"
    append(path, step_line(1) + step_line(2, pad="x" * 150))
    assert [s[0] for s in tail.poll().steps] == [1]
    append(path, step_line(3, pad="y" * 150)[:100])  # growing past the limit in pieces
    tail.poll()
    append(path, step_line(3, pad="y" * 150)[100:] + step_line(4))
    assert [s[0] for s in tail.poll().steps] == [4]


def test_follow_run_yields_updates_and_idle_heartbeats(tmp_path: Path) -> None:
    follow = follow_run(tmp_path, poll_s=0.01)
    assert next(follow) is None
    append(tmp_path / "metrics.jsonl", step_line(1))
    update = next(follow)
    assert update is not None and update.steps[0][0] == 1
    assert next(follow) is None
    follow.close()


@needs_fifo
def test_a_fifo_named_like_a_preview_does_not_block(tmp_path: Path) -> None:
    (tmp_path / "samples").mkdir()
    os.mkfifo(tmp_path / "samples" / "epoch-0001.png")
    save_png(np.zeros((4, 4, 1), np.uint8), tmp_path / "samples" / "recon-epoch-0001.png")
    append(tmp_path / "metrics.jsonl", json.dumps({"kind": "epoch", "step": 5, "epoch": 1,
                                                   "preview": "samples/epoch-0001.png"}) + "\n")
    update = within(1.0, RunTail(tmp_path).poll)
    assert update.epochs[0].preview is None
    assert update.epochs[0].reconstructions is not None


@needs_fifo
def test_fifos_as_metrics_and_run_json_do_not_block(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "metrics.jsonl")
    os.mkfifo(tmp_path / "run.json")
    update = within(1.0, RunTail(tmp_path).poll)
    assert update.is_empty  # run.json is as if absent
    record = within(1.0, lambda: read_run(tmp_path))
    assert len(record.steps) == 0 and record.shape.family == ""


@needs_fifo
def test_symlinks_are_followed_to_regular_files_only(tmp_path: Path) -> None:
    save_png(np.full((3, 5, 3), 7, np.uint8), tmp_path / "real.png")
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "to-real.png").symlink_to(tmp_path / "real.png")
    (tmp_path / "to-pipe.png").symlink_to(tmp_path / "pipe")
    image = read_png(tmp_path / "to-real.png")
    assert image is not None and image.shape == (3, 5, 3)
    assert within(1.0, lambda: read_png(tmp_path / "to-pipe.png")) is None


def test_broken_and_bomb_pngs_give_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    assert read_png(tmp_path / "broken.png") is None
    assert read_png(tmp_path / "missing.png") is None
    assert read_png(tmp_path) is None  # a folder
    save_png(np.zeros((40, 40, 1), np.uint8), tmp_path / "big.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # 1600 px > 2×: a "bomb"
    assert read_png(tmp_path / "big.png") is None


def test_reading_runs_imports_no_torch() -> None:
    code = ("import sys, models.training, models.training.run_dir, models.checkpoint, "
            "models.images; assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_a_folder_synced_from_a_server_shows_each_file_once_it_is_whole(
        tiny_run: Path, tmp_path: Path) -> None:
    """rsync or a network mount: run.json half there, the log's last line cut, the preview
    PNG arriving after the epoch's line and partial at first, the log replaced by a new
    file holding more. Nothing fails; each part shows once whole, nothing twice."""
    dst = tmp_path / "mirror"
    dst.mkdir()
    info = (tiny_run / "run.json").read_bytes()
    log = (tiny_run / "metrics.jsonl").read_bytes()
    lines = log.splitlines(keepends=True)
    first_epoch = next(i for i, ln in enumerate(lines) if b'"kind": "epoch"' in ln)
    png = (tiny_run / "samples" / "epoch-0001.png").read_bytes()
    tail = RunTail(dst)

    (dst / "run.json").write_bytes(info[:len(info) // 2])
    (dst / "metrics.jsonl").write_bytes(b"".join(lines[:first_epoch + 1]) + lines[-1][:9])
    update = tail.poll()
    assert update.shape is None  # run.json does not parse yet: read again next poll
    assert [e.epoch for e in update.epochs] == [1] and update.epochs[0].preview is None
    steps_seen = [s[0] for s in update.steps]

    (dst / "run.json").write_bytes(info)
    (dst / "samples").mkdir()
    (dst / "samples" / "epoch-0001.png").write_bytes(png[:len(png) // 2])
    update = tail.poll()
    assert update.shape is not None and update.shape.family == "vae"
    assert update.epochs == []  # the preview is partial: not yet

    (dst / "samples" / "epoch-0001.png").write_bytes(png)
    update = tail.poll()
    assert [e.epoch for e in update.epochs] == [1]
    assert update.epochs[0].preview is not None and update.epochs[0].preview.shape[2] in (1, 3)

    replacement = dst / ".metrics.jsonl.tmp"  # rsync writes a temporary, then renames it
    replacement.write_bytes(log)
    os.replace(replacement, dst / "metrics.jsonl")
    update = tail.poll()
    steps_seen += [s[0] for s in update.steps]
    assert steps_seen == sorted(set(steps_seen))  # no step twice
    assert steps_seen[-1] == read_run(tiny_run).steps[-1]
    assert [e.epoch for e in update.epochs] == [2]
