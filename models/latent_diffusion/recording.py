"""Recording a latent diffusion trajectory with its pixel previews (the step viewer's and
bench/ldm.py's one entry point; no Qt).

`record_trajectory(model, n, seed, preview=PreviewMode(...), **options)` runs the DDPM's
own `trajectory()` in latent space and adds to each step x̂0 as images (`PixelViews`):
through the linear latent → pixel map at every step, through the real decoder at the
steps the preview mode chooses (every step, every N steps, or none), the final latents
always decoded. Each step carries its measured costs.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from models.diffusion.events import DenoiseEvent, DenoiseFinished, DenoiseStep, PixelViews

if TYPE_CHECKING:
    import torch

    from models.latent_diffusion.model import LDM

MODES = ("decoder", "every", "linear")
MODE_LABELS = {"decoder": "Decoder every step", "every": "Decoder every N steps",
               "linear": "Linear map only"}


@dataclass(frozen=True)
class PreviewMode:
    """Which steps' x̂0 go through the real decoder: "decoder" (every step), "every"
    (steps 0, N, 2N, … and the last) or "linear" (none; the final sample still is).
    The linear map runs at every step in every mode: it costs a small matrix product."""

    kind: str = "linear"
    every: int = 1

    def __post_init__(self) -> None:
        if self.kind not in MODES:
            raise ValueError(f"preview mode must be one of {', '.join(MODES)}, not {self.kind!r}")
        if self.every < 1:
            raise ValueError("every must be at least 1")

    def decodes(self, index: int, num_steps: int) -> bool:
        """Return True when step `index` (0-based, of `num_steps`) is decoded."""
        if self.kind == "decoder":
            return True
        if self.kind == "linear":
            return False
        return index % self.every == 0 or index == num_steps - 1

    def describe(self) -> str:
        """Return the mode in words ("decoder every 5 steps")."""
        if self.kind == "every":
            return f"decoder every {self.every} steps" if self.every > 1 else "decoder every step"
        return "decoder every step" if self.kind == "decoder" else "linear map only"


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000.0


def _linear(model: LDM, x0: torch.Tensor) -> np.ndarray | None:
    """Return the linear map's images of UNet-frame latents (None: no map fitted)."""
    import torch

    if not float(model.preview_fitted) > 0:
        return None
    with torch.no_grad():
        z = x0.to(model.device, torch.float32).flatten(1) / model.latent_scale
        out = torch.addmm(model.preview_bias, z, model.preview_weight).clamp_(0.0, 1.0)
    cfg = model.config
    return out.reshape(len(z), cfg.channels, cfg.image_size, cfg.image_size).cpu().numpy()


def _views(model: LDM, latents: np.ndarray, decode: bool, step_ms: float) -> PixelViews:
    """Return the pixel views of UNet-frame `latents`, timing each."""
    import torch

    x = torch.from_numpy(latents)
    start = time.perf_counter()
    linear = _linear(model, x)
    linear_ms = _ms(start)
    decoded, decode_ms = None, 0.0
    if decode:
        start = time.perf_counter()
        decoded = model.to_images(x).cpu().numpy().copy()
        decode_ms = _ms(start)
    return PixelViews(linear, decoded, step_ms, linear_ms, decode_ms)


def record_trajectory(model: LDM, n: int, seed: int, preview: PreviewMode | None = None,
                      **options: Any) -> Iterator[DenoiseEvent]:
    """Yield model.trajectory(n, seed, **options)'s events (same options: sampler, steps,
    eta, labels, guidance, start/start_index, noise, departures), each DenoiseStep and the
    DenoiseFinished with `pixels` set per `preview` (default: linear map only).

    Call on the thread that owns `model` (a lane's copy); it runs under inference mode
    through trajectory(), the previews under no_grad.
    """
    mode = preview or PreviewMode()
    events = model.trajectory(n, seed, **options)
    try:
        while True:
            start = time.perf_counter()
            try:
                event = next(events)
            except StopIteration:
                return
            step_ms = _ms(start)
            if isinstance(event, DenoiseStep):
                views = _views(model, event.x0, mode.decodes(event.index, event.num_steps),
                               step_ms)
            else:
                views = _views(model, event.x0, True, 0.0)
            yield replace(event, pixels=views)
    finally:
        events.close()


def is_latent(model: Any) -> bool:
    """Return True for a latent diffusion model (it has a first stage to decode with)."""
    return hasattr(model, "vae") and hasattr(model, "preview_fitted")


__all__ = ["MODES", "MODE_LABELS", "DenoiseFinished", "PreviewMode", "is_latent",
           "record_trajectory"]
