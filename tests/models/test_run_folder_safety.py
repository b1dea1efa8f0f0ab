"""Nothing lost in a run folder: leftovers tidied, a run refused into a folder holding
another, one writer at a time, the log complete, and no write through a symbolic link."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from models.autoencoders.config import VAEConfig
from models.checkpoint import atomic, load_checkpoint
from models.checkpoint.atomic import atomic_write
from models.training import EpochEnd, Trainer, TrainFinished, TrainStarted
from models.training import saving as saving_module
from models.training.run_dir import RunDir
from models.training.run_lock import LOCK_NAME, RunLock, RunLockedError, check_unlocked
from tests.models.helpers import DATA, quick_train, small_mnist

VAE = VAEConfig(latent_dim=2, hidden_dims=(16,))


@pytest.fixture(autouse=True)
def _fresh_registry() -> None:
    atomic._unfinished.clear()


def make(run: Path, epochs: int = 1, overwrite: bool = False) -> Trainer:
    return Trainer("vae", VAE, quick_train(epochs=epochs), DATA, run,
                   dataset=small_mnist(256), overwrite=overwrite)


def resume(run: Path, epochs: int = 2) -> Trainer:
    return Trainer.resume(run, epochs=epochs, dataset=small_mnist(256))


def records(run: Path) -> list[dict]:
    return [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]


def dead_pid() -> int:
    """Return the pid of a process that has ended."""
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(proc.stdout)


# --- leftovers -----------------------------------------------------------------------------
def test_a_resumed_run_removes_the_temps_a_killed_run_left(tmp_path: Path) -> None:
    list(make(tmp_path).run())
    leftovers = [tmp_path / "checkpoints" / ".last.tmp-dead0001",
                 tmp_path / "checkpoints" / ".epoch-1.tmp-dead0002",
                 tmp_path / "checkpoints" / ".last.old.tmp-dead0003.old-removing"]
    for folder in leftovers:
        folder.mkdir()
        (folder / "model.safetensors").write_bytes(b"half")
    files = [tmp_path / "samples" / ".epoch-0002.png.tmp-dead0004.png",
             tmp_path / ".metrics.jsonl.tmp-dead0005", tmp_path / ".run.json.tmp-dead0006"]
    for f in files:
        f.write_bytes(b"half")
    (tmp_path / ".notes.tmp-mine").write_text("not ours")  # a user's file: stays
    list(resume(tmp_path).run())
    assert not any(p.exists() for p in leftovers + files)
    assert (tmp_path / ".notes.tmp-mine").read_text() == "not ours"
    assert not (tmp_path / LOCK_NAME).exists()


def test_a_run_resumed_from_last_old_puts_it_back_in_place(tmp_path: Path) -> None:
    list(make(tmp_path).run())
    last = tmp_path / "checkpoints" / "last"
    os.replace(last, last.with_name("last.old"))  # killed between a commit's renames
    trainer = resume(tmp_path)
    events = list(trainer.run())
    assert isinstance(events[-1], TrainFinished) and trainer.last_good == last
    assert sorted(os.listdir(tmp_path / "checkpoints")) == ["last"]
    assert load_checkpoint(last).progress["epoch"] == 2


# --- the log -------------------------------------------------------------------------------
def test_every_logged_line_reaches_the_file_at_once(tmp_path: Path) -> None:
    run = RunDir(tmp_path)
    for step in (1, 2, 3):
        run.log({"kind": "step", "step": step})
    # Read as a killed process would leave it: nothing flushed or closed.
    assert [r["step"] for r in records(tmp_path)] == [1, 2, 3]
    run.close()


class Killed(BaseException):
    pass


def test_an_epoch_line_is_logged_before_its_checkpoint_and_dropped_if_it_never_landed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    list(make(tmp_path).run())
    real = saving_module.commit_in_order

    def killed(staged: list) -> None:
        lines = [r for r in records(tmp_path) if r["kind"] == "epoch"]
        assert [r["epoch"] for r in lines] == [1, 2]  # epoch 2's line is there first
        raise Killed

    monkeypatch.setattr(saving_module, "commit_in_order", killed)
    with pytest.raises(Killed):
        list(resume(tmp_path).run())
    monkeypatch.setattr(saving_module, "commit_in_order", real)
    atomic._unfinished.clear()
    assert load_checkpoint(tmp_path).progress["epoch"] == 1
    list(resume(tmp_path, epochs=3).run())
    kinds = [(r["kind"], r.get("epoch") if r["kind"] == "epoch" else r["step"])
             for r in records(tmp_path)]
    assert [k for k in kinds if k[0] == "epoch"] == [("epoch", 1), ("epoch", 2), ("epoch", 3)]
    steps = [k[1] for k in kinds if k[0] == "step"]
    assert steps == list(range(1, len(steps) + 1))  # nothing logged twice


# --- fresh runs ----------------------------------------------------------------------------
@pytest.mark.parametrize("leftover", ["metrics.jsonl", "run.json", "checkpoints"])
def test_a_fresh_run_refuses_a_folder_holding_a_run(tmp_path: Path, leftover: str) -> None:
    if leftover == "checkpoints":
        (tmp_path / leftover).mkdir()
    else:
        (tmp_path / leftover).write_text('{"kind": "step", "step": 1}\n')
    with pytest.raises(ValueError, match="already holds a run: --resume to continue it, "
                                         "--overwrite to replace it") as exc:
        list(make(tmp_path).run())
    assert str(tmp_path) in str(exc.value) and "\n" not in str(exc.value)
    assert not (tmp_path / LOCK_NAME).exists()  # released on the way out


def test_a_fresh_run_refuses_a_folder_of_other_files_unless_overwrite(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="is not empty"):
        list(make(tmp_path).run())
    list(make(tmp_path, overwrite=True).run())
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert (tmp_path / "checkpoints" / "last" / "config.json").is_file()


def test_a_fresh_run_accepts_a_folder_with_only_a_stale_lock_and_temps(tmp_path: Path) -> None:
    (tmp_path / LOCK_NAME).write_text(json.dumps({"pid": dead_pid(), "host": "x"}))
    (tmp_path / ".run.json.tmp-dead0001").write_text("half")
    list(make(tmp_path).run())
    assert sorted(os.listdir(tmp_path)) == ["checkpoints", "metrics.jsonl", "run.json",
                                            "samples"]


def test_overwrite_replaces_the_run_and_keeps_other_files(tmp_path: Path) -> None:
    list(make(tmp_path, epochs=2).run())
    (tmp_path / "notes.txt").write_text("mine")
    elsewhere = tmp_path.parent / f"{tmp_path.name}-elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.png").write_bytes(b"x")
    import shutil

    shutil.rmtree(tmp_path / "samples")
    (tmp_path / "samples").symlink_to(elsewhere, target_is_directory=True)
    list(make(tmp_path, overwrite=True).run())
    assert [r["epoch"] for r in records(tmp_path) if r["kind"] == "epoch"] == [1]
    assert sorted(os.listdir(tmp_path / "checkpoints")) == ["last"]
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert os.listdir(elsewhere) == ["keep.png"] and not (tmp_path / "samples").is_symlink()


# --- the lock ------------------------------------------------------------------------------
def test_a_second_writer_is_refused_while_the_first_runs(tmp_path: Path) -> None:
    list(make(tmp_path).run())
    first = resume(tmp_path, epochs=3).run()
    assert isinstance(next(first), TrainStarted)
    with pytest.raises(RunLockedError, match=f"in use by process {os.getpid()}") as exc:
        list(resume(tmp_path, epochs=3).run())
    assert str(tmp_path) in str(exc.value)
    with pytest.raises(RunLockedError):
        check_unlocked(tmp_path)
    with pytest.raises(RunLockedError):
        list(make(tmp_path, overwrite=True).run())
    assert (tmp_path / "checkpoints" / "last").is_dir()  # the refused overwrite removed nothing
    events = list(first)
    assert isinstance(events[-1], TrainFinished)
    assert sum(isinstance(e, EpochEnd) for e in events) == 2
    assert not (tmp_path / LOCK_NAME).exists()
    check_unlocked(tmp_path)


def test_a_dead_process_lock_is_taken_over_and_said(tmp_path: Path,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    pid = dead_pid()
    (tmp_path / LOCK_NAME).write_text(json.dumps({"pid": pid, "host": "here"}))
    check_unlocked(tmp_path)  # no live holder
    lock = RunLock(tmp_path)
    note = lock.acquire()
    assert note == f"{tmp_path}: took over the lock of process {pid}, which is no longer running"
    assert note in caplog.text
    assert json.loads((tmp_path / LOCK_NAME).read_text())["pid"] == os.getpid()
    with pytest.raises(RunLockedError, match=str(os.getpid())):
        RunLock(tmp_path).acquire()  # flock conflicts within one process too
    lock.release()
    lock.release()
    assert not (tmp_path / LOCK_NAME).exists()
    with RunLock(tmp_path) as again:
        assert again.held


def test_a_linked_lock_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "target.txt"
    target.write_text("keep")
    run = tmp_path / "run"
    run.mkdir()
    (run / LOCK_NAME).symlink_to(target)
    with pytest.raises(ValueError, match="symbolic link"):
        RunLock(run).acquire()
    assert target.read_text() == "keep"


# --- symbolic links ------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["metrics.jsonl", "run.json", "samples", "checkpoints/last"])
def test_a_resume_refuses_to_write_through_a_link(tmp_path: Path, name: str) -> None:
    run = tmp_path / "run"
    list(make(run).run())
    link = run / name
    target = tmp_path / "target"
    os.replace(link, target)  # what the link points to: the run's own file or folder
    link.symlink_to(target, target_is_directory=target.is_dir())
    before = sorted(os.listdir(target)) if target.is_dir() else target.read_bytes()
    with pytest.raises(ValueError, match=re.escape(f"{link} is a symbolic link; refusing "
                                                   f"to write through it")):
        list(Trainer.resume(target.parent / "run" if name != "checkpoints/last" else target,
                            run_dir=run, epochs=2, dataset=small_mnist(256)).run())
    after = sorted(os.listdir(target)) if target.is_dir() else target.read_bytes()
    assert after == before and link.is_symlink()


def test_logging_refuses_a_linked_metrics_file(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep\n")
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "metrics.jsonl").symlink_to(target)
    run = RunDir(tmp_path / "run")
    with pytest.raises(ValueError, match=r"metrics\.jsonl is a symbolic link"):
        run.log({"kind": "step", "step": 1})
    with pytest.raises(ValueError, match=r"metrics\.jsonl is a symbolic link"):
        run.truncate_metrics_after(0)
    assert target.read_text() == "keep\n"


def test_a_linked_preview_is_replaced_not_written_through(tmp_path: Path) -> None:
    list(make(tmp_path / "run").run())
    target = tmp_path / "elsewhere.png"
    target.write_bytes(b"keep")
    (tmp_path / "run" / "samples" / "epoch-0002.png").symlink_to(target)
    list(resume(tmp_path / "run").run())
    preview = tmp_path / "run" / "samples" / "epoch-0002.png"
    assert not preview.is_symlink() and preview.read_bytes()[:4] == b"\x89PNG"
    assert target.read_bytes() == b"keep"


def test_atomic_write_replaces_a_link_and_leaves_its_target(tmp_path: Path) -> None:
    target = tmp_path / "target.txt"
    target.write_text("keep")
    (tmp_path / "run.json").symlink_to(target)
    atomic_write(tmp_path / "run.json", "new")
    assert not (tmp_path / "run.json").is_symlink()
    assert (tmp_path / "run.json").read_text() == "new" and target.read_text() == "keep"


# --- kill -9 at random moments -------------------------------------------------------------
CHILD = """
import sys
from pathlib import Path
from models.autoencoders.config import VAEConfig
from models.config import DataConfig, TrainConfig
from models.training import Trainer
run, epochs = Path(sys.argv[1]), int(sys.argv[3])
if sys.argv[2] == "resume":
    trainer = Trainer.resume(run, epochs=epochs, threads=1)
