"""Any folder of images, optionally one sub-folder per class."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from models.data.dataset import DataError, ImageDataset

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp"}


def _read_image(path: Path, channels: int, size: int) -> np.ndarray:
    """Return one image as uint8 C×H×W, converted to `channels` and resized to size×size."""
    with Image.open(path) as img:
        img.load()
        if img.mode in ("RGBA", "LA", "P") and channels == 3:
            img = img.convert("RGBA")
            background = Image.new("RGBA", img.size, (255, 255, 255, 255))
            img = Image.alpha_composite(background, img)
        img = img.convert("L" if channels == 1 else "RGB")
        if img.size != (size, size):
            img = img.resize((size, size), Image.Resampling.BICUBIC)
        arr = np.asarray(img, dtype=np.uint8)
    return arr[None] if channels == 1 else arr.transpose(2, 0, 1)


def load_folder(path: str, channels: int = 3, size: int = 32) -> ImageDataset:
    """Return every readable image under `path`; sub-folders become classes.

    Unreadable files are skipped and counted in one warning. Raises DataError for a
    missing folder or one with no readable image.
    """
    root = Path(path).expanduser()
    if not root.is_dir():
        raise DataError(f"{root}: no such folder")
    subdirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if subdirs:
        class_names = tuple(p.name for p in subdirs)
        sources = [(f, i) for i, d in enumerate(subdirs) for f in sorted(d.rglob("*"))]
        sources += [(f, -1) for f in sorted(root.iterdir()) if f.is_file()]
    else:
        class_names = ()
        sources = [(f, -1) for f in sorted(root.iterdir())]
    images, labels, skipped = [], [], []
    for file, label in sources:
        if not file.is_file() or file.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        try:
            images.append(_read_image(file, channels, size))
            labels.append(label)
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
            skipped.append(file.name)
    if skipped:
        shown = ", ".join(skipped[:3]) + (", …" if len(skipped) > 3 else "")
        warnings.warn(f"{root}: skipped {len(skipped)} unreadable image file(s): {shown}",
                      stacklevel=2)
    if not images:
        raise DataError(f"{root}: no readable PNG, JPEG, BMP or WebP images")
    # Loose files beside class folders stay unlabelled (−1).
    label_arr = np.asarray(labels, dtype=np.int64)
    return ImageDataset(f"folder:{root}", np.stack(images), label_arr, class_names)
