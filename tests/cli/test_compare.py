"""`latentlab compare`: two tiny runs (a pixel-space ddpm and an ldm, trained here for a
couple of steps on mnist5k) measured side by side; bad paths and too few runs refused in
one line."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from app.cli import main

pytestmark = pytest.mark.usefixtures("one_thread")  # tiny models: one torch thread

# 1,000 training images in batches of 500: two steps an epoch; 2-step previews of 4.
TINY = ["--dataset", "mnist5k", "--val-fraction", "0.8", "--batch-size", "500",
        "--device", "cpu", "--threads", "1", "--preview-n", "4", "--preset", "custom",
        "--block-channels", "8", "16", "--norm-groups", "4", "--sample-steps", "2",
        "--no-keep-epoch-checkpoints", "--num-train-timesteps", "50"]
TINY_VAE = ["--vae-channels", "4", "8", "8", "--vae-norm-groups", "4",
            "--latent-channels", "2"]
# A ddpm's bits/dim is its variational bound: T + 1 UNet passes an image (T = 50 here), so 4 images.
COMPARE = ["--n", "12", "--steps", "2", "--threads", "1", "--device", "cpu", "--nll-n", "4"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Return a ddpm run (one epoch) and an ldm run (one epoch of each phase)."""
    root = tmp_path_factory.mktemp("compare")
    ddpm, ldm = root / "pixels", root / "latents"
    assert main(["train", "--model", "ddpm", "--epochs", "1", *TINY, "--out", str(ddpm)]) == 0
    assert main(["train", "--model", "ldm", "--epochs-ae", "1", "--epochs", "1", *TINY,
                 *TINY_VAE, "--out", str(ldm)]) == 0
    return ddpm, ldm


