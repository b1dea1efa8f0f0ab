"""The command line on GANs and diffusion models: train options, `eval` JSON for any image
model, `sample` with classes, guidance and pipeline folders made by diffusers alone."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from app.cli import main
from models.registry import config_class
from tests.models.helpers import DATA, quick_train, small_mnist

pytestmark = pytest.mark.usefixtures("one_thread")  # tiny models: one torch thread

TINY_UNET = {"preset": "custom", "block_channels": (4, 8), "norm_groups": 4, "sample_steps": 3}




def _train(family: str, folder: Path, **config: object) -> Path:
    from models.training import Trainer

    trainer = Trainer(family, config_class(family)(**config), quick_train(batch_size=32), DATA,
                      folder, dataset=small_mnist(64))
    list(trainer.run())
    return folder


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("gen")
    return {
        "dcgan": _train("dcgan", root / "dcgan", latent_dim=4, g_width=4, d_width=4),
        "ddpm": _train("ddpm", root / "ddpm", **TINY_UNET),
        "cddpm": _train("cddpm", root / "cddpm", **TINY_UNET),
    }


def _json_out(capsys: pytest.CaptureFixture[str]) -> dict:
    out = capsys.readouterr().out
    return json.loads(out)  # exactly one JSON object, or this raises


@pytest.mark.parametrize("family", ["dcgan", "ddpm", "cddpm"])
def test_eval_prints_one_json_object_with_sample_quality(
        family: str, runs: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["eval", "--checkpoint", str(runs[family]), "--device", "cpu",
                 "--n", "30"]) == 0
    result = _json_out(capsys)
    assert result["family"] == family and np.isfinite(result["val"]["loss"])
    quality = result["sample_quality"]
    assert quality["available"] and quality["n_generated"] == 30
    assert quality["classifier"] == "mnist-lenet" and quality["classifier_val_accuracy"] > 0.95
    assert sum(quality["class_histogram"]) == 30 and 0 <= quality["class_coverage"] <= 10
    assert 0 <= quality["precision"] <= 1 and 0 <= quality["recall"] <= 1
    assert 0 <= quality["coverage"] <= 1 and quality["density"] >= 0
    assert quality["fd"] > quality["fd_real_vs_real"] >= 0
    if family == "cddpm":
        assert 0 <= quality["label_accuracy"] <= 1


def test_gan_train_options_reach_the_config(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert main(["train", "--model", "dcgan", "--dataset", "digits", "--epochs", "1",
                 "--latent-dim", "4", "--g-width", "4", "--d-width", "4", "--lr-g", "1e-4",
                 "--beta1-d", "0.3", "--spectral-norm", "--batch-size", "256",
                 "--device", "cpu", "--preview-n", "4", "--out", str(out)]) == 0
    cfg = json.loads((out / "checkpoints" / "last" / "config.json").read_text())["model"]
    assert (cfg["lr_g"], cfg["beta1_d"], cfg["beta1_g"], cfg["spectral_norm"]) == \
        (1e-4, 0.3, 0.5, True)
    with pytest.raises(SystemExit) as exc:  # a WGAN-GP option on a DCGAN
        main(["train", "--model", "dcgan", "--n-critic", "3", "--out", str(tmp_path / "x")])
    assert exc.value.code == 2


def test_sample_a_class_with_guidance(runs: dict[str, Path], tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    grids = {}
    for digit in (3, 5):
        out = tmp_path / f"g{digit}.png"
        assert main(["sample", "--checkpoint", str(runs["cddpm"]), "--n", "4", "--out",
                     str(out), "--class", str(digit), "--guidance", "2", "--sampler", "ddim",
                     "--steps", "3", "--device", "cpu"]) == 0
        printed = _json_out(capsys)
        assert (printed["class"], printed["guidance"], printed["sampler"], printed["steps"]) \
            == (digit, 2.0, "ddim", 3)
        grids[digit] = np.asarray(Image.open(out))
    assert grids[3].shape == grids[5].shape and not np.array_equal(grids[3], grids[5])


@pytest.mark.parametrize("option", [["--guidance", "2"], ["--class", "1"], ["--steps", "0"],
                                    ["--sampler", "dpm-solver++", "--eta", "0.5"]])
def test_conditioning_an_unconditional_model_or_a_bad_sampler_option_is_a_usage_error(
        option: list[str], runs: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["sample", "--checkpoint", str(runs["ddpm"]), "--out", str(tmp_path / "x.png"),
              *option])
    assert exc.value.code == 2


def test_sample_opens_a_pipeline_folder_made_by_diffusers(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from diffusers import DDPMPipeline, DDPMScheduler, UNet2DModel

    from models.diffusion import load_diffusers_pipeline
    from models.images import make_grid, to_uint8_nhwc

    torch.manual_seed(0)
    unet = UNet2DModel(sample_size=8, in_channels=3, out_channels=3, block_out_channels=(4, 8),
                       layers_per_block=1, norm_num_groups=4,
                       down_block_types=("DownBlock2D", "DownBlock2D"),
                       up_block_types=("UpBlock2D", "UpBlock2D"))
    with torch.no_grad():  # a fresh UNet's last conv is zero: make its output non-trivial
        for p in unet.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    folder = tmp_path / "pipe"
    DDPMPipeline(unet=unet, scheduler=DDPMScheduler()).save_pretrained(folder)
    capsys.readouterr()
    out = tmp_path / "grid.png"
    assert main(["sample", "--checkpoint", str(folder), "--n", "4", "--out", str(out),
                 "--sampler", "dpm-solver++", "--steps", "3", "--seed", "2",
                 "--device", "cpu"]) == 0
    assert _json_out(capsys)["checkpoint"] == str(folder)
    model = load_diffusers_pipeline(folder)
    expected = make_grid(to_uint8_nhwc(model.sample(4, 2, sampler="dpm-solver++", steps=3)))
    assert np.array_equal(np.asarray(Image.open(out).convert("RGB")), expected)
