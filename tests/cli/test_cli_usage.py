"""The command line as a newcomer meets it: one-line usage errors, help, version, no display,
NaN refused, --resume contradictions, image formats by extension (issue 21)."""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PIL import Image

import app.cli
from app.cli import main
from app.cli.parser import COMMANDS, build_parser
from models.config import TrainConfig

ROOT = Path(__file__).resolve().parents[2]


def usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Return the stderr of a usage error (exit 2), checking it is one line."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2, argv
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def run_python(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh interpreter from the repository root."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT)} if env is None else env
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env=full_env)


@pytest.fixture(scope="module")
def vae_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a run folder whose last checkpoint is an untrained 2-D VAE on digits."""
    import torch

    from models.autoencoders.config import VAEConfig
    from models.checkpoint import save_checkpoint
    from models.config import DataConfig
    from models.registry import build_model

    torch.manual_seed(0)
    model = build_model("vae", VAEConfig(latent_dim=2, hidden_dims=(16,)))
    run = tmp_path_factory.mktemp("usage") / "run"
    save_checkpoint(run / "checkpoints" / "last", model, data=DataConfig(dataset="digits"),
                    train=TrainConfig(epochs=1, lr=1e-3, device="cpu"))
    return run


# --- usage errors ------------------------------------------------------------------------
def test_a_usage_error_is_one_line_pointing_at_the_commands_help(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    line = usage_error(["train", "--model", "vae", "--out", str(tmp_path), "--epochs", "x"],
                       capsys)
    assert line.startswith("latentlab train: error: argument --epochs")
    assert line.endswith("(see 'latentlab train --help')")
    line = usage_error(["train", "--model", "vea", "--out", str(tmp_path)], capsys)
    assert "did you mean 'vae'" in line


def test_an_unknown_command_suggests_the_closest(capsys: pytest.CaptureFixture[str]) -> None:
    line = usage_error(["tarin", "--model", "vae"], capsys)
    assert "unknown command 'tarin'" in line and "did you mean 'train'" in line


def test_options_without_a_command_still_open_the_gui() -> None:
    assert app.cli.route(["--checkpoint", "X"]) == ["gui", "--checkpoint", "X"]
    assert app.cli.route(["--debug"]) == ["--debug", "gui"]
    assert app.cli.route([]) == ["gui"]
    args = build_parser().parse_args(app.cli.route(["--debug", "--checkpoint", "X"]))
    assert args.command == "gui" and args.debug and args.checkpoint == Path("X")


def test_every_command_is_routed() -> None:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert tuple(sub.choices) == COMMANDS


def test_debug_is_accepted_after_the_command(tmp_path: Path) -> None:
    from models.checkpoint import CheckpointError

    missing = str(tmp_path / "missing")
    assert main(["info", "--checkpoint", missing]) == 1
    with pytest.raises(CheckpointError):  # --debug: the traceback, wherever it is given
        main(["info", "--checkpoint", missing, "--debug"])
    with pytest.raises(CheckpointError):
        main(["--debug", "info", "--checkpoint", missing])


def test_paths_that_cannot_be_written_are_refused(capsys: pytest.CaptureFixture[str],
                                                  tmp_path: Path) -> None:
    (tmp_path / "a-file").touch()
    (tmp_path / "folder.png").mkdir()
    line = usage_error(["train", "--model", "vae", "--out", str(tmp_path / "a-file")], capsys)
    assert "a-file is a file, not a folder" in line
    line = usage_error(["sample", "--checkpoint", "x", "--out", str(tmp_path / "folder.png")],
                       capsys)
    assert "folder.png is a folder" in line
    line = usage_error(["sample", "--checkpoint", "x", "--out",
                        str(tmp_path / "a-file" / "x.png")], capsys)
    assert "a-file is a file" in line
    assert "--n" in usage_error(["eval", "--checkpoint", "x", "--n", "0"], capsys)


def test_empty_paths_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert "--out" in usage_error(["train", "--model", "vae", "--out", ""], capsys)
    assert "--out" in usage_error(["train", "--model", "vae", "--out", "  "], capsys)
    assert "--checkpoint" in usage_error(["info", "--checkpoint", ""], capsys)
    assert "--checkpoint" in usage_error(["sample", "--checkpoint", " ", "--out", "a.png"],
                                         capsys)


@pytest.mark.parametrize("argv", [
    ["train", "--model", "vae", "--lr", "nan"],
    ["train", "--model", "vae", "--beta", "inf"],
    ["train", "--model", "vae", "--hidden-dims", "32", "nan"],
    ["train", "--model", "cddpm", "--guidance", "-inf"],
    ["sample", "--checkpoint", "x", "--out", "x.png", "--guidance", "nan"],
    ["sample", "--checkpoint", "x", "--out", "x.png", "--eta", "inf"],
])
def test_nan_and_infinity_are_usage_errors(argv: list[str], tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    if argv[0] == "train":
        argv = [*argv, "--out", str(tmp_path / "run")]
    usage_error(argv, capsys)


def test_configs_refuse_nan_infinity_and_non_numbers() -> None:
    from models.autoencoders.config import VAEConfig

    for bad in (float("nan"), float("inf"), -math.inf):
        with pytest.raises(ValueError, match="finite"):
            TrainConfig(lr=bad).validate()
        with pytest.raises(ValueError, match="beta"):
            VAEConfig(beta=bad).validate()
    with pytest.raises(ValueError, match="lr must be a number"):
        TrainConfig(lr="0.1").validate()  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="epochs must be a whole number"):
        TrainConfig(epochs=2.5).validate()  # type: ignore[arg-type]


# --- before torch ------------------------------------------------------------------------
def test_usage_errors_are_answered_before_torch_loads(tmp_path: Path) -> None:
    out = run_python(f"""
        import json, sys, time
        from app.cli import main
        results = []
        for argv in (["train", "--model", "vae", "--out", {str(tmp_path)!r}, "--dataset", "nosuch"],
                     ["train", "--model", "vae", "--out", {str(tmp_path)!r},
                      "--dataset", "folder:" + {str(tmp_path / "none")!r}],
                     ["train", "--model", "vae", "--out", {str(tmp_path)!r}, "--device", "gpu"],
                     ["train", "--model", "vae", "--out", {str(tmp_path)!r},
                      "--dataset", {str(tmp_path)!r}],
                     ["train", "--model", "vae", "--out", {str(tmp_path)!r}, "--latent-dim", "0"],
                     ["train", "--model", "ae", "--out", {str(tmp_path)!r}, "--beta", "2"],
                     ["sample", "--checkpoint", "x", "--out", "x.png", "--n", "0"],
                     ["sample", "--checkpoint", "x", "--out", "x.xyz"]):
            start = time.perf_counter()
            try:
                code = main(argv)
            except SystemExit as exc:
                code = exc.code
            results.append([code, time.perf_counter() - start, "torch" in sys.modules])
        print(json.dumps(results))
        """)
    results = json.loads(out.stdout.strip().splitlines()[-1])
    assert [r[0] for r in results] == [2] * len(results), out.stderr
    assert not any(r[2] for r in results), "torch was imported"
    assert max(r[1] for r in results) < 2.0
    lines = out.stderr.strip().splitlines()
    assert len(lines) == len(results)
    assert "unknown dataset 'nosuch'" in lines[0] and "no such folder" in lines[1]
    assert f"folder:{tmp_path}" in lines[3]  # a bare folder: how to name it


def test_version_prints_fast_without_torch() -> None:
    out = run_python("""
        import sys
        from app.cli import main
        try:
            main(["--version"])
        except SystemExit as exc:
            print("status", exc.code, "torch" in sys.modules)
        """)
    from app.cli.argparser import version

    assert out.stdout.splitlines() == [f"latentlab {version()}", "status 0 False"], out.stderr
    assert version().count(".") >= 1


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11/Wayland check")
def test_no_display_is_one_line_before_qt_loads() -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["PYTHONPATH"] = str(ROOT)
    for argv in ([], ["gui"]):
        out = run_python(f"""
            import sys
            from app.cli import main
            code = main({argv!r})
            print(code, "PySide6" in sys.modules)
            """, env=env)
        assert out.stdout.strip() == "1 False", out.stdout + out.stderr
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and "QT_QPA_PLATFORM=offscreen" in lines[0]


def test_ctrl_c_outside_training_is_one_line(monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    def interrupted() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(app.cli, "build_parser", interrupted)
    try:
        code = main(["info", "--checkpoint", "x"])
    except KeyboardInterrupt:
        pytest.fail("KeyboardInterrupt escaped main()")
    assert code == 1
    assert capsys.readouterr().err.strip().splitlines() == ["error: interrupted"]


def test_a_warning_is_one_line(monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    import warnings

    import app.cli.parser

    def warns(args: argparse.Namespace) -> int:
        warnings.warn("skipped 2 unreadable image files\nsecond line", UserWarning,
                      stacklevel=1)
        return 0

    monkeypatch.setattr(app.cli.parser, "cmd_info", warns)
    capsys.readouterr()
    assert main(["info", "--checkpoint", "x"]) == 0
    assert capsys.readouterr().err == "warning: skipped 2 unreadable image files\n"


# --- help --------------------------------------------------------------------------------
def _options(parser: argparse.ArgumentParser) -> list[tuple[str, argparse.Action, str]]:
    """Return (command, action, expanded help) for every option of every command."""
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    found = []
    for name, command in sub.choices.items():
        formatter = command._get_formatter()
        for action in command._actions:
            if action.option_strings and action.help is not argparse.SUPPRESS:
                found.append((name, action, formatter._expand_help(action)))
    return found


def test_help_lists_every_choice_and_every_default() -> None:
    from app.cli.configs import model_field_owners
    from models.config import DataConfig
    from models.registry import config_class

    defaults = {s.name: s.default for cls in (DataConfig, TrainConfig)
                for s in cls.field_specs()}
    for name, fams in model_field_owners().items():
        defaults.setdefault(name, next(s.default for s in config_class(fams[0]).field_specs()
                                       if s.name == name))
    for command, action, text in _options(build_parser()):
        where = f"{command} {action.option_strings[0]}"
        if action.choices:
            assert action.metavar is None, f"{where} hides its choices behind a metavar"
        default = action.default
        if default is argparse.SUPPRESS and command == "train":
            default = defaults.get(action.dest)
        if default is None or action.dest in ("help", "debug", "resume", "overwrite",
                                               "version"):
            continue
        assert "(default: " in text, f"{where}: no default in {text!r}"
    train_help = build_parser()._subparsers._group_actions[0].choices["train"].format_help()
    assert "--lr LR" in train_help and "(default: 0.001)" in train_help
    assert "--channels {1,3}" in train_help


# --- sample writes the format its extension names ----------------------------------------
def test_sample_writes_the_format_the_extension_names(vae_run: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    for suffix, fmt in ((".jpg", "JPEG"), (".JPEG", "JPEG"), (".webp", "WEBP"),
                        (".png", "PNG")):
        out = tmp_path / f"grid{suffix}"
        assert main(["sample", "--checkpoint", str(vae_run), "--n", "4", "--out", str(out),
                     "--device", "cpu"]) == 0
        with Image.open(out) as img:
            assert img.format == fmt
    line = usage_error(["sample", "--checkpoint", str(vae_run), "--out",
                        str(tmp_path / "grid.xyz")], capsys)
    assert "'.xyz'" in line and not (tmp_path / "grid.xyz").exists()


def test_every_extension_accepted_is_written_in_grey_and_colour(tmp_path: Path) -> None:
    import numpy as np

    from models.images import image_format, save_image

    Image.init()
    for suffix in sorted(Image.registered_extensions()):
        try:
            fmt = image_format(f"x{suffix}")
        except ValueError:
            continue
        for channels in (1, 3):
            path = save_image(np.full((6, 8, channels), 90, np.uint8), tmp_path / f"x{suffix}")
            assert path.stat().st_size > 0, fmt


# --- --resume ----------------------------------------------------------------------------
def test_resume_refuses_options_contradicting_the_saved_run(
        vae_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["train", "--resume", "--out", str(vae_run)]
    line = usage_error([*base, "--model", "gan"], capsys)
    assert "--model gan" in line and "--model vae" in line
    line = usage_error([*base, "--model", "vae", "--lr", "0.01"], capsys)
    assert "--lr 0.01" in line and "0.001" in line
    line = usage_error([*base, "--model", "vae", "--latent-dim", "3"], capsys)
    assert "--latent-dim 3" in line and "--latent-dim 2" in line
    line = usage_error([*base, "--model", "vae", "--dataset", "mnist5k"], capsys)
    assert "--dataset mnist5k" in line and "digits" in line
    line = usage_error([*base, "--model", "vae", "--no-keep-epoch-checkpoints"], capsys)
    assert "saved with --keep-epoch-checkpoints" in line
    line = usage_error([*base, "--model", "vae", "--image-size", "28"], capsys)
    assert "saved without --image-size" in line


def test_resume_says_which_changes_it_applies(vae_run: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli.configs import check_resume

    args = build_parser().parse_args(["train", "--resume", "--out", str(vae_run), "--model",
                                      "vae", "--epochs", "3", "--lr", "0.001",
                                      "--hidden-dims", "16", "--dataset", "digits"])
    capsys.readouterr()
    check_resume(args)  # the same values as saved are no contradiction
    assert "--epochs 3 (saved: --epochs 1)" in capsys.readouterr().err


def test_the_command_line_quiets_openmp_before_torch_loads() -> None:
    code = ("import os, sys\nfrom app.cli import main\n"
            "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
            "print(os.environ.get('OMP_WAIT_POLICY'), 'torch' in sys.modules)")
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, cwd=ROOT, timeout=60)
    assert out.stdout.split()[-2:] == ["PASSIVE", "False"], out.stderr
