"""Latent Lab's recorded loop over a Stable Diffusion pipeline: the same image as the
pipeline's own call, with every step's latent, branches and previews recorded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from models.diffusion.events import DenoiseFinished
from models.latent_diffusion.recording import PreviewMode
from models.pipelines.events import PipelineStarted, PipelineStep
from models.pipelines.opening import OpenedPipeline, open_pipeline
from models.pipelines.stepper import TextRequest, run_pipeline

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def opened(sd_folder: Path) -> OpenedPipeline:
    return open_pipeline(sd_folder)


def _run(opened: OpenedPipeline, request: TextRequest, **options: Any
         ) -> tuple[PipelineStarted, list[PipelineStep], DenoiseFinished]:
    events = list(run_pipeline(opened, request, **options))
    assert isinstance(events[0], PipelineStarted) and isinstance(events[-1], DenoiseFinished)
    return events[0], events[1:-1], events[-1]


def _pipeline_images(opened: OpenedPipeline, request: TextRequest) -> np.ndarray:
    """Return the diffusers pipeline's own images for `request` (N×H×W×3)."""
    import diffusers
    import torch

    from models.diffusion.samplers import SAMPLERS

    pipe = opened.pipe
    if request.sampler != "folder":
        spec = SAMPLERS[request.sampler]
        pipe = type(pipe).from_pipe(pipe)
        pipe.scheduler = getattr(diffusers, spec.scheduler).from_config(
            pipe.scheduler.config, **dict(spec.scheduler_options))
    return pipe(request.prompt, negative_prompt=request.negative_prompt or None,
                num_inference_steps=request.steps, guidance_scale=request.guidance,
                eta=request.eta, num_images_per_prompt=request.n,
                generator=torch.Generator().manual_seed(request.seed),
                output_type="np").images


@pytest.mark.parametrize("sampler", ["folder", "ddim", "dpm-solver++", "euler-ancestral",
                                     "ddpm"])
def test_final_image_equals_the_pipelines_own_call(opened: OpenedPipeline,
                                                   sampler: str) -> None:
    request = TextRequest("a red cat", "blurry", seed=3, steps=4, guidance=5.0,
                          sampler=sampler, n=2)
    _, steps, finished = _run(opened, request)
    ours = finished.pixels.decoded.transpose(0, 2, 3, 1)
    theirs = _pipeline_images(opened, request)
    assert ours.shape == theirs.shape == (2, 16, 16, 3)
    assert np.abs(ours - theirs).max() <= 1e-4
    # PNDM, the folder's, runs one UNet pass more than its steps (its warm-up).
    assert len(steps) == (5 if sampler == "folder" else 4)


def test_ddim_with_eta_draws_the_pipelines_noise(opened: OpenedPipeline) -> None:
    request = TextRequest("a dog", seed=5, steps=3, guidance=3.0, sampler="ddim", eta=0.7)
    ours = _run(opened, request)[2].pixels.decoded.transpose(0, 2, 3, 1)
    assert np.abs(ours - _pipeline_images(opened, request)).max() <= 1e-4


def test_guidance_is_recorded_decomposed(opened: OpenedPipeline) -> None:
    g = 4.0
    _, steps, _ = _run(opened, TextRequest("a cat", "a dog", seed=1, steps=3, guidance=g,
                                           sampler="ddim"))
    for rec in steps:
        parts = rec.step.parts
        assert parts is not None
        mixed = parts.eps_uncond + g * (parts.eps_cond - parts.eps_uncond)
        np.testing.assert_allclose(rec.step.eps, mixed, atol=1e-5)
        mixed_x0 = parts.x0_uncond + g * (parts.x0_cond - parts.x0_uncond)
        np.testing.assert_allclose(rec.step.x0, mixed_x0, atol=1e-4)
        assert not np.allclose(parts.x0_cond, parts.x0_uncond)  # the prompts differ
        assert rec.uncond is not None and rec.cond is not None
        assert rec.cond.linear.shape == rec.step.pixels.linear.shape == (1, 3, 16, 16)


def test_guidance_one_runs_the_prompt_alone(opened: OpenedPipeline) -> None:
    request = TextRequest("a cat", seed=2, steps=2, guidance=1.0, sampler="ddim")
    _, steps, finished = _run(opened, request)
    assert all(rec.step.parts is None and rec.cond is None for rec in steps)
    ours = finished.pixels.decoded.transpose(0, 2, 3, 1)
    assert np.abs(ours - _pipeline_images(opened, request)).max() <= 1e-4


