"""Following a run folder that a separate process is writing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from app.session import JobState

ROOT = Path(__file__).resolve().parents[2]


def test_following_a_run_written_by_another_process(make_window, qtbot, tmp_path) -> None:
    window = make_window()
    session = window.session
    run_dir = tmp_path / "remote-run"
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "train", "--model", "vae", "--dataset", "mnist5k",
         "--out", str(run_dir), "--epochs", "3", "--batch-size", "256", "--latent-dim", "2",
         "--hidden-dims", "32", "--threads", "1"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        session.follow_run(run_dir)  # before the folder exists: the follower waits for it
        assert session.state is JobState.FOLLOWING
        qtbot.waitUntil(lambda: window.training_panel.loss_plots.point_count() > 0,
                        timeout=90_000)
        qtbot.waitUntil(lambda: len(session.history.epochs) >= 1, timeout=90_000)
        assert session.history.epochs[0].preview is not None
        assert session.history.shape.family == "vae"
        _out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
        qtbot.waitUntil(lambda: len(session.history.epochs) == 3, timeout=10_000)
        assert session.history.last_step == 3 * 18
        qtbot.waitUntil(lambda: window.training_panel.timeline.current_epoch() == 3,
                        timeout=5_000)  # the panel shows epochs at most 4 times a second
        assert session.followed_run_complete  # still followed, but labelled as finished
        assert "all epochs done" in window.status.state.full_text()  # cut in a narrow window
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_following_a_run_two_processes_train_under_torchrun(make_window, qtbot,
                                                            tmp_path) -> None:
    """`torchrun --nproc-per-node 2 -m app.cli train …` (gloo on CPU): rank 0 writes the
    folder, and the window follows it live as it would a one-process run."""
    window = make_window()
    session = window.session
    run_dir = tmp_path / "ddp-run"
    proc = subprocess.Popen(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node",
         "2", "-m", "app.cli", "train", "--model", "vae", "--dataset", "mnist5k",
         "--out", str(run_dir), "--epochs", "3", "--batch-size", "256", "--latent-dim", "2",
         "--hidden-dims", "32", "--threads", "1"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        window.follow_path(run_dir)  # not there yet: the window waits for it
        assert session.state is JobState.FOLLOWING
        qtbot.waitUntil(lambda: window.training_panel.loss_plots.point_count() > 0,
                        timeout=120_000)
        qtbot.waitUntil(lambda: len(session.history.epochs) >= 1, timeout=120_000)
        assert session.history.epochs[0].preview is not None
        _out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err.decode()[-2000:]
        qtbot.waitUntil(lambda: len(session.history.epochs) == 3, timeout=10_000)
        assert session.history.last_step == 3 * 18  # a step is one global batch of 256
        assert session.followed_run_complete
        assert (run_dir / "run.json").read_text().count('"processes": 2') == 1
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
