"""`latentlab` with a PixelCNN: train options, `eval` with exact bits/dim, `sample`, `info`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.cli import main

pytestmark = pytest.mark.usefixtures("one_thread")  # tiny models: one torch thread

TINY = ["--filters", "3", "--gated-layers", "1", "--output-filters", "3"]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pcnn") / "run"
    assert main(["train", "--model", "pixelcnn", "--dataset", "digits", "--epochs", "1",
                 *TINY, "--first-kernel", "5", "--batch-size", "256", "--lr", "1e-2",
                 "--device", "cpu", "--preview-n", "4", "--out", str(out)]) == 0
    return out


def _json_out(capsys: pytest.CaptureFixture[str]) -> dict:
    return json.loads(capsys.readouterr().out)  # exactly one JSON object, or this raises


def test_train_options_reach_the_config(run: Path) -> None:
    cfg = json.loads((run / "checkpoints" / "last" / "config.json").read_text())["model"]
    assert (cfg["filters"], cfg["gated_layers"], cfg["first_kernel"]) == (3, 1, 5)
    assert cfg["class_conditional"] is False


def test_eval_reports_exact_bits_per_dim_and_sample_quality(
        run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["eval", "--checkpoint", str(run), "--device", "cpu", "--n", "12"]) == 0
    result = _json_out(capsys)
    assert result["family"] == "pixelcnn" and result["likelihood_kind"] == "exact"
    # Over the same held-out split as the validation loss, which is bits/dim too.
    assert result["bits_per_dim"] == pytest.approx(result["val"]["bits_per_dim"], rel=1e-4)
    assert 0 < result["bits_per_dim"] < 9
    assert "available" in result["sample_quality"]  # digits: no classifier of its own


def test_sample_writes_the_models_images_and_info_describes_it(
        run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from models.checkpoint import load_checkpoint
    from models.images import make_grid, to_uint8_nhwc

    capsys.readouterr()
    out = tmp_path / "grid.png"
    assert main(["sample", "--checkpoint", str(run), "--n", "4", "--seed", "3",
                 "--out", str(out), "--device", "cpu"]) == 0
    assert _json_out(capsys)["n"] == 4
    model = load_checkpoint(run).model
    expected = make_grid(to_uint8_nhwc(model.sample(4, 3)))
    assert np.array_equal(np.asarray(Image.open(out)).reshape(expected.shape), expected)
    assert main(["info", "--checkpoint", str(run)]) == 0
    info = _json_out(capsys)
    assert info["family"] == "pixelcnn" and info["capabilities"]["latent_shape"] == []
    assert info["parameters"] == sum(p.numel() for p in model.parameters())
