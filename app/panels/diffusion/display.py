"""Display mappings of the step viewer: UNet-frame arrays → uint8 images (no Qt here).

x_t and x̂0 live in [−1, 1]: clipped and mapped to 0..255. ε̂ is unit Gaussian noise when
the model is right: ±EPS_RANGE maps to 0..255, so 0 is mid-grey and ±3σ saturate.
Latents (latent diffusion) are scaled to unit variance: each channel is drawn in false
colour, a diverging map over the fixed range ±LATENT_RANGE (blue below 0, white at 0, red
above), the same at every step so that steps compare.
"""

from __future__ import annotations

import numpy as np

from models.images import make_grid, to_uint8_nhwc

EPS_RANGE = 3.0
LATENT_RANGE = 3.0
# ColorBrewer's RdBu (reversed: blue negative), 11 classes: diverging, white at 0.
_RDBU = np.array([(5, 48, 97), (33, 102, 172), (67, 147, 195), (146, 197, 222),
                  (209, 229, 240), (247, 247, 247), (253, 219, 199), (244, 165, 130),
                  (214, 96, 77), (178, 24, 43), (103, 0, 31)], np.float64)
_LUT = np.stack([np.interp(np.linspace(0, 10, 256), np.arange(11), _RDBU[:, c])
                 for c in range(3)], axis=1).round().astype(np.uint8)
KINDS = ("x_t", "eps", "x0")
TITLES = {"x_t": "x_t (noisy image)", "eps": "ε̂ (predicted noise, ±3)",
          "x0": "x̂0 (predicted clean image)"}


def crop(arr: np.ndarray, image_size: int) -> np.ndarray:
    """Return B×C×S×S `arr` cropped to the centred image_size square (the UNet may pad)."""
    extra = arr.shape[-1] - image_size
    if extra <= 0:
        return arr
    a = extra // 2
    return arr[..., a:a + image_size, a:a + image_size]


def to_display(arr: np.ndarray, kind: str, image_size: int) -> np.ndarray:
    """Return uint8 B×H×W×C for a UNet-frame B×C×S×S array of `kind` (x_t, eps or x0)."""
    x = crop(np.asarray(arr, np.float32), image_size)
    scale = EPS_RANGE if kind == "eps" else 1.0
    return to_uint8_nhwc(np.clip(x / (2.0 * scale) + 0.5, 0.0, 1.0))


def tile(images: np.ndarray, sample: int | None = None, nrow: int | None = None) -> np.ndarray:
    """Return uint8 H×W×C: one sample of B×H×W×C `images`, or all of them as a grid."""
    if sample is not None:
        return np.ascontiguousarray(images[min(sample, len(images) - 1)])
    if len(images) == 1:
        return np.ascontiguousarray(images[0])
    return make_grid(images, nrow=nrow, padding=1, pad_value=60)



def false_colour(arr: np.ndarray) -> np.ndarray:
    """Return uint8 …×3 colours of float `arr` on the diverging map over ±LATENT_RANGE."""
    x = np.clip(np.asarray(arr, np.float32) / (2.0 * LATENT_RANGE) + 0.5, 0.0, 1.0)
    return _LUT[np.rint(x * 255.0).astype(np.intp)]


def channel_tiles(latents: np.ndarray, sample: int | None = None,
                  nrow: int | None = None) -> list[np.ndarray]:
    """Return one uint8 H×W×3 tile per channel of B×C×h×w `latents` in false colour: that
    channel of one sample, or of every sample as a grid."""
    x = np.asarray(latents, np.float32)
    return [tile(false_colour(x[:, c]), sample, nrow) for c in range(x.shape[1])]


def latent_strip(latents: np.ndarray, gap: int = 1) -> np.ndarray:
    """Return uint8 B×h×(C·(w+gap)−gap)×3: each sample's channels side by side in false
    colour, separated by grey (exports and the filmstrip's data of latent runs)."""
    rgb = false_colour(np.asarray(latents, np.float32))  # B×C×h×w×3
    b, c, h, w, _ = rgb.shape
    out = np.full((b, h, c * (w + gap) - gap, 3), 128, np.uint8)
    for k in range(c):
        out[:, :, k * (w + gap):k * (w + gap) + w] = rgb[:, k]
    return out


def latent_mosaic(latent: np.ndarray, cols: int = 2, gap: int = 1, zoom: int = 4
                  ) -> np.ndarray:
    """Return uint8 H×W×3: one C×h×w latent's channels in false colour, each value
    `zoom`×`zoom` pixels (so the grey `gap` between channels stays thin when scaled up),
    `cols` to a row (channel 1 top left, reading order)."""
    rgb = false_colour(np.asarray(latent, np.float32))  # C×h×w×3
    rgb = rgb.repeat(zoom, axis=1).repeat(zoom, axis=2)
    c, h, w, _ = rgb.shape
    rows = -(-c // cols)
    out = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap, 3), 128, np.uint8)
    for k in range(c):
        r, q = divmod(k, cols)
        out[r * (h + gap):r * (h + gap) + h, q * (w + gap):q * (w + gap) + w] = rgb[k]
    return out
