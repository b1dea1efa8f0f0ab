"""The StyleGAN generator (mapping + synthesis) and its residual discriminator.

Synthesis starts from a learned 4×4 constant and doubles three times (4, 8, 16, 32 px);
each resolution has modulated 3×3 convolutions (the first of a level upsamples), a noise
input per layer with a learned strength, and a toRGB output added to the upsampled RGB
of the level below (StyleGAN2's skip generator).

28 px is the 32 px output's centre crop. The alternative, a 7×7 constant doubled twice
(7, 14, 28), has three levels instead of four, so coarse, middle and fine styles would be
one level each and the layers people mix (4–8 px: pose and shape) would not exist; a
28 px digit's outer 2 px are background in MNIST, so the crop drops nothing the data
holds. The price is the 32 px level's work on 30 % more pixels.

Style vectors: synthesis takes `ws` of shape N × num_ws × w_dim; conv layer i reads ws[:, i]
and the toRGB of a level reads the w of the next level's first conv, as in StyleGAN2 —
so num_ws = convolutions + 1 (8 here). `layer_names()` says which is which.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from models.stylegan.config import NOISE_MODES, SYNTHESIS_RESOLUTIONS, StyleGANConfig
from models.stylegan.layers import (
    EqualConv2d,
    EqualLinear,
    ModulatedConv2d,
    lrelu,
    normalize_2nd_moment,
)


class MappingNetwork(nn.Module):
    """z → normalised z → `layers` dense √2·lrelu layers (lr × lr_mult) → w; tracks w̄."""

    def __init__(self, z_dim: int, w_dim: int, layers: int, lr_mult: float,
                 w_avg_beta: float) -> None:
        super().__init__()
        dims = [z_dim] + [w_dim] * layers
        self.net = nn.Sequential(*(EqualLinear(a, b, lr_mult=lr_mult, activate=True)
                                   for a, b in itertools.pairwise(dims)))
        self.w_avg_beta = w_avg_beta
        self.register_buffer("w_avg", torch.zeros(w_dim))

    def forward(self, z: torch.Tensor, *, update_w_avg: bool = False) -> torch.Tensor:
        """Return w (N×w_dim); with `update_w_avg`, move w̄ towards this batch's mean w."""
        w = self.net(normalize_2nd_moment(z))
        if update_w_avg:
            with torch.no_grad():
                self.w_avg.copy_(w.detach().mean(0).lerp(self.w_avg, self.w_avg_beta))
        return w


class SynthesisLayer(nn.Module):
    """Modulated 3×3 conv, + per-pixel noise × learned strength, + bias, √2·lrelu."""

    def __init__(self, in_ch: int, out_ch: int, w_dim: int, resolution: int, *,
                 up: bool = False) -> None:
        super().__init__()
        self.conv = ModulatedConv2d(in_ch, out_ch, 3, w_dim, up=up)
        self.resolution = resolution
        # Zero strength: noise is learned in, not imposed (StyleGAN2).
        self.noise_strength = nn.Parameter(torch.zeros(()))
        self.bias = nn.Parameter(torch.zeros(out_ch))
        # The fixed noise of noise_mode "const": the same picture for the same w.
        self.register_buffer("noise_const", torch.randn(resolution, resolution))

    def forward(self, x: torch.Tensor, w: torch.Tensor, noise_mode: str) -> torch.Tensor:
        """Return the layer's activations; noise_mode is "random", "const" or "none"."""
        x = self.conv(x, w)
        if noise_mode == "random":
            x = x + torch.randn(x.shape[0], 1, self.resolution, self.resolution,
                                device=x.device, dtype=x.dtype) * self.noise_strength
        elif noise_mode == "const":
            x = x + self.noise_const * self.noise_strength
        return lrelu(x + self.bias[None, :, None, None])


