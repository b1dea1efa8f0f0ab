"""A StyleGAN's map has a second space: the w = mapping(z) of the very samples drawn in Z,
so the latent map can show W's structure beside Z's (the same points, labels and images).
"""

from __future__ import annotations

from typing import Any

import numpy as np

STYLE_FAMILIES = ("stylegan",)


def has_style_space(family: str) -> bool:
    """Return True when the family's map can be drawn in W as well as in Z."""
    return family in STYLE_FAMILIES


def mapped_latents(net: Any, z: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """Return the N×w_dim float32 w = mapping(z) (untruncated) of N×z_dim `z`, computed
    with `net` (a StyleGAN: its sampling generator's mapping network); a fresh array."""
    import torch

    from models.stylegan import wspace

    z_all = torch.from_numpy(np.ascontiguousarray(z, dtype=np.float32))
    parts = [wspace.mapping(net, z_all[s:s + batch_size]).numpy()
             for s in range(0, len(z_all), batch_size)]
    return np.ascontiguousarray(np.concatenate(parts), dtype=np.float32)
