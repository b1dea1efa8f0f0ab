"""Samplers from diffusers' schedulers, run as a generator of per-step events.

`trajectory()` is the one denoising loop: the CLI, previews, the GUI's step viewer and the
benchmark all use it. Each step yields a `DenoiseStep` holding CPU copies of x_t, ε̂ and
x̂0; the loop ends with a `DenoiseFinished` holding the final sample. A guided predictor
returning a `GuidedOutput` also gets each step's conditional and unconditional ε̂ and x̂0
recorded (`DenoiseStep.parts`), from the very passes the guided step used.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np
import torch

from models.diffusion.events import DenoiseEvent, DenoiseFinished, DenoiseStep, GuidanceParts
from models.diffusion.samplers import DIFFUSERS, Departures, is_stochastic, sampler_spec
from models.diffusion.schedule import NoiseSchedule
from models.diffusion.scheduler_config import build, x0_clip

__all__ = ["DenoiseEvent", "DenoiseFinished", "DenoiseStep", "GuidedOutput", "Predictor",
           "denoise",
           "initial_noise", "is_stochastic", "make_scheduler", "pipeline_generator",
           "sample_tensor", "trajectory"]


class GuidedOutput(NamedTuple):
    """A guided UNet output with the conditional and unconditional outputs it was mixed
    from (the same passes), in the model's parameterisation."""

    guided: torch.Tensor
    cond: torch.Tensor
    uncond: torch.Tensor


# UNet output for (x_t, t): the (guided) prediction in the model's parameterisation, or a
# GuidedOutput when the branches are to be recorded too.
Predictor = Callable[[torch.Tensor, torch.Tensor], torch.Tensor | GuidedOutput]


def make_scheduler(name: str, schedule: NoiseSchedule, steps: int,
                   departures: Departures = DIFFUSERS) -> Any:
    """Return a fresh diffusers scheduler for sampler `name`, set to `steps`: the sampler's
    class built from the model's full scheduler config (`from_config`, as diffusers' own
    pipelines swap schedulers), so every key that class understands is honoured."""
    from models.diffusion.imports import diffusers as load_diffusers

    spec = sampler_spec(name)
    if steps < 1:
        raise ValueError("steps must be at least 1")
    cls = getattr(load_diffusers(), spec.scheduler)
    sched = build(cls, schedule.config, **dict(spec.scheduler_options))
    if spec.clip == "emulate" and departures.emulate_clip and schedule.clip is not None \
            and not sched.config.get("thresholding"):
        _clamp_data_prediction(sched, schedule.clip)
    with warnings.catch_warnings():
        # diffusers calls np.array(tensor) in set-up, which NumPy 2 flags; not our concern.
        warnings.filterwarnings("ignore", message="__array__ implementation",
                                category=DeprecationWarning)
        try:
            sched.set_timesteps(steps)
        except ValueError as exc:  # e.g. a timestep_spacing this class does not know
            raise ValueError(f"sampler {name}: {str(exc).strip().splitlines()[0]}") from exc
    return sched


