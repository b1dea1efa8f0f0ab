"""`latentlab train --dataset toy:…` and `latentlab eval` on a toy run."""

import json
from pathlib import Path

import pytest

from app.cli import main


def test_toy_train_then_eval_print_the_toy_metrics(tmp_path: Path, capsys) -> None:
    out = tmp_path / "run"
    assert main(["train", "--model", "gan", "--dataset", "toy:8gaussians", "--out", str(out),
                 "--steps", "20", "--hidden", "8", "--set", "d_hidden=8",
                 "--set", "loss=wgan-gp", "--threads", "1"]) == 0
    trained = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert trained["family"] == "gan" and trained["steps"] == 20
    assert (out / "run.json").is_file() and (out / "checkpoints" / "last").is_dir()
    assert json.loads((out / "run.json").read_text())["config"]["loss"] == "wgan-gp"
    assert main(["eval", "--checkpoint", str(out), "--n", "500"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {"modes_covered", "high_quality", "grid_kl", "grid_js"} <= set(report)
    assert report["steps"] == 20


@pytest.mark.parametrize("argv, message", [
    (["--dataset", "toy:nine"], "unknown toy dataset"),
    (["--dataset", "toy:moons", "--set", "colour=red"], "not a gan setting"),
    (["--dataset", "toy:moons", "--set", "clip=abc"], "expected float"),
])
def test_toy_usage_errors_exit_2_with_one_line(argv, message, tmp_path, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--model", "gan", "--out", str(tmp_path / "r"), *argv])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert message in err


def test_image_families_still_reject_toy_family_names(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit):
        main(["train", "--model", "flow", "--dataset", "digits", "--out", str(tmp_path / "r")])
    assert "invalid choice" in capsys.readouterr().err
