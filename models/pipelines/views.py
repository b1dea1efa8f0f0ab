"""A recorded step's x̂0 as images, timed: the linear map always, the VAE when asked."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch

from models.diffusion.events import GuidanceParts, PixelViews
from models.pipelines.preview import PatchPreview, decode


def cpu(t: torch.Tensor) -> np.ndarray:
    """Return a float32 CPU copy of `t` (safe to hand to another thread)."""
    return t.detach().to("cpu", torch.float32).numpy().copy()


def ms(since: float) -> float:
    """Return the milliseconds since `since` (a perf_counter reading)."""
    return (time.perf_counter() - since) * 1000.0


class PreviewViews:
    """x̂0 latents → PixelViews: the linear map always, the VAE (`vae`, any decoder with
    diffusers' `decode`) when asked, the tiny decoder (`tiny`, an AutoencoderTiny) every
    step when there is one; each timed. Call on the thread owning the decoders."""

    def __init__(self, vae: Any, linear: PatchPreview | None, tiny: Any = None) -> None:
        self.vae, self.linear, self.tiny = vae, linear, tiny

    def __call__(self, x0: torch.Tensor, decoded: bool, step_ms: float) -> PixelViews:
        """Return the views of UNet-frame latents `x0` (`step_ms`: the step's own cost)."""
        start = time.perf_counter()
        linear = self.linear.images(cpu(x0)) if self.linear is not None else None
        linear_ms = ms(start)
        images, decode_ms = None, 0.0
        if decoded:
            start = time.perf_counter()
            images = cpu(decode(self.vae, x0))
            decode_ms = ms(start)
        tiny, tiny_ms = None, 0.0
        if self.tiny is not None:
            start = time.perf_counter()
            tiny = cpu(decode(self.tiny, x0))  # its scaling factor is 1: UNet-frame latents
            tiny_ms = ms(start)
        return PixelViews(linear, images, step_ms, linear_ms, decode_ms, tiny, tiny_ms)


def guidance_parts(schedule: Any, out_c: torch.Tensor, out_u: torch.Tensor,
                   x_t: torch.Tensor, ab: torch.Tensor, views: PreviewViews, decoded: bool,
                   branches: bool) -> tuple[GuidanceParts, PixelViews | None, PixelViews | None]:
    """Return a guided step's branches: GuidanceParts (ε̂ and x̂0 of the conditional and
    unconditional predictions, on the CPU) and, when `branches`, their x̂0 previews
    (unconditional, conditional); else None for each."""
    from models.diffusion.events import GuidanceParts

    eps_c, x0_c = schedule.split_output(out_c, x_t, ab)
    eps_u, x0_u = schedule.split_output(out_u, x_t, ab)
    parts = GuidanceParts(cpu(eps_c), cpu(x0_c), cpu(eps_u), cpu(x0_u))
    if not branches:
        return parts, None, None
    return parts, views(x0_u, decoded, 0.0), views(x0_c, decoded, 0.0)