def _clamp_data_prediction(sched: Any, limit: float) -> None:
    """Make DPM-Solver++ clamp its x̂0 to ±`limit` at every step, exactly as DDIM's
    clip_sample does (diffusers' thresholding cannot: it divides by its bound)."""
    if sched.config.algorithm_type not in ("dpmsolver++", "sde-dpmsolver++"):
        raise ValueError(f"cannot clamp x̂0 of {sched.config.algorithm_type}: it predicts ε")
    convert = sched.convert_model_output  # DPM-Solver++'s model output → x̂0, used by step

    def clamped(model_output: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
        return convert(model_output, *args, **kwargs).clamp(-limit, limit)

    sched.convert_model_output = clamped


def step_generator(seed: int, index: int) -> torch.Generator:
    """Return the CPU generator for step `index`'s noise: a function of (seed, index) only,
    so a branch started at step k with the same seed continues exactly as the original."""
    state = np.random.SeedSequence([seed, index]).generate_state(2, dtype=np.uint32)
    return torch.Generator().manual_seed(int(state[0]) << 32 | int(state[1]))


def pipeline_generator(seed: int, shape: tuple[int, ...], sampler: str,
                       earlier: torch.Tensor) -> torch.Generator:
    """Return the one CPU generator DDPMPipeline/DDIMPipeline draw everything from, past
    the initial noise and the noise of the steps at timesteps `earlier` (replayed draws of
    the same shape, so a branch from step k continues exactly as the whole run); for
    stochastic samplers only."""
    spec = sampler_spec(sampler)
    g = torch.Generator().manual_seed(seed)
    draws = 1 + sum(1 for t in earlier if spec.noise_at_t0 or float(t) > 0)
    for _ in range(draws):  # randn_tensor on the CPU is this torch.randn
        torch.randn(shape, generator=g, dtype=torch.float32)
    return g


def initial_noise(shape: tuple[int, ...], seed: int, device: torch.device | str = "cpu"
                  ) -> torch.Tensor:
    """Return the starting noise for `seed`: drawn on the CPU as DDIMPipeline does with a CPU
    generator, so a seed gives the same pictures on every device."""
    from models.diffusion.imports import diffusers

    diffusers()  # resolved once, under a lock
    from diffusers.utils.torch_utils import randn_tensor

    return randn_tensor(shape, generator=torch.Generator().manual_seed(seed),
                        device=torch.device(device), dtype=torch.float32)


def _cpu(t: torch.Tensor) -> np.ndarray:
    return t.detach().to("cpu", torch.float32).numpy().copy()


def _alpha_bar(name: str, sched: Any, t: torch.Tensor) -> torch.Tensor:
    """Return ᾱ of the current step as a 0-d CPU tensor (as DDIMScheduler indexes it)."""
    if sampler_spec(name).sigma_space:
        # Euler works in σ-space and may sit between integer timesteps: ᾱ = 1/(1+σ²).
        sigma = sched.sigmas[sched.step_index].double()
        return (1.0 / (1.0 + sigma**2)).float()
    return sched.alphas_cumprod[int(t)]


def _start_sample(sched: Any, sampler: str, shape: tuple[int, ...], seed: int,
                  noise: torch.Tensor | None, start: torch.Tensor | None, start_index: int,
                  device: torch.device) -> torch.Tensor:
    """Return the scheduler's sample to begin with (see `trajectory` for precedence)."""
    if start is not None:
        sample = torch.as_tensor(start, dtype=torch.float32).to(device)
        if tuple(sample.shape) != tuple(shape):
            raise ValueError(f"start has shape {tuple(sample.shape)}, the model needs {shape}")
        if sampler_spec(sampler).sigma_space:  # from the UNet's x_t back into σ-space
            sample = sample * (sched.sigmas[start_index] ** 2 + 1) ** 0.5
        return sample
    if start_index:
        raise ValueError("start_index needs `start`, the x_t to continue from")
    x = initial_noise(shape, seed, device) if noise is None else \
        torch.as_tensor(noise, dtype=torch.float32).to(device)
    if tuple(x.shape) != tuple(shape):
        raise ValueError(f"noise has shape {tuple(x.shape)}, the model needs {shape}")
    return x * sched.init_noise_sigma


def denoise(predict: Predictor, schedule: NoiseSchedule, shape: tuple[int, ...], *,
            seed: int = 0, sampler: str = "ddim", steps: int = 25, eta: float = 0.0,
            noise: torch.Tensor | None = None, start: torch.Tensor | None = None,
            start_index: int = 0, device: torch.device | str = "cpu",
            departures: Departures = DIFFUSERS
            ) -> Iterator[tuple[int, torch.Tensor, torch.Tensor, torch.Tensor | GuidedOutput,
                                torch.Tensor]]:
    """Yield (index, t, x_t, predictor output, ᾱ_t) per step on the device; return the
    final sample. The sampler steps with the guided output when the predictor gives a
    GuidedOutput.

    The bare loop under `trajectory` and `sample_tensor`; call it under inference_mode.
    """
    device = torch.device(device)
    sched = make_scheduler(sampler, schedule, steps, departures)
    if not 0 <= start_index < steps:
        raise ValueError(f"start_index must be in 0..{steps - 1}")
    if hasattr(sched, "set_begin_index"):
        sched.set_begin_index(start_index)
    sample = _start_sample(sched, sampler, shape, seed, noise, start, start_index, device)
    stochastic = is_stochastic(sampler, eta)
    kwargs: dict[str, Any] = {}
    if sampler_spec(sampler).uses_eta:
        # With x̂0 clipped, our DDIM re-derives ε̂ from the clipped x̂0 (as GLIDE does):
        # otherwise a guided ε̂ (w > 1 extrapolates) points somewhere the clipped x̂0 does
        # not, and a young model's samples fall apart. DDIMPipeline leaves it off.
        alters_x0 = x0_clip(sched.config) is not None or bool(sched.config.get("thresholding"))
        kwargs = {"eta": eta, "use_clipped_model_output": departures.rederive_noise and alters_x0}
    timesteps = sched.timesteps
    stream = None
    if stochastic and not departures.noise_per_step:
        stream = pipeline_generator(seed, shape, sampler, timesteps[:start_index])
    for i in range(start_index, steps):
        t = timesteps[i]
        x_t = sched.scale_model_input(sample, t)
        out = predict(x_t, t)
        yield i, t, x_t, out, _alpha_bar(sampler, sched, t)
        if stochastic:
            kwargs["generator"] = step_generator(seed, i) if stream is None else stream
        guided = out.guided if isinstance(out, GuidedOutput) else out
        sample = sched.step(guided, t, sample, **kwargs).prev_sample
    return sample


@torch.inference_mode()
def trajectory(predict: Predictor, schedule: NoiseSchedule, shape: tuple[int, ...],
               **options: Any) -> Iterator[DenoiseEvent]:
    """Yield a DenoiseStep per step from `start_index`, then DenoiseFinished.

    Options (all keyword): seed, sampler, steps, eta, device, departures (from diffusers'
    own pipelines; none by default), and where to start — in order of precedence `start`
    (an x_t from a recorded DenoiseStep at `start_index`, to branch a trajectory), `noise`
    (initial noise, e.g. interpolated seeds), or fresh noise from `seed`. Stochastic
    samplers draw their noise as diffusers' pipelines do, from one generator seeded with
    `seed` after the initial noise (`pipeline_generator`), or with departures.noise_per_step
    step i's noise from `step_generator(seed, i)`. Multistep DPM-Solver++ restarts its
    history at a branch point (first-order step). A predictor returning GuidedOutput adds
    each step's `parts` (ε̂ and x̂0 of both branches, split as the guided output is).
    """
    loop = denoise(predict, schedule, shape, **options)
    steps = options.get("steps", 25)
    while True:
        try:
            i, t, x_t, out, ab = next(loop)
        except StopIteration as done:
            yield DenoiseFinished(steps, _cpu(done.value))
            return
        parts = None
        if isinstance(out, GuidedOutput):
            out, parts = out.guided, _parts(schedule, out, x_t, ab)
        eps, x0 = schedule.split_output(out, x_t, ab)
        yield DenoiseStep(i, steps, float(t), float(ab), _cpu(x_t), _cpu(eps), _cpu(x0),
                          parts)


def _parts(schedule: NoiseSchedule, out: GuidedOutput, x_t: torch.Tensor,
           ab: torch.Tensor) -> GuidanceParts:
    """Return the CPU ε̂ and x̂0 of both branches (the guided output's own arithmetic, so
    a branch equal to the guided output gives arrays equal bit for bit)."""
    eps_c, x0_c = schedule.split_output(out.cond, x_t, ab)
    eps_u, x0_u = schedule.split_output(out.uncond, x_t, ab)
    return GuidanceParts(_cpu(eps_c), _cpu(x0_c), _cpu(eps_u), _cpu(x0_u))


@torch.inference_mode()
def sample_tensor(predict: Predictor, schedule: NoiseSchedule, shape: tuple[int, ...],
                  **options: Any) -> torch.Tensor:
    """Return the final sample on the device (same options as `trajectory`), recording nothing."""
    loop = denoise(predict, schedule, shape, **options)
    while True:
        try:
            next(loop)
        except StopIteration as done:
            return done.value
