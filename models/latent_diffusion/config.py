"""Config dataclasses of the latent diffusion families (no torch import).

The diffusion fields (UNet preset, schedule, sampler, EMA, departures) are DDPMConfig's,
applied to the latents; the first stage's fields are prefixed `vae_` or name its loss.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from models.config import param
from models.diffusion.config import DDPMConfig


@dataclass(frozen=True)
class LDMConfig(DDPMConfig):
    """Latent diffusion: an AutoencoderKL compresses the image, a UNet diffuses its latents.

    Images are padded (black) to `frame_size` so that the autoencoder's halvings and then
    the UNet's halve evenly: 28 px → 32 px frame → 4×8×8 latents with the defaults.
    """

    # Latents are not confined to [-1, 1]: clipping x̂0 there would cut real values.
    clip_sample: bool = param(False, "clip predicted clean latents to [-1, 1] while sampling "
                              "(off for latents, as Stable Diffusion)", advanced=True)
    latent_channels: int = param(4, "channels of the autoencoder's latents", min=1, max=64)
    vae_channels: tuple[int, ...] = param((16, 32, 64), "channels of each autoencoder level; "
                                          "each level after the first halves the image",
                                          min=1, max=1024)
    vae_layers: int = param(1, "resnet layers per autoencoder level", min=1, max=4,
                            advanced=True)
    vae_norm_groups: int = param(8, "GroupNorm groups of the autoencoder", min=1, max=1024,
                                 advanced=True)
    recon_loss: str = param("l1", "first-stage reconstruction loss: l1 or l2 (pixels in "
                            "[-1, 1], summed per image)", choices=("l1", "l2"))
    kl_weight: float = param(1e-4, "weight of the first stage's KL term (summed per image)",
                             min=0.0, max=10.0)
    epochs_ae: int = param(5, "epochs of phase 1 (the autoencoder) before the --epochs of "
                           "phase 2 (the UNet on its latents)", min=0, max=100000)
    first_stage: str | None = param(None, "take the autoencoder from this ldm run or "
                                    "checkpoint (or a diffusers AutoencoderKL folder) and "
                                    "skip phase 1")

    @property
    def vae_factor(self) -> int:
        """Return how many times smaller the latents are than the frame (2^(levels−1))."""
        return 2 ** (len(self.vae_channels) - 1)

    @property
    def unet_factor(self) -> int:
        """Return how many times the UNet halves its input (2^(levels−1))."""
        return 2 ** (len(self.unet_preset().block_channels) - 1)

    @property
    def frame_size(self) -> int:
        """Return the padded image side both stages' halvings divide evenly."""
        factor = self.vae_factor * self.unet_factor
        return math.ceil(self.image_size / factor) * factor

    @property
    def latent_size(self) -> int:
        """Return the side of the latents (the UNet's sample_size)."""
        return self.frame_size // self.vae_factor

    @property
    def ae_epochs(self) -> int:
        """Return the epochs phase 1 trains: none when the first stage is taken from elsewhere."""
        return 0 if self.first_stage else self.epochs_ae

    def validate(self) -> None:
        """Raise ValueError when the autoencoder's channels do not divide into its groups."""
        super().validate()
        bad = [c for c in self.vae_channels if c % self.vae_norm_groups]
        if bad:
            raise ValueError(f"vae_channels {bad[0]} is not divisible by vae_norm_groups "
                             f"{self.vae_norm_groups}")
        if len(self.vae_channels) > 5:
            raise ValueError("vae_channels lists at most 5 levels")


@dataclass(frozen=True)
class CLDMConfig(LDMConfig):
    """Class-conditional latent diffusion trained with label dropout for classifier-free
    guidance (the UNet gets a class embedding; the autoencoder is unconditional)."""

    label_dropout: float = param(0.1, "share of training labels replaced by the null class",
                                 min=0.0, max=1.0)
    guidance: float = param(3.0, "default classifier-free guidance scale (1: plain "
                            "conditional, 0: unconditional)", min=0.0, max=100.0)
