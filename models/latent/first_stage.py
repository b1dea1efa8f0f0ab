"""Latent diffusion's first stage seen as a latent space: what the latent map and the
interpolation panel show for `ldm`/`cldm`.

A latent diffusion model has two latents: the autoencoder's (images encoded to a C×h×w
grid of posterior means, `model.encode`, decoded by `model.decode`) and the diffusion's
starting noise x_T (the same shape, in the UNet's scaled frame, turned into an image by
the sampler and `model.to_images`). The map and the image-to-image paths use the first;
noise paths (noise_path.py) the second. No torch: the panels call these on the GUI
thread, before torch has loaded too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from models.base import Capabilities


def has_first_stage(caps: Capabilities) -> bool:
    """Return True for a diffusion model that encodes images (latent diffusion): its
    encoder's latents can be mapped and interpolated like an autoencoder's."""
    return caps.is_diffusion and caps.can_encode


def can_map(caps: Capabilities) -> bool:
    """Return True when a latent map can be made: every non-diffusion model with a latent,
    and latent diffusion through its first stage (a pixel DDPM's latent is the image
    itself; a PixelCNN has none)."""
    return (not caps.is_diffusion or caps.can_encode) and len(caps.latent_shape) > 0


NO_MAP_PIXEL_DIFFUSION = ("pixel-space diffusion models have no latent map: their latent "
                          "is the image itself")
NO_MAP_AUTOREGRESSIVE = ("autoregressive models have no latent map: they draw the image "
                         "value by value, with no latent behind it")


def no_map_reason(caps: Capabilities) -> str:
    """Return the sentence saying why a model `can_map` refuses has no latent map."""
    return NO_MAP_PIXEL_DIFFUSION if caps.is_diffusion else NO_MAP_AUTOREGRESSIVE


def shape_text(shape: Sequence[int]) -> str:
    """Return "4×8×8 = 256 values" for a latent of shape (4, 8, 8)."""
    size = 1
    for s in shape:
        size *= int(s)
    return f"{'×'.join(str(int(s)) for s in shape)} = {size:,} values"


def first_stage_note(shape: Sequence[int]) -> str:
    """Return the sentence saying which latent a latent diffusion model's map shows."""
    return (f"the autoencoder's latent space ({shape_text(shape)}): the first stage's "
            "posterior means, not the diffusion noise x_T")


def dimension_name(d: int, shape: Sequence[int]) -> str:
    """Return latent value `d`'s name in a C×h×w latent: "c2 (3,5)" is channel 2, row 3,
    column 5 (the flattening order of `model.encode`). A flat latent's is "z<d>"."""
    if len(shape) != 3:
        return f"z{d}"
    _, h, w = (int(s) for s in shape)
    return f"c{d // (h * w)} ({d % (h * w) // w},{d % w})"
