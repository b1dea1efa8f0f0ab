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


# Formats Pillow lists as writable that cannot hold our grey or RGB grids: stubs needing a
# handler plug-in, 1-bit or palette-only formats, and IM (deprecated by Pillow).
_UNWRITABLE = frozenset({"BUFR", "GRIB", "HDF5", "WMF", "XBM", "MSP", "PALM", "BLP", "IM"})
# Formats that take RGB but not greyscale ("L").
_RGB_ONLY = frozenset({"QOI"})


def image_format(path: str | Path) -> str:
    """Return the Pillow format name a file extension asks for (`.jpg` → "JPEG").

    Raises ValueError, listing the common choices, for an extension Pillow does not write.
    """
    Image.init()  # registers every plugin's extensions (~0.1 s, once)
    suffix = Path(path).suffix.lower()
    fmt = Image.registered_extensions().get(suffix)
    if fmt is None or fmt not in Image.SAVE or fmt in _UNWRITABLE:
        what = f"{suffix!r} is not an image format Pillow writes" if suffix \
            else "no extension to pick the image format from"
        raise ValueError(f"{Path(path).name}: {what}; use .png, .jpg, .webp, .bmp, .tif, "
                         ".gif or another image extension")
    return fmt


def save_image(image: np.ndarray, path: str | Path) -> Path:
    """Write a uint8 H×W×C (C = 1 or 3) image atomically in the format its extension names.

    Returns the path. Raises ValueError for an extension no writable format has.
    """
    path = Path(path)
    fmt = image_format(path)
    pil = Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image)
    if fmt in _RGB_ONLY and pil.mode == "L":
        pil = pil.convert("RGB")
    if fmt == "JPEG" and pil.mode not in ("RGB", "L"):  # JPEG has no alpha or palette
        pil = pil.convert("RGB")
    path.parent.mkdir(parents=True, exist_ok=True)
    options = {"quality": 95} if fmt in ("JPEG", "WEBP") else {}
    with atomic_path(path) as tmp:
        pil.save(tmp, format=fmt, **options)
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