def test_each_step_records_the_latent_and_x0_previews_with_their_costs(
        opened: OpenedPipeline) -> None:
    started, steps, finished = _run(opened, TextRequest("a cat", steps=5, sampler="ddim"),
                                    preview=PreviewMode("every", 2))
    assert started.num_steps == 5 and started.meta["scheduler"] == "DDIMScheduler"
    assert [rec.step.index for rec in steps] == list(range(5))
    decoded = [rec.step.pixels.decoded is not None for rec in steps]
    assert decoded == [True, False, True, False, True]  # every 2 steps, and the last
    for rec in steps:
        assert rec.step.x_t.shape == rec.step.eps.shape == rec.step.x0.shape == (1, 4, 8, 8)
        pixels = rec.step.pixels
        assert pixels.linear.shape == (1, 3, 16, 16)
        assert 0.0 <= pixels.linear.min() and pixels.linear.max() <= 1.0
        assert pixels.step_ms > 0 and pixels.linear_ms > 0
        assert (pixels.decode_ms > 0) == (pixels.decoded is not None)
    # The timesteps run down, and ᾱ with them up.
    alpha = [rec.step.alpha_bar for rec in steps]
    assert alpha == sorted(alpha) and 0 < alpha[0] < alpha[-1] < 1
    assert finished.x0.shape == (1, 4, 8, 8)


def test_a_long_prompt_is_cut_with_a_notice_and_sampled_as_the_pipeline_does(
        opened: OpenedPipeline) -> None:
    request = TextRequest("a cat on a mat under a hat", "short", steps=2, guidance=2.0,
                          sampler="ddim")
    started, _, finished = _run(opened, request)
    assert len(started.notices) == 1
    notice = started.notices[0]
    assert "prompt" in notice and "16" in notice and "hat" in notice and "\n" not in notice
    ours = finished.pixels.decoded.transpose(0, 2, 3, 1)
    assert np.abs(ours - _pipeline_images(opened, request)).max() <= 1e-4
    assert _run(opened, TextRequest("a cat", steps=1))[0].notices == ()


def _image_and_mask() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    image = rng.random((16, 16, 3), dtype=np.float32)
    mask = np.zeros((16, 16), np.float32)
    mask[4:12, 2:10] = 1.0
    return image, mask


def _mode_images(opened: OpenedPipeline, request: TextRequest, **inputs: Any) -> np.ndarray:
    import torch

    return opened.pipe(request.prompt, negative_prompt=request.negative_prompt or None,
                       num_inference_steps=request.steps, guidance_scale=request.guidance,
                       num_images_per_prompt=request.n,
                       generator=torch.Generator().manual_seed(request.seed),
                       output_type="np", **inputs).images


@pytest.mark.parametrize("sampler", ["folder", "euler-ancestral"])
def test_img2img_starts_at_the_strengths_step_and_equals_the_pipeline(
        opened: OpenedPipeline, sampler: str) -> None:
    image, _ = _image_and_mask()
    request = TextRequest("a cat", "a dog", seed=4, steps=5, guidance=3.0, sampler=sampler,
                          n=2, image=image, strength=0.6)
    img2img = opened.in_mode("img2img")
    started, steps, finished = _run(img2img, request)
    total = 6 if sampler == "folder" else 5  # PNDM: one warm-up pass more
    assert started.num_steps == total and started.meta["strength"] == 0.6
    first = total - len(steps)
    assert first == started.meta["start_index"] > 0
    assert [rec.step.index for rec in steps] == list(range(first, total))
    ours = finished.pixels.decoded.transpose(0, 2, 3, 1)
    if sampler != "folder":
        import diffusers

        from models.diffusion.samplers import SAMPLERS

        pipe = type(img2img.pipe).from_pipe(img2img.pipe)
        pipe.scheduler = getattr(diffusers, SAMPLERS[sampler].scheduler).from_config(
            pipe.scheduler.config)
        img2img = OpenedPipeline(img2img.index, img2img.mode, pipe)
    theirs = _mode_images(img2img, request, image=image, strength=0.6)
    assert np.abs(ours - theirs).max() <= 1e-4


def test_inpainting_with_the_text_unet_keeps_the_unmasked_image(opened: OpenedPipeline
                                                                ) -> None:
    image, mask = _image_and_mask()
    request = TextRequest("a cat", seed=2, steps=3, guidance=4.0, sampler="ddim",
                          image=image, mask=mask)
    inpaint = opened.in_mode("inpaint")
    _, steps, finished = _run(inpaint, request)
    assert len(steps) == 3  # strength 1.0 by default: every step
    ours = finished.pixels.decoded.transpose(0, 2, 3, 1)
    pipe = type(inpaint.pipe).from_pipe(inpaint.pipe)
    import diffusers

    pipe.scheduler = diffusers.DDIMScheduler.from_config(pipe.scheduler.config)
    theirs = _mode_images(OpenedPipeline(inpaint.index, "inpaint", pipe), request,
                          image=image, mask_image=mask)
    assert np.abs(ours - theirs).max() <= 1e-4


