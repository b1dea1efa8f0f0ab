"""Ctrl-C and failures in `latentlab train`: a stop lands between steps, a resumed run ends
where an uninterrupted one does, and a non-finite weight exits 1 without a result."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import torch

from app.cli import main
from app.cli.interrupt import stop_on_ctrl_c
from models.checkpoint import load_checkpoint

ROOT = Path(__file__).resolve().parents[2]
TRAIN = ["train", "--model", "vae", "--dataset", "digits", "--latent-dim", "2",
         "--hidden-dims", "256", "--batch-size", "16", "--device", "cpu", "--threads", "1",
         "--preview-n", "4", "--epochs", "3"]


def cli(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TQDM_DISABLE": "1"}
    return subprocess.Popen([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def logged(run: Path) -> list[dict[str, Any]]:
    try:
        text = (run / "metrics.jsonl").read_text()
    except FileNotFoundError:
        return []
    return [json.loads(x) for x in text.splitlines() if x.endswith("}")]


def wait_for(run: Path, proc: subprocess.Popen[str], kind: str, step: int) -> None:
    """Wait until metrics.jsonl has a `kind` line at `step` or later."""
    deadline = time.monotonic() + 240
    while not any(x["kind"] == kind and x["step"] >= step for x in logged(run)):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.005)


def final_weights(run: Path) -> dict[str, torch.Tensor]:
    loaded = load_checkpoint(run)
    assert loaded.progress["finished"]
    return loaded.model.state_dict()


@pytest.mark.parametrize("presses", [1, 2])
def test_ctrl_c_then_resume_ends_with_the_uninterrupted_weights(tmp_path: Path,
                                                                presses: int) -> None:
    whole = cli(*TRAIN, "--out", str(tmp_path / "whole"))
    cut = cli(*TRAIN, "--out", str(tmp_path / "cut"))
    # A second press aborts: wait for epoch 1's checkpoint so there is one to resume (its
    # line is logged just before its commit, so wait for the folder itself).
    wait_for(tmp_path / "cut", cut, "epoch" if presses == 2 else "step", 5)
    last = tmp_path / "cut" / "checkpoints" / "last" / "config.json"
    deadline = time.monotonic() + 60
    while presses == 2 and not last.is_file():
        assert cut.poll() is None and time.monotonic() < deadline
        time.sleep(0.005)
    for _ in range(presses):
        cut.send_signal(signal.SIGINT)
        time.sleep(0.002)
    _, err = cut.communicate(timeout=240)
    assert cut.returncode == 1, err
    assert "stopping after this step" in err and "continue with --resume" in err
    assert "Traceback" not in err
    saved = load_checkpoint(tmp_path / "cut")
    assert not saved.progress["finished"]
    resumed = cli("train", "--model", "vae", "--resume", "--threads", "1",
                  "--out", str(tmp_path / "cut"))
    _, err = resumed.communicate(timeout=240)
    assert resumed.returncode == 0, err
    assert whole.wait(timeout=240) == 0
    a, b = final_weights(tmp_path / "whole"), final_weights(tmp_path / "cut")
    assert list(a) == list(b) and all(torch.equal(a[k], b[k]) for k in a)


def test_the_first_ctrl_c_asks_for_a_stop_and_the_second_interrupts() -> None:
    class Trainer:
        stops = 0

        def request_stop(self) -> None:
            self.stops += 1

    trainer = Trainer()
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt), stop_on_ctrl_c(trainer):
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(100):  # the handler runs between bytecodes
            time.sleep(0.001)
        assert trainer.stops == 1
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(1000):
            time.sleep(0.001)
    assert trainer.stops == 1
    assert signal.getsignal(signal.SIGINT) is before


def test_an_infinite_weight_on_an_epochs_last_step_exits_1_without_a_result(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from models.data import load_dataset, split_indices

    n = len(load_dataset("digits"))
    steps_per_epoch = math.ceil(len(split_indices(n, 0.1, 0)[0]) / 128)
    real, calls = torch.optim.Adam.step, []

    def step_then_poison(self: torch.optim.Adam, *args: Any, **kwargs: Any) -> Any:
        result = real(self, *args, **kwargs)
        calls.append(1)
        if len(calls) == 2 * steps_per_epoch:
            with torch.no_grad():
                self.param_groups[0]["params"][0].view(-1)[0] = float("inf")
        return result

    monkeypatch.setattr(torch.optim.Adam, "step", step_then_poison)
    code = main(["train", "--model", "vae", "--dataset", "digits", "--epochs", "3",
                 "--latent-dim", "2", "--hidden-dims", "32", "--batch-size", "128",
                 "--device", "cpu", "--preview-n", "4", "--out", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 1
    assert f"at step {2 * steps_per_epoch}" in err and "inf" in err
    assert "final validation loss" not in out and "nan" not in out
    saved = load_checkpoint(tmp_path)
    assert saved.progress["step"] == steps_per_epoch
    assert all(torch.isfinite(v).all() for v in saved.model.state_dict().values())
