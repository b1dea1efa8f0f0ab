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


def read_image(path: str | Path, channels: int, at_least: int | None = None,
               stretch_to: int | None = None) -> np.ndarray:
    """Return the image at `path` as uint8 H×W×channels, or H×W×(channels + 1) with an
    alpha plane last when some pixel is not opaque (see `has_alpha`).

    `at_least` lets a JPEG decode at a reduced scale that still keeps both sides
    ≥ at_least (much faster for large photos). `stretch_to` resizes to that square
    (bicubic; Pillow resizes alpha premultiplied, so compositing afterwards is exact).
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
            img = _to_mode(_upright(img), channels)
            if stretch_to and img.size != (stretch_to, stretch_to):
                img = img.resize((stretch_to, stretch_to), Image.Resampling.BICUBIC)
            arr = np.asarray(img, np.uint8)
            return arr[..., None] if arr.ndim == 2 else arr
    except ImageFileError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow refuses > 2× its own limit before our check sees the size.
        raise ImageTooLarge(f"{path}: {exc}") from None
    except Exception as exc:  # a decoder given hostile bytes can raise anything
        raise NotAnImage(f"{path}: not a readable image ({_reason(exc)})") from None


def has_alpha(planes: np.ndarray) -> bool:
    """Return True when `read_image` planes carry alpha (2 or 4 planes: grey or RGB + α)."""
    return planes.shape[-1] in (2, 4)


def flatten(planes: np.ndarray, background: int) -> np.ndarray:
    """Return uint8 H×W×C: the colour planes composited over grey level `background`."""
    if not has_alpha(planes):
        return planes
    colour, alpha = planes[..., :-1], planes[..., -1:]
    a = alpha.astype(np.float32) / 255.0
    out = colour.astype(np.float32) * a + float(background) * (1.0 - a)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def content_luminance(planes: np.ndarray) -> tuple[float, float]:
    """Return (Σ luminance·alpha, Σ alpha) over the pixels of `planes` (alpha in 0..1).

    Only images with some transparency count (an opaque file returns (0, 0)), so the
    background follows what the transparent images draw.
    """
    if not has_alpha(planes):
        return 0.0, 0.0
    alpha = planes[..., -1].astype(np.float64) / 255.0
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


def _to_mode(img: Image.Image, channels: int) -> Image.Image:
    """Return `img` as L or RGB (channels 1 or 3), or LA or RGBA if some pixel is not
    opaque, from any Pillow mode (see the module docstring)."""
    if img.mode in WIDE_GREY:
        img = Image.fromarray(_wide_to_8bit(np.asarray(img)))
    transparent = img.mode in ALPHA_MODES or "transparency" in img.info
    base = "L" if img.mode in ("1", "L", "LA", "La") else "RGB"
    if img.mode != base + ("A" if transparent else ""):
        img = img.convert(base + "A" if transparent else base)  # applies a palette's tRNS
    if transparent and img.getextrema()[-1][0] == 255:  # an alpha plane that is all opaque
        img, transparent = img.convert(base), False
    target = ("L" if channels == 1 else "RGB") + ("A" if transparent else "")
    return img if img.mode == target else img.convert(target)


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
