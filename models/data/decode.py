"""Decoding one image file into 8-bit pixels: the one reader folders and dropped files share.

What it decides, so every caller agrees:
- Size: files over MAX_PIXELS (64 megapixels) are refused from their header, before any
  pixel is decoded (a 20000×20000 PNG of a few KB would take gigabytes).
- 16-bit grey (Pillow modes I;16, I;16B, I;16L, and I holding 0..65535) is scaled by
  1/257, so 65535 is white and 32768 is mid-grey. A fixed scale, not the file's own
  maximum: a dataset keeps the relative brightness of its files (a 12-bit camera image
  therefore looks dark, as in most viewers). Wider 32-bit integers and floats outside 0..1
  are stretched from their minimum to their maximum. 16-bit colour PNGs Pillow already
  reduces to their high byte.
- Palette, 1-bit, CMYK, YCbCr, LAB and HSV files become grey or RGB; EXIF rotation is
  applied.
- Transparency (an alpha channel, or a palette or colour marked transparent) is kept
  here as a separate alpha plane: `flatten` composites it over a background the caller
  chooses. `contrasting_background` is the rule the loaders use: white behind dark
  content, black behind light content. So a white digit on a transparent background
  becomes MNIST-like (white on black) and black ink on a transparent background stays
  visible (black on white) instead of vanishing into the background.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from models.data.dataset import DataError

MAX_PIXELS = 64_000_000  # a 50-megapixel photo loads; a decompression bomb does not
WIDE_GREY = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")
ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")


class ImageFileError(DataError, OSError):
    """An image file cannot be used; the one-line message names it.

    Also an OSError, so callers that caught Pillow's OSError keep catching it.
    """


class ImageTooLarge(ImageFileError):
    """The file's header claims more than MAX_PIXELS pixels (a possible decompression bomb)."""


class NotAnImage(ImageFileError):
    """The file is not an image Pillow can decode (wrong contents, truncated, odd mode)."""


def read_image(path: str | Path, channels: int, at_least: int | None = None) -> np.ndarray:
    """Return the image at `path` as uint8 H×W×(channels + 1): the last plane is alpha.

    Alpha is 255 everywhere for opaque files. `at_least` lets a JPEG decode at a reduced
    scale that still keeps both sides ≥ at_least (much faster for large photos).
    Raises ImageTooLarge or NotAnImage naming the file.
    """
    path = Path(path)
    if not path.is_file():  # a FIFO or device would block Image.open
        what = "no such file" if not path.exists() else "not a regular file"
        raise NotAnImage(f"{path}: {what}")
    try:
        with Image.open(path) as img:
            if img.width * img.height > MAX_PIXELS:
                raise _too_large(path, img.width, img.height)
            if at_least and img.format == "JPEG":
                img.draft(None, (at_least, at_least))
            img.load()
            img = _upright(img)
            return _to_planes(img, channels)
    except ImageFileError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow refuses > 2× its own limit before our check sees the size.
        raise ImageTooLarge(f"{path}: {exc}") from None
    except Exception as exc:  # a decoder given hostile bytes can raise anything
        raise NotAnImage(f"{path}: not a readable image ({_reason(exc)})") from None


def flatten(planes: np.ndarray, background: int) -> np.ndarray:
    """Return uint8 H×W×C: the colour planes composited over grey level `background`."""
    colour, alpha = planes[..., :-1], planes[..., -1:]
    if alpha.min() == 255:
        return np.ascontiguousarray(colour)
    a = alpha.astype(np.float32) / 255.0
    out = colour.astype(np.float32) * a + float(background) * (1.0 - a)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def content_luminance(planes: np.ndarray) -> tuple[float, float]:
    """Return (Σ luminance·alpha, Σ alpha) over the pixels of `planes` (alpha in 0..1).

    Only images with some transparency count (an opaque file returns (0, 0)), so the
    background follows what the transparent images draw.
    """
    alpha = planes[..., -1].astype(np.float64) / 255.0
    if alpha.min() == 1.0:
        return 0.0, 0.0
    colour = planes[..., :-1].astype(np.float64)
    lum = colour[..., 0] if colour.shape[-1] == 1 else colour @ np.array([0.299, 0.587, 0.114])
    return float((lum * alpha).sum()), float(alpha.sum())


def contrasting_background(weighted_luminance: float, weight: float) -> int:
    """Return 255 (white) behind content darker than mid-grey, else 0 (black)."""
    if weight <= 0:
        return 0
    return 255 if weighted_luminance / weight < 127.5 else 0


def _too_large(path: Path, width: int, height: int) -> ImageTooLarge:
    return ImageTooLarge(f"{path}: {width}×{height} pixels is over the "
                         f"{MAX_PIXELS // 1_000_000}-megapixel limit (a possible "
                         f"decompression bomb); scale it down first")


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:120] if text else type(exc).__name__


def _upright(img: Image.Image) -> Image.Image:
    """Return `img` turned as its EXIF orientation says (unchanged if the EXIF is bad)."""
    try:
        return ImageOps.exif_transpose(img)
    except Exception:  # a malformed EXIF block must not lose the picture
        return img


def _to_planes(img: Image.Image, channels: int) -> np.ndarray:
    """Return uint8 H×W×(channels + 1) from any Pillow mode (see the module docstring)."""
    if img.mode in WIDE_GREY:
        colour = _wide_to_8bit(np.asarray(img))[..., None]
        alpha = np.full_like(colour, 255)
    else:
        transparent = img.mode in ALPHA_MODES or "transparency" in img.info
        base = "L" if img.mode in ("1", "L", "LA", "La") else "RGB"
        img = img.convert(base + "A" if transparent else base)  # applies a palette's tRNS
        if channels == 1 and img.mode != base:
            img = img.convert("LA")
        elif channels == 1:
            img = img.convert("L")
        arr = np.asarray(img, np.uint8)
        arr = arr[..., None] if arr.ndim == 2 else arr
        if transparent:
            colour, alpha = arr[..., :-1], arr[..., -1:]
        else:
            colour, alpha = arr, np.full((*arr.shape[:2], 1), 255, np.uint8)
    if channels == 3 and colour.shape[-1] == 1:
        colour = np.repeat(colour, 3, axis=-1)
    return np.ascontiguousarray(np.concatenate([colour, alpha], axis=-1))


def _wide_to_8bit(values: np.ndarray) -> np.ndarray:
    """Return uint8 grey from 16/32-bit integer or float pixels (scaling rule above)."""
    v = values.astype(np.float64)
    v = np.nan_to_num(v, nan=0.0, posinf=0.0, neginf=0.0)
    lo, hi = float(v.min()), float(v.max())
    if values.dtype.kind == "f":
        if lo < 0.0 or hi > 1.0:
            v = (v - lo) / (hi - lo or 1.0)
        v = v * 255.0
    elif lo >= 0 and hi <= 65535:
        v = v / 257.0
    else:
        v = (v - lo) * 255.0 / (hi - lo or 1.0)
    return np.clip(np.rint(v), 0, 255).astype(np.uint8)
