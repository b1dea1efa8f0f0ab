"""One thread rule for the GUI, the command line and notebooks (issue 21; bench/threads.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from models import cores, device
from models.autoencoders.config import VAEConfig
from models.training import Trainer, TrainStarted
from tests.models.helpers import DATA, quick_train, small_mnist

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def restore_threads() -> Iterator[None]:
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_the_rule_leaves_one_core_free_and_uses_at_most_eight() -> None:
    assert [cores.default_threads(n) for n in (1, 2, 4, 8, 64)] == [1, 1, 3, 7, 8]


def test_no_threads_setting_applies_the_rule_not_torchs_default(
        monkeypatch: pytest.MonkeyPatch, restore_threads: None) -> None:
    torch.set_num_threads(2)  # torch's own default on a 2-core machine
    monkeypatch.setattr(cores, "usable_cores", lambda: 2)
    assert device.set_threads(None) == 1
    assert torch.get_num_threads() == 1
    assert device.set_threads(2) == 2  # a count the user names wins


def test_run_json_and_train_started_record_the_threads_used(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, restore_threads: None) -> None:
    monkeypatch.setattr(cores, "usable_cores", lambda: 3)
    trainer = Trainer("vae", VAEConfig(hidden_dims=(16,)), quick_train(), DATA, tmp_path,
                      dataset=small_mnist(64))
    events = trainer.run()
    started = next(events)
    events.close()
    assert isinstance(started, TrainStarted) and started.threads == 2
    assert json.loads((tmp_path / "run.json").read_text())["threads"] == 2


def test_the_gui_and_the_command_line_default_to_the_same_rule() -> None:
    from app.panels import setup_panel
    from app.window import main_window

    assert device.default_threads is cores.default_threads  # set_threads(None): CLI, notebooks
    assert setup_panel.default_threads is cores.default_threads
    assert main_window.default_threads is cores.default_threads
    assert not hasattr(cores, "gui_default_threads")


def test_openmp_is_told_to_sleep_unless_the_user_chose_a_wait_policy() -> None:
    env: dict[str, str] = {}
    cores.quiet_openmp(env)
    assert env == {"OMP_WAIT_POLICY": "PASSIVE"}
    for chosen in ({"OMP_WAIT_POLICY": "ACTIVE"}, {"GOMP_SPINCOUNT": "10000"}):
        env = dict(chosen)
        cores.quiet_openmp(env)
        assert env == chosen


def test_the_rule_is_known_before_torch_is_imported() -> None:
    code = "import sys, models.cores as c; c.default_threads(); c.quiet_openmp(); " \
           "sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, timeout=60).returncode == 0