def test_inpainting_pipeline_with_its_nine_channel_unet(tmp_path: Path) -> None:
    pytest.importorskip("transformers")
    from tests.models.pipelines.tiny import tiny_sd

    tiny_sd(tmp_path / "inpaint", cls_name="StableDiffusionInpaintPipeline")
    inpaint = open_pipeline(tmp_path / "inpaint")
    assert inpaint.mode == "inpaint" and inpaint.index.modes == ("inpaint",)
    image, mask = _image_and_mask()
    request = TextRequest("a cat", "a hat", seed=7, steps=3, guidance=2.5, n=2, image=image,
                          mask=mask, strength=0.7)
    _, steps, finished = _run(inpaint, request)
    ours = finished.pixels.decoded.transpose(0, 2, 3, 1)
    theirs = _mode_images(inpaint, request, image=image, mask_image=mask, strength=0.7)
    assert np.abs(ours - theirs).max() <= 1e-4
    assert steps[0].step.x_t.shape == (2, 4, 8, 8)  # the latents, not the UNet's 9 channels


def test_image_modes_need_their_inputs(opened: OpenedPipeline) -> None:
    with pytest.raises(ValueError, match="needs an image"):
        list(run_pipeline(opened.in_mode("img2img"), TextRequest("a cat")))
    image, _ = _image_and_mask()
    with pytest.raises(ValueError, match="needs a mask"):
        list(run_pipeline(opened.in_mode("inpaint"), TextRequest("a cat", image=image)))
    with pytest.raises(ValueError, match="strength"):
        list(run_pipeline(opened.in_mode("img2img"),
                          TextRequest("a cat", image=image, strength=1.5)))


def test_controlnet_from_a_folder_beside_equals_the_pipeline(sd_folder: Path,
                                                             tmp_path: Path) -> None:
    from tests.models.pipelines.tiny import tiny_controlnet

    base = open_pipeline(sd_folder)
    tiny_controlnet(tmp_path / "canny", base.pipe.unet)
    control = open_pipeline(sd_folder, controlnet=tmp_path / "canny")
    assert control.mode == "controlnet"
    assert type(control.pipe).__name__ == "StableDiffusionControlNetPipeline"
    image, _ = _image_and_mask()
    request = TextRequest("a cat", "a dog", seed=6, steps=3, guidance=3.0, sampler="ddim",
                          image=image, control_scale=0.7)
    started, _, finished = _run(control, request)
    assert started.meta["control_scale"] == 0.7
    ours = finished.pixels.decoded.transpose(0, 2, 3, 1)
    import diffusers

    pipe = type(control.pipe).from_pipe(control.pipe)
    pipe.scheduler = diffusers.DDIMScheduler.from_config(pipe.scheduler.config)
    theirs = _mode_images(OpenedPipeline(control.index, "controlnet", pipe), request,
                          image=image[None], controlnet_conditioning_scale=0.7)
    assert np.abs(ours - theirs).max() <= 1e-4
    # The ControlNet steers: without it (scale 0) the image differs.
    off = _run(control, TextRequest(**{**request.describe(), "control_scale": 0.0},
                                    image=image))[2].pixels.decoded
    assert np.abs(off - finished.pixels.decoded).max() > 1e-3


def test_controlnet_mode_needs_a_controlnet_folder(sd_folder: Path) -> None:
    from models.pipelines.errors import PipelineError

    with pytest.raises(PipelineError, match="ControlNet"):
        open_pipeline(sd_folder, "controlnet")


@pytest.mark.parametrize("sampler", ["folder", "ddim"])
def test_sdxl_text_to_image_equals_the_pipeline(tmp_path: Path, sampler: str) -> None:
    pytest.importorskip("transformers")
    from tests.models.pipelines.tiny import tiny_sdxl

    tiny_sdxl(tmp_path / "xl")
    xl = open_pipeline(tmp_path / "xl")
    assert xl.family == "sdxl" and xl.mode == "text2img"
    request = TextRequest("a cat", "a dog", seed=8, steps=3, guidance=4.0, sampler=sampler,
                          n=2)
    _, steps, finished = _run(xl, request, attention=True)
    assert steps[0].step.parts is not None and len(steps) == 3
    assert steps[0].attention is not None and steps[0].attention.shape == (2, 16, 8, 8)
    ours = finished.pixels.decoded.transpose(0, 2, 3, 1)
    assert np.abs(ours - _pipeline_images(xl, request)).max() <= 1e-4
    with pytest.raises(ValueError, match="SDXL"):
        image, _ = _image_and_mask()
        list(run_pipeline(xl.in_mode("img2img"), TextRequest("a cat", image=image)))


