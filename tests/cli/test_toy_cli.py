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


def test_info_on_a_toy_run_prints_its_header_and_size(tmp_path: Path, capsys) -> None:
    out = tmp_path / "run"
    assert main(["train", "--model", "flow", "--dataset", "toy:moons", "--out", str(out),
                 "--steps", "3", "--hidden", "8", "--set", "couplings=2",
                 "--threads", "1"]) == 0
    capsys.readouterr()
    assert main(["info", "--checkpoint", str(out)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["family"] == "flow" and info["dataset"] == "toy:moons"
    assert info["steps"] == 3 and info["config"]["couplings"] == 2
    # two couplings, each an MLP 1 → 8 → 8 → 47 (16 bins); no rotation by default
    assert info["parameters"] == 2 * ((1 * 8 + 8) + (8 * 8 + 8) + (8 * 47 + 47))


def test_training_on_a_csv_of_points_saves_them_with_the_run(tmp_path: Path, capsys) -> None:
    table = tmp_path / "drawn.csv"
    table.write_text("x,y\n" + "".join(f"{i / 10},{(-1) ** i * 0.5}\n" for i in range(30)))
    out = tmp_path / "run"
    assert main(["train", "--model", "vae", "--dataset", f"csv:{table}", "--out", str(out),
                 "--steps", "5", "--hidden", "8", "--threads", "1"]) == 0
    trained = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert trained["dataset"] == "points:drawn" and "grid_kl" in trained
    table.unlink()  # the run no longer needs the file
    assert main(["eval", "--checkpoint", str(out), "--n", "300"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["dataset"] == "points:drawn" and again["steps"] == 5
    assert main(["info", "--checkpoint", str(out)]) == 0
    assert json.loads(capsys.readouterr().out)["data_points"] == 30


def test_a_csv_with_bad_rows_is_refused_naming_them_in_one_line(tmp_path, capsys) -> None:
    table = tmp_path / "bad.csv"
    table.write_text("x,y\n1,2\n3\n4,five\n5,6\n")
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--model", "gan", "--dataset", f"csv:{table}",
              "--out", str(tmp_path / "r")])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "bad lines 3, 4" in err and len(err.splitlines()) == 1
