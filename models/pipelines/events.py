"""What a pipeline run yields, besides models/diffusion/events.py's DenoiseStep and
DenoiseFinished: numbers and CPU numpy arrays, no torch."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from models.diffusion.events import DenoiseFinished, DenoiseStep, PixelViews


@dataclass(frozen=True)
class PipelineStarted:
    """A run's first event: what the user should be told before it runs (a prompt cut to
    the text encoder's length, ...), its step count and how it was asked for (`meta`:
    prompt, seed, sampler, steps, guidance, mode, image size, the map's fit cost)."""

    notices: tuple[str, ...]
    num_steps: int
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PipelineStep:
    """One step: `step` holds the latents (x_t as the UNet saw it, the guided ε̂ and x̂0),
    the guidance branches in latent space (`step.parts`, None without guidance) and the
    guided x̂0 as images (`step.pixels`); `uncond` and `cond` are the branches' x̂0 as
    images, by the same preview rule (None without guidance). `attention` holds the
    prompt's cross-attention maps when asked for (n×T×h×w, T the text positions named by
    the start event's meta["tokens"]; attention.py)."""

    step: DenoiseStep
    uncond: PixelViews | None = None
    cond: PixelViews | None = None
    attention: np.ndarray | None = None


PipelineEvent = PipelineStarted | PipelineStep | DenoiseFinished
