"""A tiny model with the shared likelihood interface (`nll_bits_per_dim`, `likelihood_kind`),
for the anomaly tests: the PixelCNN and flow families are built elsewhere."""

from __future__ import annotations

import torch


class BrightnessNLL(torch.nn.Module):
    """A likelihood that depends on brightness alone: −log2 p(x) per dimension is
    1 + 7·mean(x) (dark images likely), or 8 − 7·mean(x) with `bright_is_likely`."""

    family = "brightness"
    likelihood_kind = "exact"

    def __init__(self, bright_is_likely: bool = False) -> None:
        super().__init__()
        self.sign = -1.0 if bright_is_likely else 1.0
        self.weight = torch.nn.Parameter(torch.ones(()))

    @property
    def device(self) -> torch.device:
        """Return the device of the weight."""
        return self.weight.device

    def nll_bits_per_dim(self, x: torch.Tensor) -> torch.Tensor:
        """Return N bits per dimension of images x in [0, 1]."""
        mean = x.flatten(1).mean(1)
        return 1.0 + 7.0 * self.weight * (mean if self.sign > 0 else 1.0 - mean)
