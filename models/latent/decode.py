"""Decoding map positions' latents to display images."""

from __future__ import annotations

import numpy as np
import torch

from models.base import GenerativeModel
from models.images import to_uint8_nhwc


@torch.no_grad()
def decode_latents(model: GenerativeModel, latents: np.ndarray,
                   labels: np.ndarray | None = None, batch_size: int = 256) -> np.ndarray:
    """Return uint8 N×H×W×C images decoded from N×D float latents (fresh array).

    `labels` (N ints) condition a conditional model; otherwise they are ignored.
    """
    caps = model.capabilities
    z_all = torch.from_numpy(np.ascontiguousarray(latents, dtype=np.float32))
    out = []
    for start in range(0, len(z_all), batch_size):
        z = z_all[start:start + batch_size].to(model.device)
        z = z.reshape(len(z), *caps.latent_shape)
        y = None
        if caps.conditional:
            lab = np.zeros(len(z), np.int64) if labels is None else labels[start:start + len(z)]
            y = torch.from_numpy(np.maximum(np.asarray(lab, np.int64), 0)).to(model.device)
        out.append(to_uint8_nhwc(model.decode(z, y)))
    return np.concatenate(out) if out else np.zeros((0, 1, 1, 1), np.uint8)