@pytest.mark.parametrize("sampler", ["folder", "dpm-solver++"])
def test_dit_class_to_image_equals_the_pipeline(tmp_path: Path, sampler: str) -> None:
    import torch

    from tests.models.pipelines.tiny import tiny_dit

    tiny_dit(tmp_path / "dit")
    dit = open_pipeline(tmp_path / "dit")
    assert dit.mode == "class2img" and dit.family == "dit"
    request = TextRequest(seed=9, steps=3, guidance=4.0, sampler=sampler, n=2, class_label=1)
    _, steps, finished = _run(dit, request)
    parts = steps[0].step.parts
    assert parts is not None and not np.allclose(parts.x0_cond, parts.x0_uncond)
    pipe = dit.pipe
    if sampler != "folder":
        import diffusers

        pipe = type(pipe).from_pipe(pipe)
        pipe.scheduler = diffusers.DPMSolverMultistepScheduler.from_config(
            pipe.scheduler.config, algorithm_type="dpmsolver++")
    theirs = pipe([1, 1], guidance_scale=4.0, num_inference_steps=3,
                  generator=torch.Generator().manual_seed(9), output_type="np").images
    ours = finished.pixels.decoded.transpose(0, 2, 3, 1)
    assert np.abs(ours - theirs).max() <= 1e-4
    with pytest.raises(ValueError, match="class"):
        list(run_pipeline(dit, TextRequest(steps=1)))


def test_ldm_unconditional_equals_the_pipeline(tmp_path: Path) -> None:
    import torch

    from tests.models.pipelines.tiny import tiny_ldm

    tiny_ldm(tmp_path / "ldm")
    ldm = open_pipeline(tmp_path / "ldm")
    assert ldm.mode == "unconditional" and ldm.family == "ldm"
    _, steps, finished = _run(ldm, TextRequest(seed=4, steps=3, n=2))
    assert steps[0].step.parts is None and steps[0].step.x_t.shape == (2, 3, 8, 8)
    theirs = ldm.pipe(batch_size=2, num_inference_steps=3,
                      generator=torch.Generator().manual_seed(4), output_type="np").images
    ours = finished.pixels.decoded.transpose(0, 2, 3, 1)
    assert np.abs(ours - theirs).max() <= 1e-4


@pytest.mark.parametrize(("mode", "sampler", "eta"), [
    ("text2img", "ddim", 0.0), ("text2img", "euler-ancestral", 0.0),
    ("text2img", "ddim", 0.8), ("img2img", "ddpm", 0.0), ("inpaint", "euler-ancestral", 0.0)])
def test_a_branch_with_the_same_settings_ends_on_the_runs_image(
        opened: OpenedPipeline, mode: str, sampler: str, eta: float) -> None:
    from dataclasses import replace

    image, mask = _image_and_mask()
    request = TextRequest("a cat", "a dog", seed=3, steps=6, guidance=3.0, sampler=sampler,
                          eta=eta, n=2, image=None if mode == "text2img" else image,
                          mask=mask if mode == "inpaint" else None)
    run = opened.in_mode(mode) if mode != "text2img" else opened
    _, steps, finished = _run(run, request)
    at = steps[2].step
    branch = replace(request, branch_from=at.x_t, branch_index=at.index)
    started, branch_steps, branch_end = _run(run, branch)
    assert started.meta["start_index"] == at.index
    assert [s.step.index for s in branch_steps] == [s.step.index for s in steps[2:]]
    np.testing.assert_allclose(branch_steps[0].step.x_t, at.x_t, atol=1e-5)
    assert np.abs(branch_end.pixels.decoded - finished.pixels.decoded).max() <= 1e-4
    changed = _run(run, replace(branch, prompt="a hat"))[2]
    assert np.abs(changed.pixels.decoded - finished.pixels.decoded).max() > 1e-3


