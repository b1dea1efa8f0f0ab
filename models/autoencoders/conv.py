"""Convolutional VAE for 28×28, 32×32 (or any size halving cleanly) images, 1 or 3 channels."""

from __future__ import annotations

import torch
from torch import nn

from models.autoencoders.base import AutoencoderBase
from models.autoencoders.config import ConvVAEConfig


class ConvVAE(AutoencoderBase):
    """Stride-2 conv encoder → dense → Gaussian latent → dense → transposed-conv decoder."""

    family = "conv-vae"
    config_class = ConvVAEConfig

    def __init__(self, config: ConvVAEConfig) -> None:
        super().__init__(config)
        chans = list(config.conv_channels)
        self.feature_size = config.image_size // (2 ** len(chans))
        flat = chans[-1] * self.feature_size**2
        enc: list[nn.Module] = []
        for a, b in zip([config.channels, *chans[:-1]], chans, strict=True):
            enc += [nn.Conv2d(a, b, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
        self.encoder = nn.Sequential(*enc, nn.Flatten(),
                                     nn.Linear(flat, config.fc_dim), nn.LeakyReLU(0.2),
                                     nn.Linear(config.fc_dim, 2 * config.latent_dim))
        self.decoder_in = nn.Sequential(nn.Linear(config.latent_dim, config.fc_dim), nn.ReLU(),
                                        nn.Linear(config.fc_dim, flat), nn.ReLU())
        dec: list[nn.Module] = []
        rev = list(reversed(chans))
        for i, (a, b) in enumerate(zip(rev, [*rev[1:], config.channels], strict=True)):
            dec.append(nn.ConvTranspose2d(a, b, 4, stride=2, padding=1))
            if i < len(rev) - 1:
                dec.append(nn.ReLU())
        self.decoder = nn.Sequential(*dec)

    def _encode_raw(self, x: torch.Tensor, c: torch.Tensor | None) -> torch.Tensor:
        return self.encoder(x)

    def _decode_logits(self, z: torch.Tensor, c: torch.Tensor | None) -> torch.Tensor:
        h = self.decoder_in(z).view(-1, self.config.conv_channels[-1], self.feature_size,
                                    self.feature_size)
        return self.decoder(h)
