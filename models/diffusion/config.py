"""Config dataclasses of the diffusion family and its UNet size presets (no torch import)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from models.config import ModelConfig, param
from models.diffusion.samplers import SAMPLERS


@dataclass(frozen=True)
class UNetPreset:
    """A named UNet2DModel size: channels per resolution level and where attention goes."""

    block_channels: tuple[int, ...]
    layers_per_block: int
    attention: tuple[bool, ...]  # one flag per level
    norm_groups: int
    description: str


# CPU presets have no attention: on 2 cores it costs more than it gives at 28–32 px
# (see docs/architecture.md, performance traps). Levels beyond three need the image padded 28 → 32.
UNET_PRESETS: dict[str, UNetPreset] = {
    "tiny": UNetPreset((16, 32, 64), 1, (False, False, False), 8,
                       "3 levels, 16 channels at full size, ~0.6M weights: fastest"),
    "small": UNetPreset((32, 64, 128), 1, (False, False, False), 16,
                        "3 levels, ~2.5M weights: CPU default"),
    "medium": UNetPreset((32, 64, 128, 128), 2, (False, False, False, False), 32,
                         "4 levels (28 px padded to 32), 2 layers, ~6M weights: slower CPU runs"),
    "gpu": UNetPreset((64, 128, 256, 256), 2, (False, False, True, True), 32,
                      "4 levels with attention at 8 and 4 px: for GPUs"),
}
__all__ = ["BETA_SCHEDULES", "SAMPLERS", "UNET_PRESETS", "CDDPMConfig", "DDPMConfig",
           "UNetPreset"]  # SAMPLERS (the table in samplers.py) stays importable from here
BETA_SCHEDULES = ("linear", "cosine", "scaled_linear")


@dataclass(frozen=True)
class DDPMConfig(ModelConfig):
    """Denoising diffusion model: a diffusers UNet2DModel predicting ε (or v) from x_t and t."""

    preset: str = param("small", "UNet size: tiny, small, medium (CPU) or gpu; custom = read "
                        "from a pipeline's unet/config.json",
                        choices=(*UNET_PRESETS, "custom"))
    block_channels: tuple[int, ...] | None = param(
        None, "channels of each UNet level (overrides the preset)", min=1, max=4096,
        advanced=True)
    layers_per_block: int | None = param(None, "resnet layers per level (overrides the preset)",
                                         min=1, max=8, advanced=True)
    norm_groups: int | None = param(None, "GroupNorm groups (overrides the preset)", min=1,
                                    max=1024, advanced=True)
    num_train_timesteps: int = param(1000, "diffusion steps T", min=2, max=100000)
    beta_schedule: str = param("linear", "noise schedule β_t", choices=BETA_SCHEDULES)
    beta_start: float = param(1e-4, "β_1 of the linear schedules", min=0.0, max=1.0,
                              advanced=True)
    beta_end: float = param(0.02, "β_T of the linear schedules", min=0.0, max=1.0, advanced=True)
    prediction_type: str = param("epsilon", "what the UNet predicts: epsilon (noise) or "
                                 "v_prediction", choices=("epsilon", "v_prediction"))
    clip_sample: bool = param(True, "clip predicted clean images to [-1, 1] while sampling",
                              advanced=True)
    ema: bool = param(True, "sample from an exponential moving average of the weights")
    ema_decay: float = param(0.999, "EMA decay (warmed up as (1+n)/(10+n) over n steps)",
                             min=0.0, max=1.0, advanced=True)
    sampler: str = param("ddim", "default sampler for previews and `sample`",
                         choices=tuple(SAMPLERS), advanced=True)
    sample_steps: int = param(25, "default denoising steps for previews and `sample`", min=1,
                              max=100000, advanced=True)
    # Departures from diffusers' own pipelines (samplers.Departures): on for models trained
    # here, off for pipeline folders made elsewhere, which then sample exactly as diffusers.
    rederive_noise: bool = param(True, "DDIM re-derives the noise from the clipped x̂0 "
                                 "(off: as diffusers' DDIMPipeline)", advanced=True)
    emulate_clip: bool = param(True, "DPM-Solver++ clamps x̂0 to the clip range like DDIM "
                               "(off: as diffusers, which does not)", advanced=True)
    noise_per_step: bool = param(True, "stochastic samplers draw step i's noise from "
                                 "(seed, i) (off: one generator, as diffusers' pipelines)",
                                 advanced=True)

    def unet_preset(self) -> UNetPreset:
        """Return the preset with any explicit overrides applied (custom: the small preset)."""
        base = UNET_PRESETS.get(self.preset, UNET_PRESETS["small"])
        chans = tuple(self.block_channels or base.block_channels)
        attention = base.attention if len(chans) == len(base.block_channels) \
            else (False,) * len(chans)
        return UNetPreset(chans, self.layers_per_block or base.layers_per_block, attention,
                          self.norm_groups or base.norm_groups, base.description)

    @property
    def model_size(self) -> int:
        """Return the side the UNet works at: image_size rounded up so every level halves."""
        factor = 2 ** (len(self.unet_preset().block_channels) - 1)
        return math.ceil(self.image_size / factor) * factor

    def validate(self) -> None:
        """Raise ValueError when channels do not divide into the GroupNorm groups or the
        default step count exceeds the training timesteps."""
        super().validate()
        if self.sample_steps > self.num_train_timesteps:
            raise ValueError(f"sample_steps {self.sample_steps} is more than "
                             f"num_train_timesteps {self.num_train_timesteps}")
        p = self.unet_preset()
        bad = [c for c in p.block_channels if c % p.norm_groups]
        if bad:
            raise ValueError(f"block_channels {bad[0]} is not divisible by norm_groups "
                             f"{p.norm_groups}")


@dataclass(frozen=True)
class CDDPMConfig(DDPMConfig):
    """Class-conditional DDPM trained with label dropout for classifier-free guidance."""

    label_dropout: float = param(0.1, "share of training labels replaced by the null class",
                                 min=0.0, max=1.0)
    guidance: float = param(3.0, "default classifier-free guidance scale (1: plain "
                            "conditional, 0: unconditional)", min=0.0, max=100.0)