else:
    train = TrainConfig(epochs=epochs, batch_size=32, seed=0, device="cpu", threads=1,
                        preview_n=4)
    trainer = Trainer("vae", VAEConfig(latent_dim=2, hidden_dims=(16,)), train,
                      DataConfig(dataset="digits"), run, overwrite=True)
for event in trainer.run():
    if type(event).__name__ in ("TrainStarted", "EpochEnd"):
        print(type(event).__name__, flush=True)
"""


def start_child(run: Path, mode: str, epochs: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    with open(log, "wb") as out:
        return subprocess.Popen([sys.executable, "-c", CHILD, str(run), mode, str(epochs)],
                                stdout=out, stderr=subprocess.STDOUT, env=env)


def checkpoint_epochs(run: Path) -> list[int]:
    """Return the epoch of every checkpoint folder in the run (temps aside)."""
    folder = run / "checkpoints"
    names = [n for n in os.listdir(folder) if not atomic.is_temp_name(n)] \
        if folder.is_dir() else []
    return [json.loads((folder / n / "config.json").read_text())["progress"]["epoch"]
            for n in names]


def logged(run: Path, kind: str, key: str) -> list[int]:
    found = []
    for line in (run / "metrics.jsonl").read_text().splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if rec.get("kind") == kind:
            found.append(rec[key])
    return found


def test_runs_killed_at_random_moments_leave_a_consistent_folder(tmp_path: Path) -> None:
    import random
    import signal
    import time

    rng = random.Random(5)  # kills land mid-commit (temps left) and mid-epoch
    run, epochs = tmp_path / "run", 12
    mode, killed = "fresh", []
    for i in range(4):
        log = tmp_path / f"child-{i}.log"
        child = start_child(run, mode, epochs, log)
        if i == 3:  # the last one runs to the end
            assert child.wait(timeout=120) == 0, log.read_text()
            break
        # Kill at a random moment of a random epoch: counted in epochs, not seconds, so a
        # fast machine cannot finish the run before the kill.
        epochs_first = rng.randint(0, 2)
        deadline = time.monotonic() + 60
        while log.read_bytes().count(b"EpochEnd") < epochs_first \
                or b"TrainStarted" not in log.read_bytes():
            assert child.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.01)
        if killed:
            assert f"took over the lock of process {killed[-1]}" in log.read_text()
        time.sleep(rng.uniform(0.0, 0.15))
        assert child.poll() is None, "the run ended before its kill"
        child.send_signal(signal.SIGKILL)
        child.wait()
        killed.append(child.pid)
        found = checkpoint_epochs(run)
        if found:  # every checkpoint is loadable and has its epoch's line
            assert load_checkpoint(run / "checkpoints" / "last").progress["epoch"] >= 1
            assert set(found) <= set(logged(run, "epoch", "epoch")), (found, i)
        mode = "resume" if found else "fresh"
    leftovers = [name for _, dirs, files in os.walk(run) for name in dirs + files
                 if atomic.is_temp_name(name) or name.endswith(".old") or name == LOCK_NAME]
    assert leftovers == []
    assert load_checkpoint(run).progress["epoch"] == epochs
    assert sorted(logged(run, "epoch", "epoch")) == list(range(1, epochs + 1))
    steps = logged(run, "step", "step")
    assert steps == list(range(1, len(steps) + 1)) and len(steps) == epochs * 51
