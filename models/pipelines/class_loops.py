"""The loops of the latent pipelines without text: DiT (class-conditional, a transformer)
and LDM (unconditional, a UNet over a VQ or KL autoencoder's latents), recorded as
stepper.py records Stable Diffusion's.

Each is its pipeline's `__call__` step for step, with one difference: DiTPipeline and
LDMPipeline step their schedulers without a generator (stochastic samplers then draw from
torch's global RNG); here the seed's generator feeds them, so a run repeats. With a
deterministic sampler (DDIM at η = 0, DPM-Solver++, the folders' usual schedulers) the
final image equals the pipeline's with the same seed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import torch

from models.diffusion.events import DenoiseFinished, DenoiseStep
from models.diffusion.schedule import NoiseSchedule
from models.latent_diffusion.recording import PreviewMode
from models.pipelines.events import PipelineEvent, PipelineStarted, PipelineStep
from models.pipelines.preview import PatchPreview, fit_patch_preview
from models.pipelines.schedulers import alpha_bar, make_pipeline_scheduler, step_kwargs
from models.pipelines.views import PreviewViews, cpu, guidance_parts, ms


def _labels(pipe: Any, label: int | None, n: int) -> torch.Tensor:
    """Return n copies of class `label`; ValueError naming the range when it is not one."""
    classes = int(pipe.transformer.config.num_embeds_ada_norm)
    if label is None or not 0 <= int(label) < classes:
        raise ValueError(f"DiT needs a class in 0..{classes - 1}, not {label}")
    return torch.full((n,), int(label), device=pipe._execution_device, dtype=torch.long)


@torch.inference_mode()
def run_class_pipeline(pipe: Any, request: Any, mode: PreviewMode,
                       linear: PatchPreview | None, branches: bool, mode_name: str,
                       tiny: Any = None) -> Iterator[PipelineEvent]:
    """Yield a recorded DiT (`pipe.transformer`) or LDM (`pipe.unet` + `pipe.vqvae`) run of
    `request` (stepper.TextRequest: seed, steps, sampler, eta, n; DiT's `class_label` and
    guidance, its null class the last embedding, as DiTPipeline's 1000 is for ImageNet)."""
    from diffusers.utils.torch_utils import randn_tensor

    if request.branch_from is not None:
        raise ValueError("branching DiT and LDM runs is not supported yet")
    dit = hasattr(pipe, "transformer")
    net = pipe.transformer if dit else pipe.unet
    vae = pipe.vae if dit else pipe.vqvae
    device = pipe._execution_device
    channels, size = int(net.config.in_channels), int(net.config.sample_size)
    guided = dit and request.guidance > 1
    labels = _labels(pipe, request.class_label, request.n) if dit else None
    sched = make_pipeline_scheduler(pipe, request.sampler, request.steps, device)
    schedule = NoiseSchedule(dict(sched.config))
    generator = torch.Generator().manual_seed(request.seed)
    latents = randn_tensor((request.n, channels, size, size), generator=generator,
                           device=device, dtype=net.dtype) * sched.init_noise_sigma
    if linear is None:
        linear = fit_patch_preview(vae, (channels, size, size))
    total = len(sched.timesteps)
    meta = {**request.describe(), "mode": mode_name, "scheduler": type(sched).__name__,
            "preview": mode.describe(), "linear_r2": linear.r2,
            "linear_fit_ms": linear.fit_ms, "start_index": 0}
    yield PipelineStarted((), total, meta)
    if labels is not None and guided:
        null = torch.full_like(labels, int(net.config.num_embeds_ada_norm))
        labels = torch.cat([labels, null])  # DiT's order: conditional first
    extra = step_kwargs(sched, generator, request.eta)
    views = PreviewViews(vae, linear, tiny)
    for i, t in enumerate(sched.timesteps):
        began = time.perf_counter()
        x_t = sched.scale_model_input(latents, t)
        model_in = torch.cat([x_t, x_t]) if guided else x_t
        if dit:
            ts = t[None].to(device) if torch.is_tensor(t) and t.dim() == 0 else t
            out = net(model_in, timestep=ts.expand(len(model_in)),
                      class_labels=labels).sample[:, :channels]  # a learned σ dropped
        else:
            out = net(model_in, t).sample
        if guided:
            out_c, out_u = out.chunk(2)
            out = out_u + request.guidance * (out_c - out_u)
        ab = alpha_bar(sched, t).to(x_t.device)
        step_ms = ms(began)
        eps, x0 = schedule.split_output(out, x_t, ab)
        decoded = mode.decodes(i, total)
        parts, uncond, cond = guidance_parts(schedule, out_c, out_u, x_t, ab, views,
                                             decoded, branches) if guided else (None,) * 3
        began = time.perf_counter()
        latents = sched.step(out, t, latents, **extra, return_dict=False)[0]
        step_ms += ms(began)
        record = DenoiseStep(i, total, float(t), float(ab), cpu(x_t), cpu(eps), cpu(x0),
                             parts, views(x0, decoded, step_ms))
        yield PipelineStep(record, uncond, cond)
    yield DenoiseFinished(total, cpu(latents), views(latents, True, 0.0))
