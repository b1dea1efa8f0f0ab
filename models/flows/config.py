"""Config of the RealNVP family (no torch import: forms and the CLI read it before torch)."""

from __future__ import annotations

from dataclasses import dataclass

from models.config import ModelConfig, param


@dataclass(frozen=True)
class RealNVPConfig(ModelConfig):
    """RealNVP (Dinh et al. 2017): affine couplings, squeezes and factor-outs.

    Each scale runs `couplings` checkerboard couplings, squeezes 2×2 pixels into channels,
    runs `couplings` channel couplings and factors out half the channels; the last level
    runs `couplings + 1` checkerboard couplings. 28 = 2·2·7 allows two scales
    (28 → 14 → 7, the 7×7 level is not squeezed again); 32 allows up to five.
    """

    num_scales: int = param(2, "multi-scale levels (each squeezes and factors out half)",
                            min=1, max=5)
    couplings: int = param(3, "affine couplings of each kind per level (the last level "
                           "has one more checkerboard coupling)", min=1, max=16)
    hidden_channels: int = param(32, "channels of the s, t networks' convolutions",
                                 min=1, max=1024)
    res_blocks: int = param(1, "residual blocks in each s, t network", min=0, max=16)
    actnorm: bool = param(True, "activation normalisation before each coupling "
                          "(initialised from the first batch)")
    logit_alpha: float = param(0.05, "α of the logit transform: pixels map to "
                               "logit(α + (1 − 2α)·u)", min=1e-6, max=0.25, advanced=True)
    grad_clip: float = param(100.0, "clip the gradient norm at this value (0: off)",
                             min=0.0, max=1e6, advanced=True)
    temperature: float = param(1.0, "σ of the base normal for previews and samples "
                               "(below 1: smoother, more typical images)", min=0.0, max=2.0)

    def validate(self) -> None:
        """Raise ValueError when the image does not halve once per scale."""
        super().validate()
        if self.image_size % (2 ** self.num_scales):
            raise ValueError(f"image_size {self.image_size} does not halve {self.num_scales} "
                             f"times; use fewer num_scales (28 allows 2, 32 allows 5)")