def test_compare_prints_a_row_of_finite_figures_per_run(
        runs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    ddpm, ldm = runs
    capsys.readouterr()
    checkpoint = ldm / "checkpoints" / "last"  # a checkpoint finds its run's metrics too
    assert main(["compare", str(ddpm), str(checkpoint), *COMPARE]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].startswith("sampling: ddim, 2 steps")
    rows = {line.split()[0]: line.split() for line in table[3:5]}
    assert set(rows) == {"pixels", "latents/last"}
    assert rows["pixels"][1] == "ddpm" and rows["latents/last"][1] == "ldm"
    for row in rows.values():
        # s/image, bits/dim, FD, prec, recall, cls score, train s, CPU s, epochs: from the end
        assert all(math.isfinite(float(x)) for x in (row[-9], *row[-7:-1]))
    # The ddpm's variational bound, marked as a bound; an ldm's would be on its latents.
    assert rows["pixels"][-8].startswith("≤") and float(rows["pixels"][-8][1:]) > 0
    assert rows["latents/last"][-8] == "—"
    assert rows["pixels"][-1] == "1" and rows["latents/last"][-1] == "1+1"
    assert "autoencoder" in " ".join(rows["latents/last"])
    assert any("mnist-lenet" in line and "real vs real" in line for line in table)
    assert any(line.startswith("bits/dim (latents/last): not computed") for line in table)


def test_compare_json_splits_weights_and_training_time_by_stage(
        runs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    ddpm, ldm = runs
    capsys.readouterr()
    assert main(["compare", str(ddpm), str(ldm), *COMPARE, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["sampling"] == {"sampler": "ddim", "steps": 2, "n": 12, "batch": 12,
                                  "seed": 0, "threads": 1, "device": "cpu"}
    # mnist5k's default split holds out 500 images; --val-fraction 0.8 held out more.
    assert report["likelihood"] == {"n_held_out": 4, "iwae_k": 64,
                                    "unit": "bits per dimension"}
    pixels, latents = report["runs"]
    assert set(pixels["parameters_by_stage"]) == {"unet"}
    assert set(latents["parameters_by_stage"]) == {"autoencoder", "unet"}
    assert latents["parameters"] == sum(latents["parameters_by_stage"].values())
    for row in (pixels, latents):
        assert row["fd"] > 0 and math.isfinite(row["fd"])
        assert 1.0 <= row["classifier_score"] <= 10.0
        assert {"precision", "recall", "density", "coverage", "class_coverage"} <= set(
            row["sample_quality"])
        assert 0 < row["sample_s_per_image"] < 60
        training = row["training"]
        assert training["threads"] == 1 and training["seconds"] > 0
        assert training["seconds"] == pytest.approx(sum(training["seconds_by_phase"].values()))
        assert 0 < training["cpu_seconds"] < 3 * training["seconds"] + 1  # counted per epoch
    assert latents["bits_per_dim"] is None and latents["bits_per_dim_kind"] is None
    assert latents["bits_per_dim_note"].startswith("not computed: a latent diffusion model")
    assert pixels["bits_per_dim_kind"] == "bound" and pixels["bits_per_dim"] > 0
    assert pixels["bits_per_dim_n"] == 4 and "all T = 50 steps" in pixels["bits_per_dim_note"]
    assert latents["training"]["epochs_by_phase"] == {"autoencoder": 1, "diffusion": 1}
    assert pixels["training"]["epochs_by_phase"] == {"train": 1}
    (ref,) = report["references"]
    assert (ref["dataset"], ref["extractor"], ref["n_real"]) == ("mnist5k", "mnist-lenet", 12)


def test_a_bad_path_is_one_line_before_anything_is_measured(
        runs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ddpm, _ = runs
    capsys.readouterr()
    missing = tmp_path / "missing"
    assert main(["compare", str(ddpm), str(missing), *COMPARE]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [f"error: {missing}: no such file or folder"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["compare", str(empty), str(ddpm), *COMPARE]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"error: {empty}: no checkpoint here")


def test_one_run_is_a_usage_error(runs: tuple[Path, Path]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["compare", str(runs[0])])
    assert exc.value.code == 2


def _untrained(folder: Path, family: str, data: str = "mnist5k") -> Path:
    """Return `folder` holding an untrained tiny `family` checkpoint on `data`."""
    import torch

    from models.checkpoint import save_checkpoint
    from models.config import DataConfig
    from models.registry import build_model, config_class

    small = {"vae": {"latent_dim": 3, "hidden_dims": (32,)},
             "dcgan": {"latent_dim": 8, "g_width": 8, "d_width": 8}}[family]
    torch.manual_seed(0)
    model = build_model(family, config_class(family)(**small))
    return save_checkpoint(folder, model, data=DataConfig(dataset=data))


def test_a_vae_gets_its_bound_and_a_gan_none_with_the_reason(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    vae = _untrained(tmp_path / "vae", "vae")
    gan = _untrained(tmp_path / "gan", "dcgan")
    assert main(["compare", str(vae), str(gan), "--n", "12", "--nll-n", "20",
                 "--iwae-k", "4", "--threads", "1", "--device", "cpu", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    rows = {row["family"]: row for row in report["runs"]}
    assert rows["vae"]["bits_per_dim_kind"] == "bound" and rows["vae"]["iwae_k"] == 4
    assert 0 < rows["vae"]["bits_per_dim"] < 40 and rows["vae"]["bits_per_dim_n"] == 20
    assert "IWAE, k=4" in rows["vae"]["bits_per_dim_note"]
    assert rows["dcgan"]["bits_per_dim"] is None
    assert rows["dcgan"]["bits_per_dim_note"] == "not defined: a GAN has no likelihood"
    assert rows["vae"]["training"] is None  # a bare checkpoint has no run to read


def test_runs_on_different_data_are_refused_in_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    vae = _untrained(tmp_path / "vae", "vae")
    gan = _untrained(tmp_path / "gan", "dcgan", data="digits")
    assert main(["compare", str(vae), str(gan), "--n", "12", "--device", "cpu"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        "error: runs trained on different data cannot be compared: vae (mnist5k), "
        "gan (digits)"]
