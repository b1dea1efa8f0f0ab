"""The samplers a pipeline runs with: the scheduler its folder ships, or one of Latent Lab's
four (models/diffusion/samplers.py), built from the folder's scheduler config as
diffusers swaps schedulers (`Class.from_config(config)`)."""

from __future__ import annotations

import inspect
import warnings
from typing import Any

FOLDER = "folder"  # the sampler name of the scheduler the folder ships


def sampler_names() -> tuple[str, ...]:
    """Return the sampler choices for a pipeline: the folder's own first, then ours."""
    from models.diffusion.samplers import SAMPLERS

    return (FOLDER, *SAMPLERS)


def make_pipeline_scheduler(pipe: Any, sampler: str, steps: int, device: Any) -> Any:
    """Return a fresh scheduler for `sampler` set to `steps` on `device` (the pipeline's own
    `retrieve_timesteps` call). ValueError (one line) for an unknown sampler or a config
    the sampler's class refuses."""
    from models.diffusion.imports import scheduler_class
    from models.diffusion.samplers import sampler_spec
    from models.diffusion.scheduler_config import build

    if steps < 1:
        raise ValueError("steps must be at least 1")
    config = dict(pipe.scheduler.config)
    if sampler == FOLDER:
        sched = build(type(pipe.scheduler), config)
    else:
        spec = sampler_spec(sampler)
        cls = scheduler_class(spec.scheduler)
        sched = build(cls, config, **dict(spec.scheduler_options))
    with warnings.catch_warnings():
        # diffusers calls np.array(tensor) in set-up, which NumPy 2 flags; not our concern.
        warnings.filterwarnings("ignore", message="__array__ implementation",
                                category=DeprecationWarning)
        try:
            sched.set_timesteps(steps, device=device)
        except ValueError as exc:
            raise ValueError(f"sampler {sampler}: {str(exc).strip().splitlines()[0]}") from exc
    return sched


def step_kwargs(sched: Any, generator: Any, eta: float) -> dict[str, Any]:
    """Return the extra arguments of `sched.step` the pipelines pass (eta, generator), as
    `prepare_extra_step_kwargs` does: only those its signature takes."""
    params = set(inspect.signature(sched.step).parameters)
    kwargs: dict[str, Any] = {}
    if "eta" in params:
        kwargs["eta"] = eta
    if "generator" in params:
        kwargs["generator"] = generator
    return kwargs


def sigma_space(sched: Any) -> bool:
    """Return True for a scheduler working on x·√(σ²+1) (Euler, LMS): its initial sample
    is scaled by σ_max, and ᾱ comes from its σ."""
    return hasattr(sched, "sigmas") and float(sched.init_noise_sigma) > 1.0


def alpha_bar(sched: Any, t: Any) -> Any:
    """Return ᾱ of the current step as a 0-d CPU float tensor (call after
    scale_model_input, which sets a σ-space scheduler's step index)."""
    if sigma_space(sched):
        sigma = sched.sigmas[sched.step_index].double().cpu()
        return (1.0 / (1.0 + sigma**2)).float()
    return sched.alphas_cumprod[int(t)].cpu()
