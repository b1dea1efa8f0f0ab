"""The one place converting model tensors (float NCHW in [0, 1]) to display arrays (uint8 HWC)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from models.checkpoint.atomic import atomic_path

if TYPE_CHECKING:
    import torch


def to_uint8_nhwc(images: torch.Tensor | np.ndarray) -> np.ndarray:
    """Return a fresh uint8 N×H×W×C array from float N×C×H×W images in [0, 1]."""
    if not isinstance(images, np.ndarray):
        images = images.detach().float().cpu().numpy()
    arr = np.clip(np.rint(images * 255.0), 0, 255).astype(np.uint8)
    return np.ascontiguousarray(arr.transpose(0, 2, 3, 1))


def make_grid(images: np.ndarray, nrow: int | None = None, padding: int = 2,
              pad_value: int = 40) -> np.ndarray:
    """Return uint8 H×W×C tiling N×H×W×C images row by row (`nrow` per row, default √N)."""
    n, h, w, c = images.shape
    nrow = nrow or max(1, math.ceil(math.sqrt(n)))
    rows = math.ceil(n / nrow)
    grid = np.full((rows * (h + padding) + padding, nrow * (w + padding) + padding, c),
                   pad_value, dtype=np.uint8)
    for i in range(n):
        r, col = divmod(i, nrow)
        y, x = padding + r * (h + padding), padding + col * (w + padding)
        grid[y:y + h, x:x + w] = images[i]
    return grid


def save_png(image: np.ndarray, path: str | Path, compress_level: int = 6) -> Path:
    """Write a uint8 H×W×C (C = 1 or 3) image atomically and return its path.

    `compress_level` 1 writes about twice as fast for files ~10 % larger (epoch previews).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pil = Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image)
    with atomic_path(path) as tmp:
        pil.save(tmp, format="PNG", compress_level=compress_level)
    return path


def save_gif(frames: np.ndarray, path: str | Path, fps: float = 12.0, loop: bool = True,
             bounce: bool = False) -> Path:
    """Write uint8 N×H×W×C frames as an animated GIF atomically; return its path.

    `bounce` appends the frames in reverse (without repeating the ends) for a ping-pong loop.
    Pillow merges identical consecutive frames into one longer frame, keeping the timing.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    seq = list(frames)
    if bounce and len(seq) > 2:
        seq += seq[-2:0:-1]
    pils = [Image.fromarray(f[..., 0] if f.shape[-1] == 1 else f) for f in seq]
    with atomic_path(path) as tmp:
        pils[0].save(tmp, format="GIF", save_all=True, append_images=pils[1:],
                     duration=max(20, round(1000 / fps)), loop=0 if loop else 1,
                     optimize=False, disposal=1)
    return path
