"""Generator and discriminator networks. Generators output tanh images in [-1, 1].

Discriminators return one raw score per image (a logit, or a critic value for WGAN). A
conditional discriminator adds a projection term ⟨embed(y), features⟩ (Miyato & Koyama 2018).
"""

from __future__ import annotations

import itertools

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as _spectral_norm

from models.gans.config import conv_levels


def _maybe_sn(module: nn.Module, enabled: bool) -> nn.Module:
    return _spectral_norm(module) if enabled else module


def dcgan_init(module: nn.Module) -> None:
    """Initialise conv/dense/embedding weights N(0, 0.02), batch-norm scales N(1, 0.02).

    The DCGAN recipe (Radford et al. 2016).
    """
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            weight = m.parametrizations.weight.original if hasattr(m, "parametrizations") \
                else m.weight
            nn.init.normal_(weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            weight = m.parametrizations.weight.original if hasattr(m, "parametrizations") \
                else m.weight
            nn.init.normal_(weight, 0.0, 0.02)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


class MLPGenerator(nn.Module):
    """z (N×latent[+classes]) → hidden ReLU layers → N×C×H×W in [-1, 1]."""

    def __init__(self, in_dim: int, hidden: list[int], image_shape: tuple[int, int, int]
                 ) -> None:
        super().__init__()
        self.image_shape = image_shape
        layers: list[nn.Module] = []
        for a, b in itertools.pairwise([in_dim, *hidden]):
            layers += [nn.Linear(a, b), nn.BatchNorm1d(b), nn.ReLU()]
        pixels = image_shape[0] * image_shape[1] * image_shape[2]
        self.net = nn.Sequential(*layers, nn.Linear(hidden[-1], pixels), nn.Tanh())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Return images in [-1, 1]."""
        return self.net(z).view(-1, *self.image_shape)


class MLPDiscriminator(nn.Module):
    """Image → hidden LeakyReLU layers → one score per image (N)."""

    def __init__(self, pixels: int, hidden: list[int], spectral: bool) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for a, b in itertools.pairwise([pixels, *hidden]):
            layers += [_maybe_sn(nn.Linear(a, b), spectral), nn.LeakyReLU(0.2)]
        self.features = nn.Sequential(nn.Flatten(), *layers)
        self.head = _maybe_sn(nn.Linear(hidden[-1], 1), spectral)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Return raw scores, shape N."""
        return self.head(self.features(x)).squeeze(1)


class ConvGenerator(nn.Module):
    """z → dense → base map (4–8 px, width·2^(L-1) channels) → L transposed-conv levels."""

    def __init__(self, in_dim: int, width: int, channels: int, image_size: int) -> None:
        super().__init__()
        levels = conv_levels(image_size)
        self.base = image_size // 2**levels
        self.base_channels = width * 2 ** (levels - 1)
        self.project = nn.Sequential(
            nn.Linear(in_dim, self.base_channels * self.base**2, bias=False),
            nn.BatchNorm1d(self.base_channels * self.base**2), nn.ReLU())
        layers: list[nn.Module] = []
        c = self.base_channels
        for _ in range(levels - 1):
            layers += [nn.ConvTranspose2d(c, c // 2, 4, stride=2, padding=1, bias=False),
                       nn.BatchNorm2d(c // 2), nn.ReLU()]
            c //= 2
        layers += [nn.ConvTranspose2d(c, channels, 4, stride=2, padding=1), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Return images in [-1, 1]."""
        h = self.project(z).view(-1, self.base_channels, self.base, self.base)
        return self.net(h)


class ConvDiscriminator(nn.Module):
    """Image → L strided convs (width·2^i channels) → dense score, + optional projection.

    `norm` is "batch" or "none"; the WGAN-GP critic must not use batch norm, because the
    gradient penalty is defined per image.
    """

    def __init__(self, width: int, channels: int, image_size: int, *, norm: str = "batch",
                 spectral: bool = False, num_classes: int = 0) -> None:
        super().__init__()
        levels = conv_levels(image_size)
        layers: list[nn.Module] = []
        c_in, c = channels, width
        for i in range(levels):
            layers.append(_maybe_sn(nn.Conv2d(c_in, c, 4, stride=2, padding=1,
                                              bias=norm == "none" or i == 0), spectral))
            # No norm on the first level (Radford et al.): it would normalise the raw pixels.
            # Batch statistics always, also in eval mode: D is trained on all-real and
            # all-fake batches, and running averages over that mix misjudge both, which
            # made validation scores meaningless.
            if norm == "batch" and i > 0:
                layers.append(nn.BatchNorm2d(c, track_running_stats=False))
            layers.append(nn.LeakyReLU(0.2))
            c_in, c = c, c * 2
        base = image_size // 2**levels
        self.features = nn.Sequential(*layers, nn.Flatten())
        feat = c_in * base**2
        self.head = _maybe_sn(nn.Linear(feat, 1), spectral)
        self.embed = _maybe_sn(nn.Embedding(num_classes, feat), spectral) \
            if num_classes else None

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Return raw scores, shape N (labels y are required when conditional)."""
        h = self.features(x)
        out = self.head(h).squeeze(1)
        if self.embed is not None:
            if y is None:
                raise ValueError("a conditional discriminator needs class labels")
            out = out + (self.embed(y) * h).sum(1)
        return out
