"""The masked convolutions and gated layers of a PixelCNN without a blind spot.

Two stacks (van den Oord et al. 2016, "Conditional Image Generation with PixelCNN
Decoders"): the vertical stack sees every row up to the current one and is shifted down
one row before it feeds the horizontal stack, so the horizontal stack at (i, j) sees rows
above i (all columns) and row i left of j. Within a pixel, channels come in order (R, G,
B): feature map f belongs to channel group f mod C, and at the current pixel a type-A
connection reaches only earlier groups, a type-B one earlier groups and its own.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def channel_mask(out_channels: int, in_channels: int, groups: int, strict: bool
                 ) -> torch.Tensor:
    """Return a [out, in] float mask: 1 where input group < output group (strict, type A)
    or ≤ (type B); group of channel k is k mod `groups`."""
    out_group = torch.arange(out_channels) % groups
    in_group = torch.arange(in_channels) % groups
    allowed = in_group[None, :] < out_group[:, None] if strict \
        else in_group[None, :] <= out_group[:, None]
    return allowed.float()


def gate(t: torch.Tensor) -> torch.Tensor:
    """Return tanh(a)·σ(b) for t = [a, b] split along channels (a's map f pairs with b's
    map f, both of group f mod C since the width is a multiple of C)."""
    a, b = t.chunk(2, dim=1)
    return torch.tanh(a) * torch.sigmoid(b)


def shift_down(t: torch.Tensor) -> torch.Tensor:
    """Return t moved down one row (a zero row on top): row i then holds row i−1."""
    return F.pad(t, (0, 0, 1, 0))[:, :, :-1, :]


class VerticalConv(nn.Conv2d):
    """A (k//2 + 1) × k convolution whose output row i sees input rows i − k//2 … i."""

    def __init__(self, in_channels: int, out_channels: int, k: int) -> None:
        super().__init__(in_channels, out_channels, (k // 2 + 1, k))
        self.half = k // 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return the convolution, same height and width as x."""
        return super().forward(F.pad(x, (self.half, self.half, self.half, 0)))


class MaskedConv(nn.Conv2d):
    """A 1 × (k//2 + 1) row convolution over columns j − k//2 … j (k = 1: a 1×1 conv);
    its weights at column j pass only the channel groups the mask type allows."""

    def __init__(self, in_channels: int, out_channels: int, k: int, groups: int,
                 mask_type: str) -> None:
        super().__init__(in_channels, out_channels, (1, k // 2 + 1))
        self.half = k // 2
        mask = torch.ones_like(self.weight)
        mask[:, :, 0, -1] = channel_mask(out_channels, in_channels, groups,
                                         strict=mask_type == "A")
        # Derived from the config, so rebuilt rather than saved with the weights.
        self.register_buffer("mask", mask, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return the masked convolution, same height and width as x."""
        return F.conv2d(F.pad(x, (self.half, 0, 0, 0)), self.weight * self.mask, self.bias)


class GatedLayer(nn.Module):
    """One layer of both stacks: v → gated v'; h → h (+ residual) from the gated sum of
    h's row convolution and the shifted vertical features, plus a class bias.

    `forward` runs whole images; the sampler (models/pixelcnn/incremental.py) runs the
    same weights one row of v and one column of h at a time.
    """

    def __init__(self, in_channels: int, filters: int, k: int, groups: int, first: bool,
                 num_classes: int | None) -> None:
        super().__init__()
        mask_type = "A" if first else "B"
        self.first = first
        self.v_conv = VerticalConv(in_channels, 2 * filters, k)
        self.h_conv = MaskedConv(in_channels, 2 * filters, k, groups, mask_type)
        # The link sees only rows above (after the shift): no mask.
        self.v_to_h = nn.Conv2d(2 * filters, 2 * filters, 1)
        self.h_out = MaskedConv(filters, filters, 1, groups, "B")
        self.class_bias = nn.Embedding(num_classes, 4 * filters) if num_classes else None

    def class_biases(self, y: torch.Tensor | None
                     ) -> tuple[torch.Tensor | float, torch.Tensor | float]:
        """Return the (vertical, horizontal) class biases [N, 2F, 1, 1], or zeros."""
        if self.class_bias is None or y is None:
            return 0.0, 0.0
        bv, bh = self.class_bias(y)[:, :, None, None].chunk(2, dim=1)
        return bv, bh

    def horizontal(self, h_pre: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """Return the new horizontal features from the summed pre-activation and the old
        features h (the residual; the first layer has none)."""
        h_new = self.h_out(gate(h_pre))
        # The first layer's input is the image (C maps): no residual to add it to.
        return h_new if self.first else h + h_new

    def forward(self, v: torch.Tensor, h: torch.Tensor, y: torch.Tensor | None
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """Return the new (vertical, horizontal) features."""
        bv, bh = self.class_biases(y)
        v_pre = self.v_conv(v) + bv
        h_pre = self.h_conv(h) + self.v_to_h(shift_down(v_pre)) + bh
        return gate(v_pre), self.horizontal(h_pre, h)
