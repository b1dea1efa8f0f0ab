"""Tiny StyleGAN models for the tests (a few thousand weights, milliseconds a step)."""

from __future__ import annotations

from typing import Any

import torch

from models.registry import build_model, config_class
from models.stylegan.model import StyleGAN

TINY: dict[str, Any] = {"z_dim": 8, "w_dim": 8, "mapping_layers": 2,
                        "g_channels": (8, 8, 4, 4), "d_channels": (4, 4, 8)}


def tiny_stylegan(seed: int = 0, **changes: Any) -> StyleGAN:
    """Return a tiny stylegan built from `seed`, with noise strengths and w̄ made nonzero
    (a fresh model has zero noise strength and w̄ = 0, which would hide what noise and
    truncation do)."""
    torch.manual_seed(seed)
    model = build_model("stylegan", config_class("stylegan")(**{**TINY, **changes}))
    with torch.no_grad():
        for g in (model.generator, model.generator_ema):
            for layer in g.synthesis.layers:
                layer.noise_strength.fill_(0.5)
            g.mapping.w_avg.copy_(torch.linspace(-0.5, 0.5, g.mapping.w_avg.numel()))
    return model.eval()
