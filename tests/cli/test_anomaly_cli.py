"""`latentlab anomaly`: a tiny run trained with a class held out, scored from the command
line as one JSON object; bad checkpoints, unknown sets and classes not held out are one
line and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main

pytestmark = pytest.mark.usefixtures("one_thread")  # tiny models: one torch thread

TINY = ["--dataset", "digits", "--latent-dim", "2", "--hidden-dims", "16", "--epochs", "2",
        "--device", "cpu", "--threads", "1", "--preview-n", "4",
        "--no-keep-epoch-checkpoints"]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a tiny VAE run on the digits with class 7 held out."""
    out = tmp_path_factory.mktemp("anomaly") / "vae"
    assert main(["train", "--model", "vae", *TINY, "--exclude-class", "7", "--out",
                 str(out)]) == 0
    return out


@pytest.mark.parametrize("anomalies", ["class:7", "noise", "rotate", "invert"])
def test_anomaly_prints_one_json_object(run: Path, anomalies: str, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    out = tmp_path / "report.json"
    assert main(["anomaly", "--checkpoint", str(run), "--anomalies", anomalies, "--n", "80",
                 "--json-out", str(out)]) == 0
    printed = capsys.readouterr().out
    report = json.loads(printed)
    assert json.loads(out.read_text()) == report
    assert report["family"] == "vae" and report["anomalies"] == anomalies
    assert report["score"]["name"] == "−ELBO"
    assert 0.0 <= report["auc"] <= 1.0 and report["inverted"] == (report["auc"] < 0.5)
    assert report["summary"]["normal"]["n"] == 80
    if anomalies in ("noise", "invert"):  # far from any digit: the VAE must notice
        assert report["auc"] > 0.9


def test_the_same_seed_prints_the_same_report(run: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    reports = []
    for _ in range(2):
        capsys.readouterr()
        assert main(["anomaly", "--checkpoint", str(run), "--anomalies", "noise", "--n", "40",
                     "--seed", "4"]) == 0
        report = json.loads(capsys.readouterr().out)
        report.pop("seconds")
        reports.append(report)
    assert reports[0] == reports[1]


@pytest.mark.parametrize("args, words", [
    (["--anomalies", "class:3"], "class 3 was not held out"),
    (["--anomalies", "blur"], "unknown anomaly set 'blur'"),
])
def test_a_set_the_run_cannot_score_is_a_usage_error(
        run: Path, args: list[str], words: str, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    with pytest.raises(SystemExit) as info:
        main(["anomaly", "--checkpoint", str(run), *args])
    err = capsys.readouterr().err.strip().splitlines()
    assert info.value.code == 2 and len(err) == 1 and words in err[0]


def test_a_folder_without_a_checkpoint_is_a_usage_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(SystemExit) as info:
        main(["anomaly", "--checkpoint", str(tmp_path), "--anomalies", "noise"])
    err = capsys.readouterr().err.strip().splitlines()
    assert info.value.code == 2 and len(err) == 1 and "config.json" in err[0]