def test_a_branch_outside_the_run_is_refused(opened: OpenedPipeline) -> None:
    x_t = np.zeros((1, 4, 8, 8), np.float32)
    with pytest.raises(ValueError, match="branch"):
        list(run_pipeline(opened, TextRequest("a cat", steps=3, sampler="ddim",
                                              branch_from=x_t, branch_index=3)))
    with pytest.raises(ValueError, match="latents"):
        list(run_pipeline(opened, TextRequest("a cat", steps=3, sampler="ddim", n=2,
                                              branch_from=x_t, branch_index=1)))


@pytest.mark.parametrize("guidance", [1.0, 3.0])
def test_cross_attention_maps_per_token_are_recorded_without_changing_the_image(
        opened: OpenedPipeline, guidance: float) -> None:
    request = TextRequest("a cat", "a dog", seed=1, steps=3, guidance=guidance,
                          sampler="ddim", n=2)
    started, steps, finished = _run(opened, request, attention=True)
    tokens = started.meta["tokens"]
    assert tokens[:4] == ["<|startoftext|>", "a</w>", "c", "a"] and len(tokens) == 16
    for rec in steps:
        maps = rec.attention
        assert maps is not None and maps.shape == (2, 16, 8, 8)
        np.testing.assert_allclose(maps.sum(axis=1), 1.0, atol=1e-5)  # softmax over T
    assert not np.allclose(steps[0].attention[:, 1], steps[0].attention[:, 2])
    plain = _run(opened, request)[2]
    assert steps[0].attention is not None and _run(opened, request)[1][0].attention is None
    assert np.abs(finished.pixels.decoded - plain.pixels.decoded).max() <= 1e-4
    # The UNet's own processors are back after the run.
    assert not any(type(p).__name__ == "_Recording"
                   for p in opened.pipe.unet.attn_processors.values())


def test_cross_attention_keeps_the_prompts_half_of_a_guided_batch(opened: OpenedPipeline
                                                                   ) -> None:
    # The negative prompt's maps differ from the prompt's: swapping the two must change
    # the recorded maps, and the prompt alone (no guidance) must give the same ones.
    base = TextRequest("a cat", "zzz", seed=1, steps=1, guidance=3.0, sampler="ddim")
    guided = _run(opened, base, attention=True)[1][0].attention
    alone = _run(opened, TextRequest("a cat", seed=1, steps=1, guidance=1.0,
                                     sampler="ddim"), attention=True)[1][0].attention
    swapped = _run(opened, TextRequest("zzz", "a cat", seed=1, steps=1, guidance=3.0,
                                       sampler="ddim"), attention=True)[1][0].attention
    np.testing.assert_allclose(guided, alone, atol=1e-5)
    assert not np.allclose(guided, swapped, atol=1e-3)


@pytest.mark.parametrize("prediction", ["epsilon", "v_prediction"])
def test_each_steps_x0_and_noise_are_what_ddim_steps_with(sd_copy: Path,
                                                          prediction: str) -> None:
    # DDIM at η = 0 moves to √ᾱ'·x̂0 + √(1−ᾱ')·ε̂ (ᾱ' the next step's): the recorded x̂0
    # and ε̂ must be the ones it used, whatever the UNet predicts (ε or v).
    import json

    path = sd_copy / "scheduler" / "scheduler_config.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "prediction_type": prediction}))
    opened = open_pipeline(sd_copy)
    _, steps, finished = _run(opened, TextRequest("a cat", seed=1, steps=4, guidance=3.0,
                                                  sampler="ddim"))
    following = [rec.step.alpha_bar for rec in steps[1:]]
    following.append(float(opened.pipe.scheduler.alphas_cumprod[0]))  # set_alpha_to_one off
    targets = [rec.step.x_t for rec in steps[1:]] + [finished.x0]
    for rec, ab, target in zip(steps, following, targets, strict=True):
        moved = np.sqrt(ab) * rec.step.x0 + np.sqrt(1 - ab) * rec.step.eps
        np.testing.assert_allclose(moved, target, atol=1e-4)


@pytest.mark.parametrize("sampler", ["folder", "euler-ancestral", "dpm-solver++"])
def test_each_steps_alpha_bar_is_its_timesteps(opened: OpenedPipeline, sampler: str) -> None:
    # Euler works in σ-space: its ᾱ comes from σ, and must land on the schedule's ᾱ_t.
    _, steps, _ = _run(opened, TextRequest("a cat", seed=1, steps=4, sampler=sampler))
    table = opened.pipe.scheduler.alphas_cumprod.numpy()
    for rec in steps:
        assert rec.step.timestep == int(rec.step.timestep)
        assert rec.step.alpha_bar == pytest.approx(float(table[int(rec.step.timestep)]),
                                                   abs=1e-5)
