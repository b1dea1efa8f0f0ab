"""Pictures composed of uint8 H×W×C tiles (numpy only, any thread): rows, grids with
source images along the top and left, and a heat map of a float array."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

GAP_VALUE = 43  # the views' background (#2b2b2b): gaps read as space, not as a frame
# The smallest std (in [0, 1] pixel units) drawn at full heat: a trained model's noise
# moves pixels by a few hundredths, an untrained one's by nothing, which stays black.
HEAT_FLOOR = 0.02


def as_rgb(image: np.ndarray, channels: int) -> np.ndarray:
    """Return `image` (H×W×C) with `channels` channels (grey repeated to colour)."""
    return image if image.shape[2] == channels else np.repeat(image, channels, axis=2)


def enlarge(image: np.ndarray, factor: int) -> np.ndarray:
    """Return H×W×C `image` enlarged `factor`× by repeating pixels."""
    return image.repeat(factor, axis=0).repeat(factor, axis=1)


def compose(images: Sequence[np.ndarray], gap: int = 4) -> np.ndarray:
    """Return the images side by side, centred vertically, `gap` background columns apart."""
    c = max(im.shape[2] for im in images)
    h = max(im.shape[0] for im in images)
    w = sum(im.shape[1] for im in images) + gap * (len(images) - 1)
    out = np.full((h, w, c), GAP_VALUE, np.uint8)
    x = 0
    for im in images:
        y = (h - im.shape[0]) // 2
        out[y:y + im.shape[0], x:x + im.shape[1]] = as_rgb(im, c)
        x += im.shape[1] + gap
    return out


def spans(images: Sequence[np.ndarray], gap: int = 4) -> list[tuple[int, int]]:
    """Return the (first, end) columns each image occupies in `compose(images, gap)`."""
    out, x = [], 0
    for im in images:
        out.append((x, x + im.shape[1]))
        x += im.shape[1] + gap
    return out


def labelled_grid(cells: np.ndarray, columns: int, *, top: np.ndarray | None = None,
                  left: np.ndarray | None = None, gap: int = 2, margin: int = 8
                  ) -> np.ndarray:
    """Return `cells` (N×h×w×C) in rows of `columns`, with `top` images (one per column)
    above and `left` images (one per row) beside them, `margin` apart from the cells, as
    in the StyleGAN paper's mixing figure (the corner stays empty)."""
    n, h, w, c = cells.shape
    rows = -(-n // columns)
    x0 = w + margin if left is not None else 0
    y0 = h + margin if top is not None else 0
    out = np.full((y0 + rows * (h + gap) - gap, x0 + columns * (w + gap) - gap, c),
                  GAP_VALUE, np.uint8)
    for i in range(n):
        r, k = divmod(i, columns)
        y, x = y0 + r * (h + gap), x0 + k * (w + gap)
        out[y:y + h, x:x + w] = cells[i]
    for k, im in enumerate(top if top is not None else ()):
        x = x0 + k * (w + gap)
        out[:h, x:x + w] = as_rgb(im, c)
    for r, im in enumerate(left if left is not None else ()):
        y = y0 + r * (h + gap)
        out[y:y + h, :w] = as_rgb(im, c)
    return out


def heat_top(values: np.ndarray) -> float:
    """Return the value a heat map of `values` draws white: their maximum, ≥ HEAT_FLOOR."""
    return max(float(values.max()), HEAT_FLOOR) if values.size else HEAT_FLOOR


def heat_map(values: np.ndarray, top: float) -> np.ndarray:
    """Return float H×W `values` (0 … `top`) as uint8 H×W×3: black → red → yellow → white."""
    t = np.clip(values / top, 0.0, 1.0)
    r = np.clip(t * 3.0, 0.0, 1.0)
    g = np.clip(t * 3.0 - 1.0, 0.0, 1.0)
    b = np.clip(t * 3.0 - 2.0, 0.0, 1.0)
    return (np.stack([r, g, b], axis=-1) * 255.0).round().astype(np.uint8)
