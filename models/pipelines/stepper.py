"""Latent Lab's own denoising loop over a pipeline's components, one recorded step at a time.

`run_pipeline(opened, request)` yields `PipelineStarted`, then a `PipelineStep` per step
(the latent, the guided ε̂ and x̂0, the unconditional and conditional branches' ε̂ and
x̂0 — guidance decomposed —, each x̂0 as images through the linear map every step and the
full VAE by `PreviewMode`, with what each cost), then `DenoiseFinished` with the final
images. The loop is the pipeline's own `__call__`, step for step (the same prompt
encoding, initial noise from the seed's CPU generator, scheduler calls and UNet batch),
so the final image equals the pipeline's with the same generator; the tests hold it to
1e-4. Call on the thread that owns the pipeline (a lane's copy).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch

from models.diffusion.events import DenoiseFinished, DenoiseStep, GuidanceParts, PixelViews
from models.diffusion.schedule import NoiseSchedule
from models.latent_diffusion.recording import PreviewMode
from models.pipelines.events import PipelineEvent, PipelineStarted, PipelineStep
from models.pipelines.index import TEXT2IMG
from models.pipelines.opening import OpenedPipeline, quiet
from models.pipelines.preview import PatchPreview, decode, fit_patch_preview
from models.pipelines.prompts import truncation_notice
from models.pipelines.schedulers import (
    FOLDER,
    alpha_bar,
    make_pipeline_scheduler,
    step_kwargs,
)


@dataclass(frozen=True)
class TextRequest:
    """One text-to-image run: what diffusers' pipeline call takes, by the same names'
    meaning (guidance ≤ 1 runs without classifier-free guidance, as diffusers does)."""

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


def _cpu(t: torch.Tensor) -> np.ndarray:
    return t.detach().to("cpu", torch.float32).numpy().copy()


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000.0


class _Views:
    """x̂0 latents → PixelViews: the linear map always, the VAE when asked; timed."""

    def __init__(self, vae: Any, linear: PatchPreview | None) -> None:
        self.vae, self.linear = vae, linear

    def __call__(self, x0: torch.Tensor, decoded: bool, step_ms: float) -> PixelViews:
        start = time.perf_counter()
        linear = self.linear.images(_cpu(x0)) if self.linear is not None else None
        linear_ms = _ms(start)
        images, decode_ms = None, 0.0
        if decoded:
            start = time.perf_counter()
            images = _cpu(decode(self.vae, x0))
            decode_ms = _ms(start)
        return PixelViews(linear, images, step_ms, linear_ms, decode_ms)


def _encode_text(pipe: Any, request: TextRequest, guided: bool, device: Any
                 ) -> torch.Tensor:
    """Return the UNet's encoder states: [negative; prompt] with guidance, as the
    pipeline's call concatenates them."""
    pos, neg = pipe.encode_prompt(request.prompt, device, request.n, guided,
                                  request.negative_prompt or None)
    return torch.cat([neg, pos]) if guided else pos


def _notices(pipe: Any, request: TextRequest) -> tuple[str, ...]:
    found = (truncation_notice(pipe.tokenizer, request.prompt),
             truncation_notice(pipe.tokenizer, request.negative_prompt, "negative prompt"))
    return tuple(n for n in found if n)


def run_pipeline(opened: OpenedPipeline, request: TextRequest,
                 preview: PreviewMode | None = None, linear: PatchPreview | None = None,
                 branches: bool = True) -> Iterator[PipelineEvent]:
    """Yield a recorded run of `opened` (see the module docstring). `linear` is the latent
    → RGB map (fitted here when None, its cost in the start event's meta); `branches`
    adds the guidance branches' x̂0 as images. ValueError (one line) for a mode this
    loop does not run yet or a bad request."""
    if opened.family != "sd" or opened.mode != TEXT2IMG:
        raise ValueError(f"the step viewer runs Stable Diffusion text to image so far, "
                         f"not {opened.index.class_name} as {opened.mode}")
    yield from _run_sd_text(opened.pipe, request, preview or PreviewMode(), linear, branches,
                            opened.mode)


