"""The README is true as written: its commands run on a fresh clone.

Every `latentlab …` line in the README's bash blocks runs here, in order, in an empty
folder, shortened (fewer epochs, images and steps) so the test stays quick. The two setup
commands are what `.ci/run` runs, so CI checks them on every submission.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")

# Shorter variants of the README's numbers: the same commands, quick enough for CI.
SHORTER = ((r"--epochs \d+", "--epochs 1"), (r"--epochs-ae \d+", "--epochs-ae 1"),
           (r"--steps \d+", "--steps 4"),
           (r"--n \d+", "--n 9"))


def bash_blocks(text: str) -> list[str]:
    """Return the bodies of the ```bash blocks of a Markdown text."""
    return re.findall(r"```bash\n(.*?)```", text, flags=re.S)


def readme_cli_commands() -> list[str]:
    """Return every `latentlab …` command line of the README's bash blocks, in order."""
    lines = [line.strip() for block in bash_blocks(README) for line in block.splitlines()]
    return [line for line in lines if line.startswith("latentlab ")]


def shortened(command: str) -> list[str]:
    """Return the command's arguments with the README's long settings made short."""
    for pattern, short in SHORTER:
        command = re.sub(pattern, short, command)
    args = shlex.split(command)[1:]
    # Bundled files are named relative to the repository; the test runs elsewhere.
    return [str(ROOT / a) if a.startswith("resources/") else a for a in args]


def test_the_readme_setup_commands_are_the_ones_ci_runs() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_command = next(line for line in ci.splitlines() if line.startswith("$PY -m venv"))
    readme_command = next(line for block in bash_blocks(README) for line in block.splitlines()
                          if "pytest" in line and "venv" in line)
    # CI installs quietly (-q); otherwise it is the README's command word for word.
    assert readme_command.replace("python3.11", "$PY") == test_command.replace(" -q", "")
    app_command = next(line for block in bash_blocks(README) for line in block.splitlines()
                       if line.endswith(".venv/bin/latentlab"))
    assert app_command.startswith("python3.11 -m venv .venv && .venv/bin/pip install -e .")


def test_the_readme_has_train_sample_eval_and_info_examples() -> None:
    verbs = {shlex.split(c)[1] for c in readme_cli_commands()}
    assert {"train", "sample", "eval", "info"} <= verbs


def test_every_readme_command_runs_on_a_fresh_clone(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    commands = readme_cli_commands()
    assert commands, "the README shows no latentlab commands"
    for command in commands:
        args = shortened(command)
        done = subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"{command}\n{done.stderr[-2000:]}"
        if "--out" in args:
            written = tmp_path / args[args.index("--out") + 1]
            assert written.exists(), f"{command} did not write {written}"


@pytest.mark.parametrize("command", readme_cli_commands())
def test_readme_commands_name_only_files_a_fresh_clone_has_or_makes(command: str) -> None:
    made = {shlex.split(c)[shlex.split(c).index("--out") + 1]
            for c in readme_cli_commands() if "--out" in shlex.split(c)}
    args = shlex.split(command)
    if "--checkpoint" in args:
        source = args[args.index("--checkpoint") + 1]
        assert source in made or (ROOT / source).exists(), \
            f"{command}: nothing in the README or the repository makes {source}"
