"""The pictures of an epoch end: the preview grid and input-vs-reconstruction pairs."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from models.base import GenerativeModel
from models.images import make_grid, to_uint8_nhwc


class EpochEndInterrupted(Exception):
    """A stop was requested while the epoch's preview was being drawn."""


def epoch_pictures(model: GenerativeModel, n: int, seed: int,
                   pairs: tuple[torch.Tensor, torch.Tensor] | None,
                   stopped: Callable[[], bool]) -> tuple[np.ndarray, np.ndarray | None]:
    """Return (preview grid of `n` samples from `seed`, reconstruction pairs grid or None).

    `pairs` are (images, labels) to reconstruct. Raises EpochEndInterrupted as soon as
    `stopped()` is true between two denoising steps: a diffusion preview takes seconds.
    """
    with torch.no_grad():
        images = None
        for images in model.preview_steps(n, seed):  # noqa: B007 (the last one is kept)
            if stopped():
                raise EpochEndInterrupted
        preview = make_grid(to_uint8_nhwc(images))
        recon = None
        if pairs is not None:
            x, y = pairs
            both = torch.cat([x, model.reconstruct(x, y).clamp(0, 1)])
            recon = make_grid(to_uint8_nhwc(both), nrow=len(x))
    return preview, recon
