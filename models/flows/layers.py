"""RealNVP's invertible layers. Each maps x → y with `forward(x)` → (y, log|det ∂y/∂x| per
image, shape [N]) and back with `inverse(y)` → x.

Affine couplings keep one part of x (a checkerboard of pixels, or half the channels),
compute a log-scale s and a shift t from it with a small residual conv net, and map the
other part to x·exp(s) + t; s = scale·tanh(ŝ), so no step can blow a value up, and the
nets' last convolutions start at zero, so every coupling starts as the identity.
"""

from __future__ import annotations

import torch
from torch import nn


def squeeze(x: torch.Tensor) -> torch.Tensor:
    """Return N×4C×H/2×W/2 from N×C×H×W: each 2×2 block of pixels becomes 4 channels
    (channel c·4 + 2i + j holds pixel (i, j) of the block). Volume-preserving."""
    n, c, h, w = x.shape
    x = x.reshape(n, c, h // 2, 2, w // 2, 2).permute(0, 1, 3, 5, 2, 4)
    return x.reshape(n, c * 4, h // 2, w // 2)


def unsqueeze(x: torch.Tensor) -> torch.Tensor:
    """Return the inverse of `squeeze`: N×C×H×W from N×4C×H/2×W/2."""
    n, c4, h, w = x.shape
    c = c4 // 4
    x = x.reshape(n, c, 2, 2, h, w).permute(0, 1, 4, 2, 5, 3)
    return x.reshape(n, c, h * 2, w * 2)


def checkerboard(h: int, w: int, parity: int, like: torch.Tensor) -> torch.Tensor:
    """Return the 1×1×H×W mask that is 1 where (row + column) % 2 == parity."""
    rows = torch.arange(h, device=like.device).view(-1, 1)
    cols = torch.arange(w, device=like.device).view(1, -1)
    return ((rows + cols) % 2 == parity).to(like.dtype).view(1, 1, h, w)


class ResBlock(nn.Module):
    """x + conv(relu(conv(relu(x)))), 3×3 convolutions keeping the channel count."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.ReLU(), nn.Conv2d(channels, channels, 3, padding=1),
                                  nn.ReLU(), nn.Conv2d(channels, channels, 3, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return x plus the block's residual."""
        return x + self.body(x)


class STNet(nn.Module):
    """The s, t network of a coupling: conv in, residual blocks, conv out (zero-initialised,
    so a fresh coupling is the identity). Returns N×2C_out×H×W: ŝ and t stacked."""

    def __init__(self, in_channels: int, out_channels: int, hidden: int, blocks: int) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(in_channels, hidden, 3, padding=1),
                                 *(ResBlock(hidden) for _ in range(blocks)), nn.ReLU(),
                                 nn.Conv2d(hidden, 2 * out_channels, 3, padding=1))
        nn.init.zeros_(self.net[-1].weight)
        nn.init.zeros_(self.net[-1].bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return ŝ and t stacked along channels."""
        return self.net(x)


class AffineCoupling(nn.Module):
    """An affine coupling with a checkerboard mask (`kind="checkerboard"`: pixels where
    (row + column) % 2 == parity stay) or a channel mask (`kind="channel"`: the first half
    of the channels stays when parity is 0, the second half when 1)."""

    def __init__(self, channels: int, kind: str, parity: int, hidden: int, blocks: int) -> None:
        super().__init__()
        if kind not in ("checkerboard", "channel"):
            raise ValueError(f"unknown coupling mask {kind!r}")
        self.kind, self.parity = kind, parity
        if kind == "checkerboard":
            # The net also sees the mask, so it knows which pixels it is given.
            self.st = STNet(channels + 1, channels, hidden, blocks)
            out = channels
        else:
            self.st = STNet(channels // 2, channels - channels // 2, hidden, blocks)
            out = channels - channels // 2
        self.scale = nn.Parameter(torch.ones(1, out, 1, 1))

    def _scale_shift(self, kept: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        s_raw, t = self.st(kept).chunk(2, dim=1)
        return self.scale * torch.tanh(s_raw), t

    def _split(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        half = x.shape[1] // 2
        a, b = x[:, :half], x[:, half:]
        return (a, b) if self.parity == 0 else (b, a)

    def _join(self, kept: torch.Tensor, moved: torch.Tensor) -> torch.Tensor:
        return torch.cat((kept, moved) if self.parity == 0 else (moved, kept), dim=1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return (y, log|det| per image)."""
        if self.kind == "checkerboard":
            mask = checkerboard(x.shape[2], x.shape[3], self.parity, x)
            s, t = self._scale_shift(torch.cat([x * mask, mask.expand(len(x), -1, -1, -1)], 1))
            s, t = s * (1 - mask), t * (1 - mask)
            return x * torch.exp(s) + t, s.flatten(1).sum(1)
        kept, moved = self._split(x)
        s, t = self._scale_shift(kept)
        return self._join(kept, moved * torch.exp(s) + t), s.flatten(1).sum(1)

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        """Return x with forward(x)[0] == y."""
        if self.kind == "checkerboard":
            mask = checkerboard(y.shape[2], y.shape[3], self.parity, y)
            s, t = self._scale_shift(torch.cat([y * mask, mask.expand(len(y), -1, -1, -1)], 1))
            s, t = s * (1 - mask), t * (1 - mask)
            return (y - t) * torch.exp(-s)
        kept, moved = self._split(y)
        s, t = self._scale_shift(kept)
        return self._join(kept, (moved - t) * torch.exp(-s))


class ActNorm(nn.Module):
    """Glow's activation normalisation: y = (x + b)·exp(log s) per channel. The first
    batch seen while training sets b and log s so that batch comes out with zero mean and
    unit variance per channel; `initialized` (saved with the weights) records that."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(1, channels, 1, 1))
        self.log_scale = nn.Parameter(torch.zeros(1, channels, 1, 1))
        self.register_buffer("initialized", torch.zeros(()))

    @torch.no_grad()
    def _initialize(self, x: torch.Tensor) -> None:
        mean = x.mean(dim=(0, 2, 3), keepdim=True)
        std = x.std(dim=(0, 2, 3), keepdim=True) if x.numel() > x.shape[1] \
            else torch.ones_like(mean)
        self.bias.copy_(-mean)
        self.log_scale.copy_(-torch.log(std + 1e-6))
        self.initialized.fill_(1.0)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return (y, log|det| per image); initialises from x first when training anew."""
        if self.training and not bool(self.initialized):
            self._initialize(x)
        log_det = self.log_scale.sum() * (x.shape[2] * x.shape[3])
        return (x + self.bias) * torch.exp(self.log_scale), log_det.expand(len(x))

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        """Return x with forward(x)[0] == y."""
        return y * torch.exp(-self.log_scale) - self.bias
