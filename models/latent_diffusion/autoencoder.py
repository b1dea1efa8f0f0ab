"""The first stage: diffusers' AutoencoderKL for a config, its losses, the training set's
latent moments and the scale factor Stable Diffusion derives from them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from models.latent_diffusion.config import LDMConfig

ENCODE_BATCH = 256
SCALE_SEED = 31415  # the draws behind the scale factor: fixed, never the global RNG
LOGVAR_RANGE = (-30.0, 20.0)  # as diffusers' DiagonalGaussianDistribution clamps it


def vae_config(config: LDMConfig) -> dict[str, Any]:
    """Return the AutoencoderKL config dict (what vae/config.json holds) for `config`."""
    levels = len(config.vae_channels)
    return {
        "in_channels": config.channels,
        "out_channels": config.channels,
        "down_block_types": ["DownEncoderBlock2D"] * levels,
        "up_block_types": ["UpDecoderBlock2D"] * levels,
        "block_out_channels": list(config.vae_channels),
        "layers_per_block": config.vae_layers,
        "act_fn": "silu",
        "latent_channels": config.latent_channels,
        "norm_num_groups": config.vae_norm_groups,
        "sample_size": config.frame_size,
        "scaling_factor": 1.0,  # set from the data when phase 2 begins
    }


def build_vae(cfg: dict[str, Any]) -> torch.nn.Module:
    """Return a freshly initialised AutoencoderKL from a config dict."""
    from models.diffusion.imports import diffusers

    return diffusers().AutoencoderKL.from_config(cfg)


def split_moments(moments: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (mean, log-variance) of the posterior whose moments are `moments` (N×2C×h×w,
    as AutoencoderKL's encoder outputs them), the log-variance clamped as diffusers does."""
    mean, logvar = moments.chunk(2, dim=1)
    return mean, logvar.clamp(*LOGVAR_RANGE)


def encode_moments(vae: torch.nn.Module, x_frame: torch.Tensor) -> torch.Tensor:
    """Return the posterior moments of images already in the autoencoder's frame ([−1, 1])."""
    return vae.encode(x_frame).latent_dist.parameters


def draw_latents(moments: torch.Tensor, generator: torch.Generator | None = None
                 ) -> torch.Tensor:
    """Return z = mean + σ·ε drawn from the posterior of `moments` (ε from `generator`, the
    global RNG when None)."""
    mean, logvar = split_moments(moments)
    eps = torch.randn(mean.shape, generator=generator, dtype=mean.dtype).to(mean.device) \
        if generator is not None else torch.randn_like(mean)
    return mean + torch.exp(0.5 * logvar) * eps


def first_stage_losses(vae: torch.nn.Module, x_frame: torch.Tensor, recon_loss: str,
                       kl_weight: float, stochastic: bool = True) -> dict[str, torch.Tensor]:
    """Return batch means of the first stage's terms: loss = recon + kl_weight·kl, recon
    (L1 or squared error summed over each image's pixels) and kl (KL to N(0, I) summed
    over each image's latents), as Stable Diffusion's autoencoder loss sums them (without
    its perceptual and adversarial terms)."""
    moments = encode_moments(vae, x_frame)
    mean, logvar = split_moments(moments)
    z = draw_latents(moments) if stochastic else mean
    out = vae.decode(z).sample
    diff = out - x_frame
    per_pixel = diff.abs() if recon_loss == "l1" else diff.pow(2)
    recon = per_pixel.flatten(1).sum(1).mean()
    kl = (0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar)).flatten(1).sum(1).mean()
    return {"loss": recon + kl_weight * kl, "recon": recon, "kl": kl}


@torch.no_grad()
def dataset_moments(vae: torch.nn.Module, images: torch.Tensor,
                    frame: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
    """Return the posterior moments of every image of `images` (N×C×H×W, float in [0, 1]
    or uint8), encoded in batches; `frame(x)` moves a float batch into the frame."""
    out = []
    for i in range(0, len(images), ENCODE_BATCH):
        x = images[i:i + ENCODE_BATCH]
        x = x.float().div(255.0) if x.dtype == torch.uint8 else x
        out.append(encode_moments(vae, frame(x)))
    if not out:
        raise ValueError("no images to encode")
    return torch.cat(out)


@torch.no_grad()
def scale_factor(moments: torch.Tensor) -> float:
    """Return 1 / std of latents drawn from `moments` (every value pooled), as Stable
    Diffusion sets its VAE's scaling_factor, so that the UNet sees unit-variance data.

    The draws come from a generator of their own: the global RNG, which training draws
    from, is left where it was.
    """
    z = draw_latents(moments, torch.Generator().manual_seed(SCALE_SEED))
    std = float(z.double().std())
    if not std > 0.0 or std != std:
        raise ValueError(f"the training latents have standard deviation {std}: the "
                         "autoencoder collapsed; train phase 1 longer or lower kl_weight")
    return 1.0 / std


def frame_images(x: torch.Tensor, frame_size: int) -> torch.Tensor:
    """Return images in [0, 1] in the autoencoder's frame: [−1, 1], padded with black."""
    from models.diffusion.unet import to_model_space

    return to_model_space(x, frame_size)


def unframe(x: torch.Tensor, image_size: int) -> torch.Tensor:
    """Return the autoencoder's output (≈[−1, 1], padded) as images in [0, 1], cropped."""
    from models.diffusion.unet import to_images

    return to_images(x, image_size)

