"""Any folder of images, optionally one sub-folder per class."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from models.data.dataset import DataError, ImageDataset
from models.data.decode import (
    MAX_PIXELS,
    ImageTooLarge,
    NotAnImage,
    content_luminance,
    contrasting_background,
    flatten,
    read_image,
)

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".gif", ".tif", ".tiff"}


def _sources(root: Path) -> tuple[tuple[str, ...], list[tuple[Path, int]]]:
    """Return the class names and (file, label) pairs under `root` (label −1: no class)."""
    def visible(p: Path) -> bool:
        return not p.name.startswith(".")  # hidden files, macOS "._x.png" resource forks

    subdirs = sorted(p for p in root.iterdir() if p.is_dir() and visible(p))
    loose = [(f, -1) for f in sorted(root.iterdir()) if f.is_file() and visible(f)]
    sources = [(f, i) for i, d in enumerate(subdirs) for f in sorted(d.rglob("*"))
               if visible(f)]
    images = [(f, label) for f, label in sources + loose
              if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES]
    return tuple(p.name for p in subdirs), images


def load_folder(path: str, channels: int = 3, size: int = 32) -> ImageDataset:
    """Return every readable image under `path`; sub-folders become classes.

    Files with an image suffix that cannot be used (too large, or not decodable) are
    skipped: the dataset's `notes` and one warning say how many and why. Transparent
    pixels are composited over one background for the whole folder (see
    models/data/decode.py). Raises DataError for a missing folder or one with no readable
    image.
    """
    root = Path(path).expanduser()
    if not root.is_dir():
        raise DataError(f"{root}: no such folder")
    class_names, sources = _sources(root)
    planes, labels = [], []
    too_large: list[str] = []
    unreadable: list[str] = []
    for file, label in sources:
        try:
            planes.append(read_image(file, channels, at_least=size, stretch_to=size))
            labels.append(label)
        except ImageTooLarge:
            too_large.append(file.name)
        except NotAnImage:
            unreadable.append(file.name)
    skipped = _skip_summary(len(sources), too_large, unreadable)
    if not planes:
        raise DataError(f"{root}: no readable PNG, JPEG, BMP, WebP, GIF or TIFF images"
                        + (f"; {skipped}" if skipped else ""))
    notes = (f"{root}: {skipped}",) if skipped else ()
    if notes:
        warnings.warn(notes[0], stacklevel=2)
    shares = [content_luminance(p) for p in planes]
    weight = sum(w for _, w in shares)
    background = contrasting_background(sum(lum for lum, _ in shares), weight)
    if weight > 0:
        notes += (f"transparent pixels shown over {'white' if background else 'black'}",)
    images = np.empty((len(planes), channels, size, size), np.uint8)
    for i, p in enumerate(planes):
        images[i] = flatten(p, background).transpose(2, 0, 1)
    # Loose files beside class folders stay unlabelled (−1).
    label_arr = np.asarray(labels, dtype=np.int64)
    return ImageDataset(f"folder:{root}", images, label_arr, class_names, notes)


def _skip_summary(total: int, too_large: list[str], unreadable: list[str]) -> str:
    """Return what was skipped and why, in one line ("" when nothing was)."""
    skipped = too_large + unreadable
    if not skipped:
        return ""
    why = []
    if too_large:
        why.append(f"{len(too_large)} too large: over {MAX_PIXELS // 1_000_000} megapixels")
    if unreadable:
        why.append(f"{len(unreadable)} not readable images")
    shown = ", ".join(skipped[:3]) + (", …" if len(skipped) > 3 else "")
    return f"skipped {len(skipped)} of {total} image files ({'; '.join(why)}): {shown}"
