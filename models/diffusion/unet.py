"""Building the diffusers UNet2DModel for a config, and moving images into its padded frame."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from models.diffusion.config import DDPMConfig


def unet_config(config: DDPMConfig, num_class_embeds: int | None = None) -> dict[str, Any]:
    """Return the UNet2DModel config dict (what unet/config.json holds) for `config`."""
    p = config.unet_preset()
    down = ["AttnDownBlock2D" if a else "DownBlock2D" for a in p.attention]
    up = ["AttnUpBlock2D" if a else "UpBlock2D" for a in reversed(p.attention)]
    return {
        "sample_size": config.model_size,
        "in_channels": config.channels,
        "out_channels": config.channels,
        "block_out_channels": list(p.block_channels),
        "layers_per_block": p.layers_per_block,
        "down_block_types": down,
        "up_block_types": up,
        "norm_num_groups": p.norm_groups,
        "attention_head_dim": 8,
        "num_class_embeds": num_class_embeds,
    }


def build_unet(cfg: dict[str, Any]) -> torch.nn.Module:
    """Return a freshly initialised UNet2DModel from a config dict."""
    from models.diffusion.imports import diffusers

    return diffusers().UNet2DModel.from_config(cfg)


def pad_amount(image_size: int, model_size: int) -> tuple[int, int]:
    """Return (before, after) pixels added on each side to reach the UNet's size."""
    extra = model_size - image_size
    return extra // 2, extra - extra // 2


def to_model_space(x: torch.Tensor, model_size: int) -> torch.Tensor:
    """Return images in [0, 1] as the UNet's data: scaled to [−1, 1], padded with −1.

    Padding with the black background makes a padded model a true 32 px diffusion model,
    so diffusers' own pipelines sample it unchanged (the border just comes out black).
    """
    x = x * 2.0 - 1.0
    a, b = pad_amount(x.shape[-1], model_size)
    if a or b:
        x = F.pad(x, (a, b, a, b), value=-1.0)
    return x


def to_images(x: torch.Tensor, image_size: int) -> torch.Tensor:
    """Return UNet-frame data (≈[−1, 1]) as images in [0, 1], cropped to `image_size`."""
    a, _ = pad_amount(image_size, x.shape[-1])
    x = x[..., a:a + image_size, a:a + image_size]
    return (x / 2 + 0.5).clamp(0, 1)
