"""`latentlab sample` on a Stable Diffusion pipeline folder: prompt in, image and
trajectory out, refusals in one line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.cli import main

pytest.importorskip("transformers")
pytestmark = pytest.mark.usefixtures("one_thread")


def test_sample_writes_the_image_and_the_trajectory(sd_folder: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from models.diffusion.trajectory_io import Trajectory

    out, traj = tmp_path / "cat.png", tmp_path / "cat.npz"
    assert main(["sample", "--checkpoint", str(sd_folder), "--prompt", "a cat",
                 "--negative-prompt", "a dog", "--steps", "3", "--guidance", "4",
                 "--sampler", "ddim", "--n", "2", "--out", str(out), "--trajectory",
                 str(traj), "--device", "cpu"]) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert result["pipeline"] == "StableDiffusionPipeline" and result["notices"] == []
    assert result["steps"] == 3 and result["guidance"] == 4.0 and result["n"] == 2
    assert captured.err == ""  # diffusers' and transformers' chatter stays quiet
    assert np.asarray(Image.open(out)).shape[-1] == 3
    saved = Trajectory.load(traj)
    assert saved.num_steps == 3 and saved.x_t.shape == (3, 2, 4, 8, 8)
    assert saved.meta["prompt"] == "a cat" and saved.meta["scheduler"] == "DDIMScheduler"
    from models.pipelines.trajectory import load

    whole = load(traj)  # the guidance branches and the prompt's attention maps too
    assert whole.x0_uncond.shape == whole.x0_cond.shape == (3, 2, 4, 8, 8)
    tokens = saved.meta["tokens"]  # the prompt's positions through the end token kept
    assert whole.attention.shape[:2] == (3, tokens.index("<|endoftext|>", 1) + 1)


def test_a_long_prompt_is_noted_on_stderr(sd_folder: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sample", "--checkpoint", str(sd_folder), "--prompt",
                 "a cat on a mat under a hat", "--steps", "1", "--out",
                 str(tmp_path / "x.png"), "--device", "cpu"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "was cut" in err[0]


def test_pickled_weights_are_refused_in_one_line(sd_folder: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    import torch
    from safetensors.torch import load_file

    folder = Path(shutil.copytree(sd_folder, tmp_path / "sd"))
    weights = folder / "vae" / "diffusion_pytorch_model.safetensors"
    torch.save(load_file(str(weights)), folder / "vae" / "diffusion_pytorch_model.bin")
    weights.unlink()
    args = ["sample", "--checkpoint", str(folder), "--prompt", "a cat", "--steps", "1",
            "--out", str(tmp_path / "x.png"), "--device", "cpu"]
    assert main(args) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pickled" in err[0] and "vae" in err[0]
    assert main([*args, "--allow-pickle"]) == 0


def test_prompt_options_are_refused_for_other_checkpoints(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["sample", "--checkpoint", str(tmp_path), "--prompt", "a cat", "--out",
              str(tmp_path / "x.png")])
    assert exit_.value.code == 2


def test_class_option_is_refused_for_a_text_pipeline(sd_folder: Path, tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["sample", "--checkpoint", str(sd_folder), "--class", "1", "--out",
              str(tmp_path / "x.png"), "--device", "cpu"])
    assert exit_.value.code == 2


def _write_pictures(tmp_path: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    image, mask = tmp_path / "in.png", tmp_path / "mask.png"
    Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(image)
    painted = np.zeros((16, 16), np.uint8)
    painted[4:12, 4:12] = 255
    Image.fromarray(painted).save(mask)
    return image, mask


@pytest.mark.parametrize("mode", ["img2img", "inpaint", "controlnet"])
def test_image_modes_from_the_command_line(sd_folder: Path, tmp_path: Path, mode: str,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    image, mask = _write_pictures(tmp_path)
    args = ["sample", "--checkpoint", str(sd_folder), "--prompt", "a cat", "--steps", "4",
            "--out", str(tmp_path / "x.png"), "--device", "cpu", "--image", str(image)]
    if mode == "img2img":
        args += ["--strength", "0.5"]
    elif mode == "inpaint":
        args += ["--mask", str(mask)]
    else:
        from diffusers import UNet2DConditionModel

        from tests.models.pipelines.tiny import tiny_controlnet

        tiny_controlnet(tmp_path / "cn", UNet2DConditionModel.from_pretrained(
            sd_folder / "unet"))
        args += ["--controlnet", str(tmp_path / "cn"), "--control-scale", "0.5"]
    assert main(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["mode"] == mode
    if mode == "img2img":
        assert result["strength"] == 0.5 and result["start_index"] > 0
    if mode == "controlnet":
        assert result["control_scale"] == 0.5


def test_dit_samples_a_class(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.models.pipelines.tiny import tiny_dit

    tiny_dit(tmp_path / "dit")
    base = ["sample", "--checkpoint", str(tmp_path / "dit"), "--steps", "2", "--out",
            str(tmp_path / "x.png"), "--device", "cpu"]
    assert main([*base, "--class", "1"]) == 0
    assert json.loads(capsys.readouterr().out)["class_label"] == 1
    assert main(base) == 1  # DiT needs a class
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "class" in err[0]


def test_mask_without_an_image_is_a_usage_error(sd_folder: Path, tmp_path: Path) -> None:
    _, mask = _write_pictures(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(["sample", "--checkpoint", str(sd_folder), "--mask", str(mask), "--out",
              str(tmp_path / "x.png")])
    assert exit_.value.code == 2