class ToRGB(nn.Module):
    """Modulated 1×1 conv to image channels (not demodulated), + bias."""

    def __init__(self, in_ch: int, channels: int, w_dim: int) -> None:
        super().__init__()
        self.conv = ModulatedConv2d(in_ch, channels, 1, w_dim, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        """Return N×channels×H×W."""
        return self.conv(x, w) + self.bias[None, :, None, None]


class SynthesisNetwork(nn.Module):
    """ws (N×num_ws×w_dim) → N×channels×32×32 image, roughly in [-1, 1] (no tanh)."""

    def __init__(self, w_dim: int, g_channels: Sequence[int], channels: int) -> None:
        super().__init__()
        c0 = g_channels[0]
        self.const = nn.Parameter(torch.randn(c0, 4, 4))
        self.layers = nn.ModuleList([SynthesisLayer(c0, c0, w_dim, 4)])
        self.torgbs = nn.ModuleList([ToRGB(c0, channels, w_dim)])
        c_prev = c0
        for res, c in zip(SYNTHESIS_RESOLUTIONS[1:], g_channels[1:], strict=True):
            self.layers.append(SynthesisLayer(c_prev, c, w_dim, res, up=True))
            self.layers.append(SynthesisLayer(c, c, w_dim, res))
            self.torgbs.append(ToRGB(c, channels, w_dim))
            c_prev = c
        self.num_ws = len(self.layers) + 1

    def forward(self, ws: torch.Tensor, noise_mode: str = "const",
                noise_layers: Sequence[bool] | None = None) -> torch.Tensor:
        """Return images for styles ws; `noise_layers` (one bool per conv layer) turns
        individual layers' noise off (None: all on)."""
        if noise_mode not in NOISE_MODES:
            raise ValueError(f"noise_mode must be one of {', '.join(NOISE_MODES)}, "
                             f"not {noise_mode!r}")
        if ws.dim() != 3 or ws.shape[1] != self.num_ws:
            raise ValueError(f"ws must be N×{self.num_ws}×w_dim, not {tuple(ws.shape)}")
        if noise_layers is not None and len(noise_layers) != len(self.layers):
            raise ValueError(f"noise_layers needs {len(self.layers)} entries, "
                             f"not {len(noise_layers)}")

        def mode(i: int) -> str:
            return noise_mode if noise_layers is None or noise_layers[i] else "none"

        x = self.const.unsqueeze(0).expand(ws.shape[0], -1, -1, -1)
        x = self.layers[0](x, ws[:, 0], mode(0))
        img = self.torgbs[0](x, ws[:, 1])
        for level, torgb in enumerate(self.torgbs[1:]):
            i = 1 + 2 * level
            x = self.layers[i](x, ws[:, i], mode(i))
            x = self.layers[i + 1](x, ws[:, i + 1], mode(i + 1))
            img = F.interpolate(img, scale_factor=2, mode="bilinear", align_corners=False)
            img = img + torgb(x, ws[:, i + 2])
        return img

    def layer_resolutions(self) -> list[int]:
        """Return the resolution each entry of ws styles (the last is the final toRGB)."""
        return [layer.resolution for layer in self.layers] + [self.layers[-1].resolution]

    def layer_names(self) -> list[str]:
        """Return a name per entry of ws: "8×8 up" (the upsampling conv, which also styles
        the 4×4 toRGB), "8×8", …, "32×32 rgb" (the last toRGB alone)."""
        names = []
        for layer in self.layers:
            r = layer.resolution
            names.append(f"{r}×{r} up" if layer.conv.up else f"{r}×{r}")
        r = self.layers[-1].resolution
        return [*names, f"{r}×{r} rgb"]


class Generator(nn.Module):
    """Mapping and synthesis together; crops 32 → 28 px for a 28 px model."""

    def __init__(self, config: StyleGANConfig) -> None:
        super().__init__()
        self.mapping = MappingNetwork(config.z_dim, config.w_dim, config.mapping_layers,
                                      config.mapping_lr_mult, config.w_avg_beta)
        self.synthesis = SynthesisNetwork(config.w_dim, config.g_channels, config.channels)
        self.num_ws = self.synthesis.num_ws
        self.crop = (SYNTHESIS_RESOLUTIONS[-1] - config.image_size) // 2
        self.output_tanh = config.output_tanh

    def synthesize(self, ws: torch.Tensor, noise_mode: str = "const",
                   noise_layers: Sequence[bool] | None = None) -> torch.Tensor:
        """Return images (in [-1, 1] with output_tanh, else about that; image_size px) from
        styles ws (N×num_ws×w_dim)."""
        img = self.synthesis(ws, noise_mode, noise_layers)
        if self.crop:
            img = img[:, :, self.crop:-self.crop, self.crop:-self.crop]
        return torch.tanh(img) if self.output_tanh else img

    def truncate(self, w: torch.Tensor, psi: float) -> torch.Tensor:
        """Return w̄ + ψ·(w − w̄) (any shape ending in w_dim)."""
        if psi == 1.0:
            return w
        return self.mapping.w_avg.lerp(w, psi)

    def mapped_ws(self, z: torch.Tensor, psi: float = 1.0) -> torch.Tensor:
        """Return z's w, truncated by ψ and repeated for every layer: N×num_ws×w_dim."""
        w = self.truncate(self.mapping(z), psi)
        return w.unsqueeze(1).expand(-1, self.num_ws, -1)

    def forward(self, z: torch.Tensor, psi: float = 1.0, noise_mode: str = "const"
                ) -> torch.Tensor:
        """Return images for latents z without mixing (deterministic with "const" noise)."""
        return self.synthesize(self.mapped_ws(z, psi), noise_mode)

    def training_images(self, z: torch.Tensor, mixing_prob: float) -> torch.Tensor:
        """Return fakes for a training step: random noise, w̄ updated, and with probability
        `mixing_prob` per image the styles from a random layer on taken from a second z
        (style-mixing regularisation: neighbouring styles must not rely on each other)."""
        w = self.mapping(z, update_w_avg=True)
        ws = w.unsqueeze(1).expand(-1, self.num_ws, -1)
        if mixing_prob > 0:
            n = z.shape[0]
            w2 = self.mapping(torch.randn_like(z))
            cutoff = torch.randint(1, self.num_ws, (n,), device=z.device)
            mixed = torch.rand(n, device=z.device) < mixing_prob
            cutoff = torch.where(mixed, cutoff, torch.full_like(cutoff, self.num_ws))
            take_second = torch.arange(self.num_ws, device=z.device)[None, :] >= cutoff[:, None]
            ws = torch.where(take_second[:, :, None], w2.unsqueeze(1), ws)
        return self.synthesize(ws, "random")


class DiscriminatorBlock(nn.Module):
    """3×3 conv, 2× average pool, 3×3 conv to more channels; a pooled 1×1 skip; sum / √2."""

    def __init__(self, in_ch: int, out_ch: int) -> None:
        super().__init__()
        self.conv0 = EqualConv2d(in_ch, in_ch, 3)
        self.conv1 = EqualConv2d(in_ch, out_ch, 3)
        self.skip = EqualConv2d(in_ch, out_ch, 1, bias=False, activate=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return the half-size map."""
        # Pooling before conv1 (not after) does its work on a quarter of the pixels.
        y = self.conv1(F.avg_pool2d(self.conv0(x), 2))
        return (self.skip(F.avg_pool2d(x, 2)) + y) / math.sqrt(2.0)


class Discriminator(nn.Module):
    """Residual discriminator: fromRGB, two halving blocks (28→14→7 or 32→16→8), the
    minibatch standard deviation channel, a 3×3 conv and two dense layers → one logit."""

    # Groups of 32 (StyleGAN2-ADA's small-image setting; 4 at high resolution, for
    # memory): a steadier estimate of the batch's variety than 4 images give.
    MBSTD_GROUP = 32

    def __init__(self, config: StyleGANConfig) -> None:
        super().__init__()
        c0, c1, c2 = config.d_channels
        self.from_rgb = EqualConv2d(config.channels, c0, 1)
        self.blocks = nn.Sequential(DiscriminatorBlock(c0, c1), DiscriminatorBlock(c1, c2))
        size = config.image_size // 4
        self.conv = EqualConv2d(c2 + 1, c2, 3)
        self.fc = EqualLinear(c2 * size * size, c2, activate=True)
        self.out = EqualLinear(c2, 1)

    def minibatch_std(self, x: torch.Tensor) -> torch.Tensor:
        """Return x with one more channel: the mean standard deviation of its features over
        groups of up to MBSTD_GROUP images, so D can see a batch lacking variety (mode
        collapse)."""
        n, c, h, w = x.shape
        g = min(self.MBSTD_GROUP, n)
        if n % g:
            g = 1 if n == 1 else math.gcd(n, g)
        y = x.reshape(g, -1, c, h, w)
        # By hand: torch's var over the leading dim took 11 ms here, this 0.3 ms.
        y = y - y.mean(dim=0)
        y = (y.square().mean(dim=0) + 1e-8).sqrt().mean(dim=(1, 2, 3))  # n/g
        y = y.reshape(-1, 1, 1, 1).repeat(g, 1, h, w)
        return torch.cat([x, y], dim=1)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Return one raw logit per image (N); `y` is ignored (unconditional)."""
        h = self.blocks(self.from_rgb(x))
        h = self.conv(self.minibatch_std(h))
        return self.out(self.fc(h.flatten(1))).squeeze(1)
