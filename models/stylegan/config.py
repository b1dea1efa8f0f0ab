"""The StyleGAN family's config (no torch import): mapping, synthesis, discriminator, training.

The generator works at 32 px (a 4×4 learned constant doubled three times: 4, 8, 16, 32);
a 28 px model crops the 32 px output's 2-px frame (see networks.py for why). Both
optimisers are Adam with StyleGAN2's betas (0, 0.99); `TrainConfig.lr` is ignored, as
for every GAN.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.config import ModelConfig, param

# Resolutions of the synthesis network, one per entry of `g_channels`.
SYNTHESIS_RESOLUTIONS = (4, 8, 16, 32)
IMAGE_SIZES = (28, 32)
NOISE_MODES = ("random", "const", "none")


@dataclass(frozen=True)
class StyleGANConfig(ModelConfig):
    """StyleGAN2-style generator (mapping z → w, modulated convs from a learned constant,
    per-layer noise, toRGB skips) against a residual discriminator, for 28/32 px images."""

    z_dim: int = param(64, "dimensions of the input latent z", min=1, max=1024)
    w_dim: int = param(64, "dimensions of the intermediate latent w (the style space)",
                       min=1, max=1024)
    mapping_layers: int = param(2, "fully connected layers of the mapping network z → w",
                                min=1, max=16)
    mapping_lr_mult: float = param(0.01, "learning-rate multiplier of the mapping network "
                                   "(StyleGAN: 0.01)", min=1e-4, max=1.0, advanced=True)
    g_channels: tuple[int, ...] = param(
        (128, 64, 32, 16), "synthesis channels at 4, 8, 16 and 32 px", min=1, max=1024)
    d_channels: tuple[int, ...] = param(
        (16, 32, 64), "discriminator channels: full size, then after each halving",
        min=1, max=1024)
    # G learns twice as fast as D: at 0.002 for both, or with D the faster (a usual
    # two time-scale setting), D won outright on mnist5k (D(fake) under 0.1) and these
    # small networks hopped between one or two digit shapes.
    lr_g: float = param(0.002, "generator learning rate (GANs ignore --lr)", min=0.0, max=1.0)
    lr_d: float = param(0.001, "discriminator learning rate (GANs ignore --lr)",
                        min=0.0, max=1.0)
    beta1: float = param(0.0, "Adam β1 of both networks (StyleGAN2: 0)", min=0.0,
                         max=0.9999, advanced=True)
    beta2: float = param(0.99, "Adam β2 of both networks (StyleGAN2: 0.99)", min=0.0,
                         max=0.99999, advanced=True)
    r1_gamma: float = param(1.0, "weight γ of the R1 penalty γ/2·‖∇D(real)‖² (0: off)",
                            min=0.0, max=1e4)
    r1_every: int = param(16, "apply R1 every N steps, scaled by N (lazy regularisation)",
                          min=1, max=1000, advanced=True)
    style_mixing_prob: float = param(0.5, "share of fakes made from two w's switched at "
                                     "a random layer (style-mixing regularisation)",
                                     min=0.0, max=1.0)
    w_avg_beta: float = param(0.995, "decay of the tracked mean w̄ (an EMA of w per step)",
                              min=0.0, max=1.0, advanced=True)
    ema_beta: float = param(0.995, "decay of the EMA generator that samples (0: none, "
                            "sampling uses the trained weights)", min=0.0, max=0.99999,
                            advanced=True)
    output_tanh: bool = param(True, "squash images with tanh, as DCGAN does (StyleGAN2 "
                              "has none): MNIST's exactly black background is then reachable "
                              "without the RGB outputs cancelling exactly", advanced=True)
    truncation_psi: float = param(1.0, "truncation ψ of sample() and previews (1: none)",
                                  min=0.0, max=2.0, advanced=True)

    def validate(self) -> None:
        """Raise ValueError for a size other than 28/32 or a wrong number of channel widths."""
        super().validate()
        if self.image_size not in IMAGE_SIZES:
            raise ValueError(f"image_size must be 28 or 32 for stylegan, not {self.image_size}")
        if len(self.g_channels) != len(SYNTHESIS_RESOLUTIONS):
            raise ValueError(f"g_channels must list {len(SYNTHESIS_RESOLUTIONS)} widths "
                             f"(4, 8, 16, 32 px), not {len(self.g_channels)}")
        if len(self.d_channels) != 3:
            raise ValueError(f"d_channels must list 3 widths, not {len(self.d_channels)}")