@torch.inference_mode()
def _run_sd_text(pipe: Any, request: TextRequest, mode: PreviewMode,
                 linear: PatchPreview | None, branches: bool, mode_name: str
                 ) -> Iterator[PipelineEvent]:
    """StableDiffusionPipeline.__call__'s loop, recorded (no IP-Adapter, no guidance
    rescale, no LoRA scale, no clip skip: Latent Lab asks for none of them)."""
    device = pipe._execution_device
    unet, vae = pipe.unet, pipe.vae
    height = request.height or unet.config.sample_size * pipe.vae_scale_factor
    width = request.width or unet.config.sample_size * pipe.vae_scale_factor
    pipe.check_inputs(request.prompt, height, width, 1, request.negative_prompt or None)
    guided = request.guidance > 1 and unet.config.time_cond_proj_dim is None
    latent_shape = (unet.config.in_channels, height // pipe.vae_scale_factor,
                    width // pipe.vae_scale_factor)
    if linear is None:
        linear = fit_patch_preview(vae, latent_shape)
    with quiet():  # a cut prompt is said once, in the start event's notices
        embeds = _encode_text(pipe, request, guided, device)
        notices = _notices(pipe, request)
    sched = make_pipeline_scheduler(pipe, request.sampler, request.steps, device)
    schedule = NoiseSchedule(dict(sched.config))
    timesteps = sched.timesteps
    meta = {**asdict(request), "mode": mode_name, "height": height, "width": width,
            "scheduler": type(sched).__name__, "preview": mode.describe(),
            "linear_r2": linear.r2, "linear_fit_ms": linear.fit_ms}
    yield PipelineStarted(notices, len(timesteps), meta)

    # The pipeline's prepare_latents: one CPU generator draws the noise, then feeds the
    # scheduler's stochastic steps.
    from diffusers.utils.torch_utils import randn_tensor

    generator = torch.Generator().manual_seed(request.seed)
    latents = randn_tensor((request.n, *latent_shape), generator=generator, device=device,
                           dtype=embeds.dtype) * sched.init_noise_sigma
    extra = step_kwargs(sched, generator, request.eta)
    views = _Views(vae, linear)
    total = len(timesteps)
    for i, t in enumerate(timesteps):
        start = time.perf_counter()
        model_in = torch.cat([latents] * 2) if guided else latents
        model_in = sched.scale_model_input(model_in, t)
        out = unet(model_in, t, encoder_hidden_states=embeds, return_dict=False)[0]
        x_t = model_in[:request.n]
        ab = alpha_bar(sched, t).to(x_t.device)
        if guided:
            out_u, out_c = out.chunk(2)
            out = out_u + request.guidance * (out_c - out_u)
        step_ms = _ms(start)
        eps, x0 = schedule.split_output(out, x_t, ab)
        parts, uncond, cond = None, None, None
        decoded = mode.decodes(i, total)
        if guided:
            eps_c, x0_c = schedule.split_output(out_c, x_t, ab)
            eps_u, x0_u = schedule.split_output(out_u, x_t, ab)
            parts = GuidanceParts(_cpu(eps_c), _cpu(x0_c), _cpu(eps_u), _cpu(x0_u))
            if branches:
                uncond, cond = views(x0_u, decoded, 0.0), views(x0_c, decoded, 0.0)
        start = time.perf_counter()
        latents = sched.step(out, t, latents, **extra, return_dict=False)[0]
        step_ms += _ms(start)
        record = DenoiseStep(i, total, float(t), float(ab), _cpu(x_t), _cpu(eps), _cpu(x0),
                             parts, views(x0, decoded, step_ms))
        yield PipelineStep(record, uncond, cond)
    yield DenoiseFinished(total, _cpu(latents), views(latents, True, 0.0))
