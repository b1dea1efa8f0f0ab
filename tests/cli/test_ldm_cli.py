"""`latentlab train --model ldm`: two phases printed and logged, `--first-stage` skipping
phase 1 and adopting the autoencoder's shape, then `sample` and `info` on the result."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.cli import main

pytestmark = pytest.mark.usefixtures("one_thread")  # tiny models: one torch thread

# 1,797 digits at 16 px, batches of 256: 7 steps an epoch; a 16 px frame, 2×4×4 latents.
TINY = ["--dataset", "digits", "--image-size", "16", "--batch-size", "256", "--device", "cpu",
        "--preview-n", "4", "--preset", "custom", "--block-channels", "8", "16",
        "--norm-groups", "4", "--sample-steps", "3"]
TINY_VAE = ["--vae-channels", "4", "8", "8", "--vae-norm-groups", "4",
            "--latent-channels", "2"]


@pytest.fixture(scope="module")
def ldm_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """Return a run trained by the CLI (1 epoch of each phase) and what it printed."""
    import contextlib
    import io

    out = tmp_path_factory.mktemp("ldm") / "run"
    text = io.StringIO()  # the progress bar writes epoch lines to stdout, the rest to stderr
    with contextlib.redirect_stderr(text), contextlib.redirect_stdout(text):
        assert main(["train", "--model", "ldm", "--epochs-ae", "1", "--epochs", "1",
                     *TINY, *TINY_VAE, "--out", str(out)]) == 0
    return out, text.getvalue()


def test_train_prints_and_logs_both_phases(ldm_run: tuple[Path, str]) -> None:
    out, printed = ldm_run
    assert "phases: autoencoder (1 epoch), then diffusion (1 epoch)" in printed
    assert "epoch 1/2 [autoencoder]" in printed and "epoch 2/2 [diffusion]" in printed
    assert "phase diffusion: from epoch 2" in printed and "phase autoencoder" not in printed
    records = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    phases = [r["phase"] for r in records if r["kind"] == "step"]
    assert phases == ["autoencoder"] * 7 + ["diffusion"] * 7
    assert {"val_recon", "val_kl"} <= set(records[7])  # phase 1's epoch line
    assert {p.name for p in (out / "checkpoints" / "last").iterdir()} >= \
        {"vae", "unet", "scheduler", "config.json"}


def test_sample_and_info_on_an_ldm_run(ldm_run: tuple[Path, str], tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = ldm_run
    capsys.readouterr()
    png = tmp_path / "grid.png"
    assert main(["sample", "--checkpoint", str(out), "--n", "4", "--out", str(png),
                 "--sampler", "ddim", "--steps", "3", "--device", "cpu",
                 "--save-trajectory", str(tmp_path / "t.npz")]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert (printed["sampler"], printed["steps"]) == ("ddim", 3)
    assert np.asarray(Image.open(png)).shape[0] > 2 * 16  # a 2×2 grid of 16 px images
    with np.load(tmp_path / "t.npz") as traj:
        assert traj["x_t"].shape == (3, 4, 2, 4, 4)  # steps × images × latents
    assert main(["info", "--checkpoint", str(out)]) == 0
    info = json.loads(capsys.readouterr().out)
    stages = info["stages"]
    assert info["family"] == "ldm" and stages["latent_shape"] == [2, 4, 4]
    assert stages["frame_size"] == 16 and stages["scaling_factor"] > 0
    # The linear preview was fitted as the diffusion phase began; its R² is a fraction.
    assert isinstance(stages["linear_preview_r2"], float) and stages["linear_preview_r2"] <= 1
    vae = json.loads((out / "checkpoints" / "last" / "vae" / "config.json").read_text())
    assert vae["scaling_factor"] == pytest.approx(stages["scaling_factor"])


def test_first_stage_skips_phase_one_and_adopts_its_shape(
        ldm_run: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source, _ = ldm_run
    out = tmp_path / "second"
    assert main(["train", "--model", "ldm", "--epochs", "1", *TINY,
                 "--first-stage", str(source), "--out", str(out)]) == 0
    assert f"autoencoder (taken from {source.resolve()})" in capsys.readouterr().err
    model = json.loads((out / "run.json").read_text())["model"]
    assert (model["vae_channels"], model["latent_channels"]) == ([4, 8, 8], 2)
    assert model["first_stage"] == str(source.resolve())
    records = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert {r["phase"] for r in records if r["kind"] == "step"} == {"diffusion"}
    with pytest.raises(SystemExit) as exc:  # an option contradicting the first stage
        main(["train", "--model", "ldm", *TINY, "--latent-channels", "4",
              "--first-stage", str(source), "--out", str(tmp_path / "x")])
    assert exc.value.code == 2


def test_eval_validates_each_phase_as_it_was_trained(
        ldm_run: tuple[Path, str], capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = ldm_run
    capsys.readouterr()
    assert main(["eval", "--checkpoint", str(out), "--device", "cpu", "--n", "10"]) == 0
    result = json.loads(capsys.readouterr().out)
    val = result["val"]
    assert {"autoencoder_loss", "autoencoder_recon", "autoencoder_kl", "loss"} <= set(val)
    # The UNet's loss as the last epoch measured it on the same split.
    assert val["loss"] == pytest.approx(result["progress"]["val_metrics"]["loss"], rel=1e-5)
