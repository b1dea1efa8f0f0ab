"""The command line: train, sample, info, eval; exit codes and one-line errors."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from app.cli import main


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "run"
    code = main(["train", "--model", "vae", "--dataset", "digits", "--epochs", "1",
                 "--latent-dim", "2", "--hidden-dims", "32", "--batch-size", "128",
                 "--device", "cpu", "--preview-n", "4", "--out", str(out)])
    assert code == 0
    return out


def test_train_writes_a_run_and_prints_the_final_validation_loss(
        run_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (run_dir / "checkpoints" / "last" / "config.json").is_file()
    assert (run_dir / "samples" / "epoch-0001.png").is_file()


def test_sample_writes_a_grid_of_the_requested_size(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "grid.png"
    assert main(["sample", "--checkpoint", str(run_dir), "--n", "16", "--out", str(out),
                 "--device", "cpu"]) == 0
    img = Image.open(out)
    assert img.size == (4 * 30 + 2, 4 * 30 + 2)  # 4×4 tiles of 28 px with 2 px gaps


def test_info_and_eval_print_json(run_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["info", "--checkpoint", str(run_dir)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["family"] == "vae" and info["capabilities"]["latent_shape"] == [2]
    assert main(["eval", "--checkpoint", str(run_dir), "--device", "cpu"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["val"]["loss"] > 0 and result["n_val"] == 180


def test_training_into_an_existing_run_needs_resume(run_dir: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["train", "--model", "vae", "--dataset", "digits", "--out", str(run_dir)])
    assert exc.value.code == 2


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    for argv in (["train", "--model", "nope", "--out", str(tmp_path)],
                 ["train", "--model", "ae", "--beta", "2", "--out", str(tmp_path)],
                 ["train", "--model", "vae", "--latent-dim", "0", "--out", str(tmp_path)]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2, argv


def test_diffusion_options_on_a_vae_are_a_usage_error(run_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["sample", "--checkpoint", str(run_dir), "--out", str(tmp_path / "x.png"),
              "--steps", "10"])
    assert exc.value.code == 2


def test_bad_checkpoint_path_is_one_error_line_and_no_traceback(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "app.cli", "info", "--checkpoint",
                          str(tmp_path / "missing")], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "missing" in lines[0]


def test_corrupt_checkpoint_is_exit_1(run_dir: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(run_dir / "checkpoints" / "last", broken)
    (broken / "model.safetensors").write_bytes(b"garbage")
    assert main(["sample", "--checkpoint", str(broken), "--out", str(tmp_path / "g.png")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [err[0]] and "model.safetensors" in err[0]


def test_ctrl_c_during_training_saves_the_steps_done(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import tqdm

    from models.checkpoint import load_checkpoint

    real_update = tqdm.tqdm.update
    calls = []

    def interrupt_at_step_3(self: tqdm.tqdm, n: float = 1) -> bool | None:
        result = real_update(self, n)  # the tests disable the bar: it does not count
        calls.append(n)
        if len(calls) == 3:
            raise KeyboardInterrupt  # arrives in the CLI's code, between two steps
        return result

    monkeypatch.setattr(tqdm.tqdm, "update", interrupt_at_step_3)
    out = tmp_path / "run"
    code = main(["train", "--model", "vae", "--dataset", "digits", "--epochs", "2",
                 "--latent-dim", "2", "--hidden-dims", "32", "--batch-size", "128",
                 "--device", "cpu", "--preview-n", "4", "--out", str(out)])
    assert code == 1
    assert load_checkpoint(out).progress["step"] == 3
