"""Config of the gated PixelCNN family (no torch import: forms and the CLI read it)."""

from __future__ import annotations

from dataclasses import dataclass

from models.config import ModelConfig, param


@dataclass(frozen=True)
class PixelCNNConfig(ModelConfig):
    """Gated PixelCNN (van den Oord et al. 2016): a vertical and a horizontal stack of
    masked convolutions, a 256-way softmax per pixel and channel.

    Colour images are generated channel by channel within a pixel (R, then G, then B), so
    `filters` must split evenly into one group per channel.
    """

    filters: int = param(32, "feature maps of each stack (a multiple of the channels)",
                         min=3, max=1024)
    gated_layers: int = param(6, "gated layers after the first (receptive field grows "
                              "one row and column per layer)", min=1, max=64)
    first_kernel: int = param(7, "kernel size of the first, type-A layer (odd)",
                              min=3, max=15)
    kernel: int = param(3, "kernel size of the gated layers (odd)", min=3, max=15)
    output_filters: int = param(64, "hidden width of the 1×1 output head", min=3, max=4096)
    class_conditional: bool = param(False, "condition every layer on the class label "
                                    "(needs a labelled dataset)")

    def validate(self) -> None:
        """Raise ValueError for even kernels or widths that do not split per channel."""
        super().validate()
        for name in ("first_kernel", "kernel"):
            if getattr(self, name) % 2 == 0:
                raise ValueError(f"{name} must be odd, not {getattr(self, name)}")
        for name in ("filters", "output_filters"):
            if getattr(self, name) % self.channels:
                raise ValueError(f"{name} must be a multiple of channels ({self.channels}), "
                                 f"not {getattr(self, name)}")
