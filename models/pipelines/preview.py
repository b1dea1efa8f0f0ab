"""Seeing a pipeline's latents as images: the full VAE, and a linear latent → RGB map
fitted for this VAE.

A real pipeline's latents are too large for one dense map over the whole latent (SD's
4×64×64 latent to 3×512×512 pixels would be 16k × 786k weights), so the map is local:
each latent pixel's C values → the f×f×3 patch of pixels it decodes to (f the VAE's
scale factor), fitted and scored with models/latent_diffusion/linear_preview.py's ridge
least squares on latent pixels as samples. The pairs come from the VAE itself: seeded
N(0, I) latents in the UNet's frame, decoded once (`fit_patch_preview`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from models.latent_diffusion.linear_preview import LinearPreview, fit_linear_preview

# Each latent pixel is a sample: thousands of rows for C (4) inputs, so the map needs
# next to no ridge (linear_preview's 1e-2 is for a dense map of a few hundred inputs fitted
# on fewer images); a little keeps a constant latent channel solvable.
PATCH_RIDGE = 1e-6


@dataclass(frozen=True)
class PatchPreview:
    """A per-latent-pixel linear map (C → 3×f×f) and what fitting it cost."""

    map: LinearPreview
    factor: int
    scaling_factor: float
    fit_ms: float = 0.0

    @property
    def r2(self) -> float:
        """Return the map's R² on held-out decoded latents."""
        return self.map.r2

    def images(self, latents: np.ndarray) -> np.ndarray:
        """Return B×3×(h·f)×(w·f) float32 images in [0, 1] of B×C×h×w UNet-frame latents."""
        z = np.asarray(latents, np.float32)
        b, c, h, w = z.shape
        rows = z.transpose(0, 2, 3, 1).reshape(b * h * w, c)
        f = self.factor
        out = self.map.apply_scaled(rows, self.scaling_factor)  # (b·h·w)×3×f×f
        return np.ascontiguousarray(out.reshape(b, h, w, 3, f, f).transpose(0, 3, 1, 4, 2, 5)
                                    .reshape(b, 3, h * f, w * f))


def scaling_factor(vae: Any) -> float:
    """Return the factor the UNet's latents are the VAE's latents multiplied by."""
    return float(getattr(vae.config, "scaling_factor", 1.0) or 1.0)


def decode(vae: Any, latents: Any) -> Any:
    """Return images in [0, 1] (a tensor on the latents' device) of UNet-frame `latents`,
    as diffusers' pipelines decode and denormalise them. Call under no_grad."""
    import torch

    config = vae.config
    z = latents.to(vae.dtype)
    mean, std = getattr(config, "latents_mean", None), getattr(config, "latents_std", None)
    if mean is not None and std is not None:  # SDXL's latents_mean/std, when its VAE has them
        shape = (1, len(mean), 1, 1)
        z = z * torch.tensor(std).view(shape).to(z) / scaling_factor(vae) + \
            torch.tensor(mean).view(shape).to(z)
    else:
        z = z / scaling_factor(vae)
        shift = getattr(config, "shift_factor", None)
        if shift:
            z = z + shift
    return (vae.decode(z, return_dict=False)[0] / 2 + 0.5).clamp(0, 1)


def _patches(images: np.ndarray, factor: int) -> np.ndarray:
    """Return the (B·h·w)×3×f×f patches of B×3×(h·f)×(w·f) images, in latent-pixel order."""
    b, c, hh, ww = images.shape
    h, w = hh // factor, ww // factor
    return images.reshape(b, c, h, factor, w, factor).transpose(0, 2, 4, 1, 3, 5) \
        .reshape(b * h * w, c, factor, factor)


def fit_patch_preview(vae: Any, latent_shape: tuple[int, int, int], seed: int = 0,
                      count: int = 2) -> PatchPreview:
    """Return the map fitted on `count` seeded N(0, I) latents of `latent_shape` (C, h, w)
    decoded by `vae`, scored on `count` more. Call on the thread that owns `vae`."""
    import torch

    start = time.perf_counter()
    g = torch.Generator().manual_seed(seed)
    z = torch.randn((2 * count, *latent_shape), generator=g)
    with torch.no_grad():
        device = next(vae.parameters()).device
        images = decode(vae, z.to(device)).float().cpu().numpy()
    factor = images.shape[-1] // latent_shape[-1]
    sf = scaling_factor(vae)
    rows = (z.numpy() / sf).transpose(0, 2, 3, 1).reshape(-1, latent_shape[0])
    patches = _patches(images, factor)
    half = len(rows) // 2
    fitted = fit_linear_preview(rows[:half], patches[:half], rows[half:], patches[half:],
                                ridge=PATCH_RIDGE)
    return PatchPreview(fitted, factor, sf, (time.perf_counter() - start) * 1000.0)
