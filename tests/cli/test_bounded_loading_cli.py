"""`latentlab info` on a hostile or malformed checkpoint: one `error:` line naming the file,
exit 1, and no memory spent on the model the config describes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.models.checkpoint_files import HOSTILE_HIDDEN, edit_json, edit_model, tiny_checkpoint

ROOT = Path(__file__).resolve().parents[2]
LIMIT_KB = 6 * 2**20  # 6 GiB of address space: plenty for torch, far below the hostile model


def info(checkpoint: Path) -> subprocess.CompletedProcess[str]:
    """Run `latentlab info --checkpoint` in a fresh interpreter under LIMIT_KB."""
    cmd = ["/bin/sh", "-c", f'ulimit -v {LIMIT_KB} && exec "$0" "$@"', sys.executable,
           "-m", "app.cli", "info", "--checkpoint", str(checkpoint)]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, cwd=ROOT)


@pytest.mark.parametrize(("hostility", "named"), [
    ("huge hidden layers", "model.safetensors"),
    ("a number where class names belong", "config.json"),
])
def test_info_on_a_hostile_checkpoint_is_one_error_line_naming_the_file(
        tmp_path: Path, hostility: str, named: str) -> None:
    folder = tiny_checkpoint(tmp_path / "ck", "vae")
    if hostility == "huge hidden layers":
        edit_model(folder, hidden_dims=HOSTILE_HIDDEN)
    else:
        edit_json(folder / "config.json", class_names=5)
    done = info(folder)
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert str(folder / named) in lines[0] and "unexpected" not in lines[0]
    assert done.stdout == ""
