"""uint8 H×W×C images for Qt: one conversion to QImage/QPixmap, one side-by-side tiling."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap


def to_qimage(image: np.ndarray) -> QImage:
    """Return a QImage owning a copy of uint8 H×W×C (C = 1 or 3) or H×W `image`."""
    img = np.ascontiguousarray(image[..., 0] if image.ndim == 3 and image.shape[-1] == 1
                               else image)
    h, w = img.shape[:2]
    fmt = QImage.Format.Format_Grayscale8 if img.ndim == 2 else QImage.Format.Format_RGB888
    return QImage(img.data, w, h, img.strides[0], fmt).copy()  # copy: own the pixels


def to_pixmap(image: np.ndarray, scale: int = 3) -> QPixmap:
    """Return a QPixmap of `image` enlarged `scale`× without smoothing (crisp on a projector)."""
    qimg = to_qimage(image)
    return QPixmap.fromImage(qimg).scaled(qimg.width() * scale, qimg.height() * scale,
                                          Qt.AspectRatioMode.KeepAspectRatio,
                                          Qt.TransformationMode.FastTransformation)


def side_by_side(images: list[np.ndarray], gap: int = 2, pad_value: int = 128) -> np.ndarray:
    """Return uint8 H×W×C images joined left to right, `gap` columns of `pad_value` between,
    shorter ones padded at the bottom and grey ones repeated to the widest channel count."""
    h = max(im.shape[0] for im in images)
    c = max(im.shape[2] for im in images)
    parts: list[np.ndarray] = []
    for i, im in enumerate(images):
        if im.shape[2] != c:
            im = np.repeat(im, c // im.shape[2], axis=2)
        if im.shape[0] < h:
            im = np.concatenate([im, np.full((h - im.shape[0], *im.shape[1:]), pad_value,
                                             np.uint8)])
        if i:
            parts.append(np.full((h, gap, c), pad_value, np.uint8))
        parts.append(im)
    return np.ascontiguousarray(np.concatenate(parts, axis=1))
