"""Diffusion family: diffusers UNet2DModel denoisers (`ddpm`, class-conditional `cddpm`),
samplers run as generators of per-step events, trajectories and pipeline folders.

Importing this package is light; torch and diffusers load with the submodules.
"""

from models.diffusion.config import UNET_PRESETS, CDDPMConfig, DDPMConfig

__all__ = ["UNET_PRESETS", "CDDPMConfig", "DDPMConfig", "load_diffusers_pipeline"]


def load_diffusers_pipeline(folder, device="cpu"):  # type: ignore[no-untyped-def]
    """Return a `ddpm` model from a diffusers pipeline folder (see pipeline_io)."""
    from models.diffusion.pipeline_io import load_diffusers_pipeline as load

    return load(folder, device)
