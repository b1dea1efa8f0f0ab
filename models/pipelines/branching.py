"""Branching a pipeline run at step k: continue from a recorded latent, the scheduler and
the seed's generator placed as the whole run had them there.

A branch with unchanged settings ends on the whole run's image for single-step samplers
(DDIM, DDPM, Euler ancestral: the generator replays the noise the skipped steps drew);
multistep samplers (PNDM, DPM-Solver++) restart their history at the branch, as
models/diffusion's trajectories do, so they continue close to, not exactly on, the run.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from models.pipelines.schedulers import sigma_space

# Scheduler classes whose every step draws fresh noise from the generator.
ANCESTRAL = ("DDPMScheduler", "EulerAncestralDiscreteScheduler",
             "KDPM2AncestralDiscreteScheduler", "LCMScheduler")


def draws_noise(sched: Any, eta: float) -> bool:
    """Return True when each step of `sched` draws noise of the latents' shape."""
    name = type(sched).__name__
    if name == "DDIMScheduler":
        return eta > 0
    algorithm = str(sched.config.get("algorithm_type", ""))
    return name in ANCESTRAL or algorithm.startswith("sde")


def branch_latents(sched: Any, x_t: np.ndarray, index: int, like: torch.Tensor
                   ) -> torch.Tensor:
    """Return the scheduler's sample for a recorded x_t (the UNet's view) at schedule
    position `index`: σ-space schedulers hold x_t·√(σ²+1). ValueError on a shape that is
    not the run's."""
    latents = torch.as_tensor(np.asarray(x_t, np.float32)).to(like.device, like.dtype)
    if tuple(latents.shape) != tuple(like.shape):
        raise ValueError(f"the branch's latents are {tuple(latents.shape)}, the run's "
                         f"{tuple(like.shape)}")
    if sigma_space(sched):
        latents = latents * (sched.sigmas[index] ** 2 + 1) ** 0.5
    return latents


def replay_noise(generator: torch.Generator, sched: Any, eta: float, skipped: int,
                 like: torch.Tensor) -> None:
    """Advance `generator` past the noise `skipped` steps would have drawn (CPU draws of
    the latents' shape, as diffusers' randn_tensor makes them with a CPU generator)."""
    if not draws_noise(sched, eta):
        return
    for _ in range(skipped):
        torch.randn(tuple(like.shape), generator=generator, dtype=like.dtype)
