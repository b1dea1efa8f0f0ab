"""StyleGAN2's building blocks: equalised-learning-rate layers and the modulated convolution.

Equalised learning rate (Karras et al. 2018): weights are stored N(0, 1) and scaled by
1/√fan_in at every forward pass, so Adam's per-parameter step moves every layer's output by
the same relative amount. A learning-rate multiplier stores the weights divided by it and
scales them back, which slows that layer's learning by the multiplier (the mapping
network's 0.01).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# Leaky ReLU with slope 0.2, rescaled by √2 so activations keep unit variance.
LRELU_SLOPE, LRELU_GAIN = 0.2, math.sqrt(2.0)


def lrelu(x: torch.Tensor) -> torch.Tensor:
    """Return √2 · leaky_relu(x, 0.2)."""
    return F.leaky_relu(x, LRELU_SLOPE) * LRELU_GAIN


def normalize_2nd_moment(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Return x scaled so each row has a mean square of 1 (z's normalisation in StyleGAN)."""
    return x * (x.square().mean(dim=1, keepdim=True) + eps).rsqrt()


class EqualLinear(nn.Module):
    """A dense layer with equalised learning rate, an optional multiplier and activation."""

    def __init__(self, in_dim: int, out_dim: int, *, bias_init: float = 0.0,
                 lr_mult: float = 1.0, activate: bool = False) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_dim, in_dim) / lr_mult)
        self.bias = nn.Parameter(torch.full((out_dim,), float(bias_init)) / lr_mult)
        self.weight_gain = lr_mult / math.sqrt(in_dim)
        self.lr_mult = lr_mult
        self.activate = activate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return x·Wᵀ·gain + b (then √2·lrelu when `activate`)."""
        out = F.linear(x, self.weight * self.weight_gain, self.bias * self.lr_mult)
        return lrelu(out) if self.activate else out


class EqualConv2d(nn.Module):
    """A k×k convolution with equalised learning rate ('same' padding), optional √2·lrelu."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int, *, bias: bool = True,
                 activate: bool = True) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_ch, in_ch, kernel, kernel))
        self.bias = nn.Parameter(torch.zeros(out_ch)) if bias else None
        self.weight_gain = 1.0 / math.sqrt(in_ch * kernel * kernel)
        self.padding = kernel // 2
        self.activate = activate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return the convolved map."""
        out = F.conv2d(x, self.weight * self.weight_gain, self.bias, padding=self.padding)
        return lrelu(out) if self.activate else out


class ModulatedConv2d(nn.Module):
    """StyleGAN2's modulated convolution: a style s = A(w) scales each input channel, and
    demodulation divides each output channel by the norm its weights then have.

    Computed as StyleGAN2's non-fused path (x·s, a shared-weight conv, ·d), identical to
    convolving with per-image weights w'·s/‖w'·s‖ but one ordinary conv for the batch,
    which is what a CPU runs fastest. `up` doubles the input (bilinear) first.
    """

    def __init__(self, in_ch: int, out_ch: int, kernel: int, w_dim: int, *,
                 demodulate: bool = True, up: bool = False) -> None:
        super().__init__()
        # bias 1: every style starts as the identity scaling.
        self.affine = EqualLinear(w_dim, in_ch, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(out_ch, in_ch, kernel, kernel))
        self.weight_gain = 1.0 / math.sqrt(in_ch * kernel * kernel)
        self.padding = kernel // 2
        self.demodulate = demodulate
        self.up = up

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        """Return the modulated (and demodulated) convolution of x (N×in×H×W) by style w
        (N×w_dim): N×out×H×W, or 2H×2W when `up`."""
        styles = self.affine(w)
        weight = self.weight * self.weight_gain
        x = x * styles[:, :, None, None]
        if self.up:
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        x = F.conv2d(x, weight, padding=self.padding)
        if self.demodulate:
            # ‖w'_o · s‖² = Σ_i s_i² Σ_k w'_oik²: one (N×in)·(in×out) product.
            coef = (styles.square() @ weight.square().sum(dim=(2, 3)).t() + 1e-8).rsqrt()
            x = x * coef[:, :, None, None]
        return x
