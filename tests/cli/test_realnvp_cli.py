"""The command line on RealNVP: train, info, sample at a temperature, eval with bits/dim."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.cli import main

pytestmark = pytest.mark.usefixtures("one_thread")  # tiny models: one torch thread

TINY = ["--num-scales", "1", "--couplings", "1", "--hidden-channels", "4", "--res-blocks", "0"]


def _json_out(capsys: pytest.CaptureFixture[str]) -> dict:
    return json.loads(capsys.readouterr().out)  # exactly one JSON object, or this raises


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("flow") / "run"
    assert main(["train", "--model", "realnvp", "--dataset", "digits", "--image-size", "8",
                 "--epochs", "1", "--batch-size", "128", "--device", "cpu", "--preview-n",
                 "4", *TINY, "--temperature", "0.8", "--out", str(out)]) == 0
    return out


def test_train_options_reach_the_config_and_info_describes_the_flow(
        run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["info", "--checkpoint", str(run)]) == 0
    info = _json_out(capsys)
    assert info["family"] == "realnvp"
    assert (info["model"]["num_scales"], info["model"]["hidden_channels"],
            info["model"]["temperature"]) == (1, 4, 0.8)
    assert info["capabilities"]["can_encode"] and info["capabilities"]["latent_shape"] == [64]
    lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    epochs = [line for line in lines if line["kind"] == "epoch"]
    assert epochs and 0 < epochs[-1]["val_bits_per_dim"] < 9
    assert all("bits_per_dim" in line for line in lines if line["kind"] == "step")


def test_sample_takes_a_temperature(run: Path, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    grids = {}
    for t in ("0.5", "1.0"):
        out = tmp_path / f"t{t}.png"
        assert main(["sample", "--checkpoint", str(run), "--n", "4", "--out", str(out),
                     "--temperature", t, "--device", "cpu"]) == 0
        assert _json_out(capsys)["temperature"] == float(t)
        grids[t] = np.asarray(Image.open(out))
    assert grids["0.5"].shape == grids["1.0"].shape
    assert not np.array_equal(grids["0.5"], grids["1.0"])
    assert main(["sample", "--checkpoint", str(run), "--n", "2", "--device", "cpu",
                 "--out", str(tmp_path / "d.png")]) == 0
    assert _json_out(capsys)["temperature"] == 0.8  # the model's own
    with pytest.raises(SystemExit) as exc:  # a diffusion option
        main(["sample", "--checkpoint", str(run), "--out", str(tmp_path / "x.png"),
              "--steps", "3"])
    assert exc.value.code == 2


def test_eval_reports_bits_per_dim(run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["eval", "--checkpoint", str(run), "--device", "cpu", "--n", "30"]) == 0
    result = _json_out(capsys)
    assert result["family"] == "realnvp"
    assert 0 < result["val"]["bits_per_dim"] < 9
    assert result["val"]["bits_per_dim"] == pytest.approx(result["val"]["loss"])
