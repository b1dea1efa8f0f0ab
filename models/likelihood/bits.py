"""Bits per dimension of a model of any family on 8-bit images, and what kind of number it is.

- A model with `nll_bits_per_dim(x)` (PixelCNN, flows: the shared likelihood interface;
  images in [0, 1], quantised to 8 bits inside) gives its own, `likelihood_kind` "exact" or
  "bound".
- A VAE family gives its importance-weighted bound (iwae.py), kind "bound": the number is
  an upper bound on −log₂ P(x) / D.
- A DDPM gives its variational bound (models/diffusion/vlb.py), kind "bound", over at most
  its `likelihood_max_images` images (T UNet passes each).
- GANs have no likelihood; a latent diffusion model's bound is on its latents, not pixels;
  an autoencoder without a prior defines none. Their value is None with the reason.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import asdict, dataclass
from typing import Any

import torch

from models.likelihood.discretised import describe
from models.likelihood.iwae import iwae_log_likelihood, nats_to_bits_per_dim

BLOCK = 50  # images per step: a job can be stopped between blocks
GAN_REASON = "not defined: a GAN has no likelihood"
AE_REASON = "not defined: an autoencoder without a prior defines no likelihood"
DIFFUSION_REASON = ("not computed: a latent diffusion model's variational bound is on its "
                    "latents, not on the pixels")


@dataclass(frozen=True)
class BitsPerDim:
    """A model's bits per dimension on n 8-bit images (mean), or None with the reason."""

    value: float | None
    kind: str | None  # "exact" | "bound" | None (not defined or not computed)
    note: str
    n_images: int
    k: int | None = None  # IWAE's importance samples

    def to_dict(self) -> dict[str, Any]:
        """Return the result as JSON-ready data."""
        return asdict(self)


def undefined_reason(model: Any) -> str | None:
    """Return why `model` gives no bits per dimension, or None when it gives one."""
    from models.autoencoders.base import AutoencoderBase
    from models.gans.base import GANBase

    if hasattr(model, "nll_bits_per_dim"):
        return None
    if isinstance(model, GANBase):
        return GAN_REASON
    if isinstance(model, AutoencoderBase):
        return None if model.variational else AE_REASON
    if model.capabilities.is_diffusion:
        return DIFFUSION_REASON
    return f"not defined: {model.family} has no likelihood interface"


def bits_per_dim_steps(model: Any, images: torch.Tensor, k: int = 64, seed: int = 0
                       ) -> Generator[None, None, BitsPerDim]:
    """Yield None after each block of images; return the mean BitsPerDim of uint8 `images`
    (N×C×H×W). A conditional VAE's bound is on the marginal P(x), its classes uniform."""
    reason = undefined_reason(model)
    if reason is not None:
        return BitsPerDim(None, None, reason, 0)
    if len(images) == 0:
        return BitsPerDim(None, None, "not measured: no held-out image to measure it on", 0)
    dims = int(images[0].numel())
    total, n = 0.0, 0
    own = hasattr(model, "nll_bits_per_dim")
    images = images[:getattr(model, "likelihood_max_images", None)]
    for i, start in enumerate(range(0, len(images), BLOCK)):
        x = images[start:start + BLOCK]
        with torch.no_grad():
            if own:
                bits = model.nll_bits_per_dim(x.to(model.device).float() / 255.0).cpu()
            else:
                bits = nats_to_bits_per_dim(_vae_log_likelihood(model, x, k, seed + i), dims)
        total += float(bits.double().sum())
        n += len(x)
        yield None
    value = total / n if n else None
    if own:
        kind = str(getattr(model, "likelihood_kind", "exact"))
        note = (f"{kind}: the model's own negative log-likelihood of 8-bit images, "
                f"{n} held-out images" if kind == "exact" else
                f"bound: the model's own upper bound on the 8-bit negative log-likelihood, "
                f"{n} held-out images")
        if hasattr(model, "likelihood_note"):
            note = f"{note}; {model.likelihood_note()}"
        return BitsPerDim(value, kind, note, n)
    cfg = model.config
    what = ("the marginal P(x), classes uniform" if model.capabilities.conditional
            else "P(x)")
    note = (f"bound: importance-weighted bound (IWAE, k={k}) on {what}: an upper bound on "
            f"the true bits/dim, {n} held-out images; {describe(cfg.likelihood, cfg.obs_std)}")
    return BitsPerDim(value, "bound", note, n, k)


def _vae_log_likelihood(model: Any, x: torch.Tensor, k: int, seed: int) -> torch.Tensor:
    """Return the IWAE bound (nats) of each image; a conditional VAE's marginal bound
    log Σ_y (1/K) exp IWAE(x|y), which is again a lower bound on log P(x) (Jensen, on the
    unbiased estimate (1/K) Σ_y mean_i wᵢ(y))."""
    if not model.capabilities.conditional:
        return iwae_log_likelihood(model, x, k, seed)
    classes = model.config.num_classes
    per_class = [iwae_log_likelihood(model, x, k, seed, torch.full((len(x),), c))
                 for c in range(classes)]
    return torch.logsumexp(torch.stack(per_class), 0) - math.log(classes)


def bits_per_dim(model: Any, images: torch.Tensor, k: int = 64, seed: int = 0) -> BitsPerDim:
    """Return `bits_per_dim_steps` run to its end."""
    steps = bits_per_dim_steps(model, images, k, seed)
    while True:
        try:
            next(steps)
        except StopIteration as end:
            return end.value
