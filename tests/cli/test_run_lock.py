"""`latentlab train` and the run folder: one writer at a time, a dead writer's lock taken
over, a fresh run refused into a folder holding one unless --overwrite."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.cli import main
from models.checkpoint import load_checkpoint
from models.training.run_lock import LOCK_NAME

SMALL = ["--model", "vae", "--dataset", "digits", "--latent-dim", "2", "--hidden-dims", "16",
         "--batch-size", "128", "--device", "cpu", "--preview-n", "4", "--threads", "1"]
ROOT = Path(__file__).resolve().parents[2]


def train(out: Path, *extra: str) -> int:
    """Run `latentlab train` in this process; return its exit status (2 for usage)."""
    try:
        return main(["train", *SMALL, "--out", str(out), *extra])
    except SystemExit as exc:
        return int(exc.code or 0)


def error_line(capsys: pytest.CaptureFixture[str]) -> str:
    lines = [ln for ln in capsys.readouterr().err.splitlines() if "error:" in ln]
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_a_second_train_into_a_busy_folder_exits_1_and_a_dead_ones_lock_is_taken_over(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture) -> None:
    out, log = tmp_path / "run", tmp_path / "first.log"
    with open(log, "wb") as f:
        first = subprocess.Popen([sys.executable, "-m", "app.cli", "train", *SMALL,
                                  "--epochs", "500", "--out", str(out)],
                                 stdout=f, stderr=subprocess.STDOUT, cwd=ROOT,
                                 env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        deadline = time.monotonic() + 60
        while b"epoch 1/500" not in log.read_bytes():
            assert first.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        for extra in ((), ("--resume",), ("--overwrite",)):
            started = time.monotonic()
            assert train(out, "--epochs", "1", *extra) == 1, extra
            line = error_line(capsys)
            assert f"{out} is in use by process {first.pid}" in line, line
            assert time.monotonic() - started < 5  # at once, before loading anything
        assert json.loads((out / LOCK_NAME).read_text())["pid"] == first.pid
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    epoch = load_checkpoint(out).progress["epoch"]
    with caplog.at_level(logging.WARNING):
        assert train(out, "--resume", "--epochs", str(epoch + 1)) == 0
    assert f"took over the lock of process {first.pid}, which is no longer running" \
        in caplog.text
    assert not (out / LOCK_NAME).exists()
    assert load_checkpoint(out).progress["epoch"] == epoch + 1


def test_a_fresh_train_into_a_folder_holding_a_run_needs_overwrite(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / "metrics.jsonl").write_text('{"kind": "step", "step": 1, "loss": 9}\n')
    assert train(out, "--epochs", "1") == 2
    line = error_line(capsys)
    assert f"{out} already holds a run: --resume to continue it, --overwrite to replace " \
        "it" in line, line
    (out / "notes.txt").write_text("mine")
    assert train(out, "--epochs", "1", "--overwrite") == 0
    steps = [json.loads(x)["step"] for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert steps[0] == 1 and steps == sorted(steps)  # the old line is gone
    assert (out / "notes.txt").read_text() == "mine"
    assert train(out, "--epochs", "2", "--overwrite", "--resume") == 2
    assert "choose one" in error_line(capsys)


def test_a_fresh_train_into_a_folder_of_other_files_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "holiday.jpg").write_bytes(b"x")
    assert train(tmp_path, "--epochs", "1") == 2
    assert f"{tmp_path} is not empty" in error_line(capsys)
    assert os.listdir(tmp_path) == ["holiday.jpg"]


def test_a_train_into_a_file_is_one_usage_line(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "run").write_text("not a folder")
    assert train(tmp_path / "run", "--epochs", "1") == 2
    assert f"{tmp_path / 'run'} is a file, not a folder" in error_line(capsys)
