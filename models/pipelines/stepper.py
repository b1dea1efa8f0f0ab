"""Latent Lab's own denoising loop over a pipeline's components, one recorded step at a time.

`run_pipeline(opened, request)` yields `PipelineStarted`, then a `PipelineStep` per step
(the latent, the guided ε̂ and x̂0, the unconditional and conditional branches' ε̂ and
x̂0 — guidance decomposed —, each x̂0 as images through the linear map every step and the
full VAE by `PreviewMode`, with what each cost), then `DenoiseFinished` with the final
images. The loop is the pipeline's own `__call__`, step for step (the same prompt
encoding, initial noise from the seed's CPU generator, scheduler calls and UNet batch),
so the final image equals the pipeline's with the same generator; the tests hold it to
1e-4. Stable Diffusion runs every mode (where each starts: sd_start.py), SDXL text to
image; DiT and LDM run in class_loops.py. Call on the thread that owns the pipeline (a
lane's copy: OpenedPipeline.inference_copy).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch

from models.diffusion.events import DenoiseFinished, DenoiseStep
from models.diffusion.schedule import NoiseSchedule
from models.latent_diffusion.recording import PreviewMode
from models.pipelines.attention import CrossAttentionRecorder, prompt_tokens
from models.pipelines.branching import branch_latents, replay_noise
from models.pipelines.class_loops import run_class_pipeline
from models.pipelines.events import PipelineEvent, PipelineStarted, PipelineStep
from models.pipelines.index import CONTROLNET, IMG2IMG, TEXT2IMG
from models.pipelines.opening import OpenedPipeline, quiet
from models.pipelines.preview import PatchPreview, fit_patch_preview
from models.pipelines.prompts import truncation_notice
from models.pipelines.schedulers import (
    FOLDER,
    alpha_bar,
    make_pipeline_scheduler,
    step_kwargs,
)
from models.pipelines.sd_start import (
    DEFAULT_STRENGTH,
    MODES_RUN,
    Start,
    control_start,
    image_start,
    inpaint_start,
    text_start,
)
from models.pipelines.views import PreviewViews, cpu, guidance_parts, ms


@dataclass(frozen=True)
class TextRequest:
    """One run: what diffusers' pipeline call takes, by the same names' meaning (guidance
    ≤ 1 runs without classifier-free guidance, as diffusers does). img2img and inpainting
    take `image` (H×W×3 in [0, 1]) and `strength` (None: diffusers' default, 0.8 and 1.0);
    inpainting takes `mask` too (H×W in [0, 1], 1 where the image is painted anew);
    ControlNet takes its conditioning image as `image`, weighted by `control_scale`."""

    prompt: str = ""
    negative_prompt: str = ""
    seed: int = 0
    steps: int = 25
    guidance: float = 7.5
    sampler: str = FOLDER
    eta: float = 0.0
    n: int = 1
    height: int | None = None
    width: int | None = None
    image: np.ndarray | None = field(default=None, repr=False, compare=False)
    mask: np.ndarray | None = field(default=None, repr=False, compare=False)
    strength: float | None = None
    control_scale: float = 1.0  # ControlNet's conditioning scale; `image` is its condition
    class_label: int | None = None  # DiT's class (its id2label names them)
    # A branch: continue from this recorded x_t (a DenoiseStep's, n×C×h×w) at schedule
    # position `branch_index`, with this request's settings (branching.py).
    branch_from: np.ndarray | None = field(default=None, repr=False, compare=False)
    branch_index: int = 0

    def describe(self) -> dict[str, Any]:
        """Return the request's settings for metadata (the images left out)."""
        skip = ("image", "mask", "branch_from")
        return {k: v for k, v in asdict(self).items() if k not in skip}


def _encode_text(pipe: Any, request: TextRequest, guided: bool, device: Any
                 ) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Return the UNet's encoder states — [negative; prompt] with guidance, as the
    pipeline's call concatenates them — and SDXL's pooled text embeddings likewise (None
    for SD)."""
    if hasattr(pipe, "text_encoder_2"):  # SDXL
        pos, neg, pooled, neg_pooled = pipe.encode_prompt(
            prompt=request.prompt, device=device, num_images_per_prompt=request.n,
            do_classifier_free_guidance=guided,
            negative_prompt=request.negative_prompt or None)
        if guided:
            return torch.cat([neg, pos]), torch.cat([neg_pooled, pooled])
        return pos, pooled
    pos, neg = pipe.encode_prompt(request.prompt, device, request.n, guided,
                                  request.negative_prompt or None)
    return (torch.cat([neg, pos]) if guided else pos), None


def _sdxl_conditioning(pipe: Any, pooled: torch.Tensor, start: Start, guided: bool,
                       n: int) -> dict[str, Any]:
    """Return SDXL's added UNet conditioning: pooled text and the size ids (original and
    target size = the image's, no crop), as StableDiffusionXLPipeline's call makes them."""
    size = (start.height, start.width)
    ids = pipe._get_add_time_ids(size, (0, 0), size, dtype=pooled.dtype,
                                 text_encoder_projection_dim=pipe.text_encoder_2.config
                                 .projection_dim)
    if guided:
        ids = torch.cat([ids, ids])
    ids = ids.to(pooled.device).repeat(n, 1)
    return {"added_cond_kwargs": {"text_embeds": pooled, "time_ids": ids}}


def _notices(pipe: Any, request: TextRequest) -> tuple[str, ...]:
    found = (truncation_notice(pipe.tokenizer, request.prompt),
             truncation_notice(pipe.tokenizer, request.negative_prompt, "negative prompt"))
    return tuple(n for n in found if n)


def run_pipeline(opened: OpenedPipeline, request: TextRequest,
                 preview: PreviewMode | None = None, linear: PatchPreview | None = None,
                 branches: bool = True, attention: bool = False, tiny_decoder: Any = None
                 ) -> Iterator[PipelineEvent]:
    """Yield a recorded run of `opened` (see the module docstring). `linear` is the latent
    → RGB map (fitted here when None, its cost in the start event's meta); `branches`
    adds the guidance branches' x̂0 as images; `attention` each step's per-token
    cross-attention maps (SD and SDXL); `tiny_decoder` (tiny_decoder.py) each x̂0
    through it too (`PixelViews.tiny`). ValueError (one line) for a mode this loop does
    not run yet or a bad request."""
    if opened.family in ("dit", "ldm"):
        yield from run_class_pipeline(opened.pipe, request, preview or PreviewMode(), linear,
                                      branches, opened.mode, tiny_decoder)
        return
    runs = MODES_RUN if opened.family == "sd" else (TEXT2IMG,)
    if opened.mode not in runs:
        raise ValueError(f"the step viewer runs Stable Diffusion {', '.join(MODES_RUN)} and "
                         f"SDXL {TEXT2IMG} so far, not {opened.index.class_name} as "
                         f"{opened.mode}")
    yield from _run_sd(opened.pipe, request, preview or PreviewMode(), linear, branches,
                       opened.mode, attention, tiny_decoder)


def _start(pipe: Any, sched: Any, request: TextRequest, mode_name: str, guided: bool,
           dtype: torch.dtype, generator: torch.Generator) -> Start:
    """Return where the run of `mode_name` starts (sd_start.py)."""
    if mode_name == TEXT2IMG:
        height = request.height or pipe.unet.config.sample_size * pipe.vae_scale_factor
        width = request.width or pipe.unet.config.sample_size * pipe.vae_scale_factor
        if height % 8 or width % 8:
            raise ValueError(f"height and width must be multiples of 8, not {height}×{width}")
        return text_start(pipe, sched, request.n, height, width, dtype, generator)
    if mode_name == CONTROLNET:
        return control_start(pipe, sched, request.image, request.control_scale, request.n,
                             guided, dtype, generator)
    strength = DEFAULT_STRENGTH[mode_name] if request.strength is None else request.strength
    if mode_name == IMG2IMG:
        return image_start(pipe, sched, request.steps, request.image, strength, request.n,
                           dtype, generator)
    return inpaint_start(pipe, sched, request.steps, request.image, request.mask, strength,
                         request.n, guided, dtype, generator)


def _branch(start: Start, sched: Any, request: TextRequest, generator: torch.Generator
            ) -> int:
    """Place `sched` and `generator` at schedule position request.branch_index; return how
    many of the start's steps the branch skips. ValueError outside the run's steps."""
    if not start.start <= request.branch_index < start.total:
        raise ValueError(f"a branch starts at a step in {start.start}..{start.total - 1}, "
                         f"not {request.branch_index}")
    skip = request.branch_index - start.start
    if hasattr(sched, "set_begin_index"):
        sched.set_begin_index(request.branch_index)
    replay_noise(generator, sched, request.eta, skip, start.latents)
    return skip


@torch.inference_mode()
def _run_sd(pipe: Any, request: TextRequest, mode: PreviewMode,
            linear: PatchPreview | None, branches: bool, mode_name: str,
            attention: bool = False, tiny: Any = None) -> Iterator[PipelineEvent]:
    """The Stable Diffusion pipelines' loop, recorded (no IP-Adapter, no guidance rescale,
    no LoRA scale, no clip skip: Latent Lab asks for none of them)."""
    device = pipe._execution_device
    unet, vae = pipe.unet, pipe.vae
    guided = request.guidance > 1 and unet.config.time_cond_proj_dim is None
    with quiet():  # a cut prompt is said once, in the start event's notices
        embeds, pooled = _encode_text(pipe, request, guided, device)
        notices = _notices(pipe, request)
    sched = make_pipeline_scheduler(pipe, request.sampler, request.steps, device)
    schedule = NoiseSchedule(dict(sched.config))
    generator = torch.Generator().manual_seed(request.seed)
    start = _start(pipe, sched, request, mode_name, guided, embeds.dtype, generator)
    latents = start.latents
    added: dict[str, Any] = {}
    if pooled is not None:
        added = _sdxl_conditioning(pipe, pooled, start, guided, request.n)
        if hasattr(sched, "set_begin_index") and request.branch_from is None:
            sched.set_begin_index(0)  # as the SDXL pipeline's call does
    skip = 0
    if request.branch_from is not None:
        skip = _branch(start, sched, request, generator)
        latents = branch_latents(sched, request.branch_from, request.branch_index, latents)
    if linear is None:
        linear = fit_patch_preview(vae, tuple(latents.shape[1:]))  # type: ignore[arg-type]
    meta = {**request.describe(), **start.meta, "mode": mode_name, "height": start.height,
            "width": start.width, "start_index": start.start + skip,
            "scheduler": type(sched).__name__, "preview": mode.describe(),
            "linear_r2": linear.r2, "linear_fit_ms": linear.fit_ms}
    if attention:
        meta["tokens"] = list(prompt_tokens(pipe.tokenizer, request.prompt))
    yield PipelineStarted(notices, start.total, meta)
    recorder = CrossAttentionRecorder(unet, request.n, tuple(latents.shape[-2:]), guided) \
        if attention else None
    try:
        yield from _loop(pipe, request, mode, start, sched, schedule, generator, embeds,
                         added, latents, guided, skip, PreviewViews(vae, linear, tiny), branches,
                         recorder)
    finally:
        if recorder is not None:
            recorder.close()


def _loop(pipe: Any, request: TextRequest, mode: PreviewMode, start: Start, sched: Any,
          schedule: NoiseSchedule, generator: torch.Generator, embeds: torch.Tensor,
          added: dict[str, Any], latents: torch.Tensor, guided: bool, skip: int,
          views: PreviewViews, branches: bool, recorder: CrossAttentionRecorder | None
          ) -> Iterator[PipelineEvent]:
    """The denoising loop of `_run_sd`, from the start's step `skip` on."""
    unet = pipe.unet
    extra = step_kwargs(sched, generator, request.eta)
    total = start.total
    for i, t in enumerate(start.timesteps):
        if i < skip:
            continue
        index = start.start + i
        began = time.perf_counter()
        model_in = torch.cat([latents] * 2) if guided else latents
        model_in = sched.scale_model_input(model_in, t)
        unet_in = start.unet_input(model_in) if start.unet_input is not None else model_in
        more = start.unet_kwargs(model_in, t, embeds) if start.unet_kwargs is not None else {}
        more.update(added)
        out = unet(unet_in, t, encoder_hidden_states=embeds, return_dict=False, **more)[0]
        maps = recorder.take() if recorder is not None else None
        x_t = model_in[:request.n]
        ab = alpha_bar(sched, t).to(x_t.device)
        if guided:
            out_u, out_c = out.chunk(2)
            out = out_u + request.guidance * (out_c - out_u)
        step_ms = ms(began)
        eps, x0 = schedule.split_output(out, x_t, ab)
        decoded = mode.decodes(index, total)
        parts, uncond, cond = guidance_parts(schedule, out_c, out_u, x_t, ab, views,
                                             decoded, branches) if guided else (None,) * 3
        began = time.perf_counter()
        latents = sched.step(out, t, latents, **extra, return_dict=False)[0]
        if start.after_step is not None:
            latents = start.after_step(i, latents)
        step_ms += ms(began)
        record = DenoiseStep(index, total, float(t), float(ab), cpu(x_t), cpu(eps),
                             cpu(x0), parts, views(x0, decoded, step_ms))
        yield PipelineStep(record, uncond, cond, maps)
    yield DenoiseFinished(total, cpu(latents), views(latents, True, 0.0))
