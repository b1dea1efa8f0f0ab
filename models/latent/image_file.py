"""Reading an image file as a model input: the right channels, size and polarity."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from models.data.decode import content_luminance, contrasting_background, flatten, read_image


def image_for_model(path: str | Path, channels: int, size: int,
                    dark_background: bool | None = None) -> np.ndarray:
    """Return the image at `path` as uint8 C×H×W with `channels` channels, `size`² pixels.

    The picture is decoded as every dataset image is (models/data/decode.py: 16-bit,
    palette, transparency over a background contrasting with the drawing), padded to a
    square (not stretched), then resized. When `dark_background` is given and the
    picture's border disagrees (a dark digit drawn on white for MNIST's white-on-black),
    it is inverted. Raises ImageFileError (a DataError and an OSError) naming the file
    when it is too large or not a readable image.
    """
    planes = read_image(path, channels, at_least=size)
    arr = flatten(planes, contrasting_background(*content_luminance(planes)))
    h, w = arr.shape[:2]
    side = max(h, w)
    border = np.concatenate([arr[0], arr[-1], arr[:, 0], arr[:, -1]]).mean()
    fill = round(float(border))
    square = np.full((side, side, arr.shape[2]), fill, np.uint8)
    top, left = (side - h) // 2, (side - w) // 2
    square[top:top + h, left:left + w] = arr
    pil = Image.fromarray(square[..., 0] if square.shape[2] == 1 else square)
    out = np.asarray(pil.resize((size, size), Image.Resampling.LANCZOS), np.uint8)
    if out.ndim == 2:
        out = out[..., None]
    if dark_background is not None and (border < 128) != dark_background:
        out = 255 - out
    return np.ascontiguousarray(out.transpose(2, 0, 1))


def dark_background(images: np.ndarray) -> bool:
    """Return True when N×H×W×C dataset `images` are mostly dark at their borders."""
    edges = np.concatenate([images[:, 0].ravel(), images[:, -1].ravel(),
                            images[:, :, 0].ravel(), images[:, :, -1].ravel()])
    return bool(edges.mean() < 128)
