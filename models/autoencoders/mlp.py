"""MLP autoencoder, MLP VAE and label-conditional MLP VAE."""

from __future__ import annotations

import itertools

import torch
from torch import nn

from models.autoencoders.base import AutoencoderBase
from models.autoencoders.config import AEConfig, CVAEConfig, VAEConfig


def mlp(sizes: list[int]) -> nn.Sequential:
    """Return Linear layers of `sizes` with ReLU between them (none after the last)."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class _MLPAutoencoder(AutoencoderBase):
    def __init__(self, config: AEConfig) -> None:
        super().__init__(config)
        self.image_shape = (config.channels, config.image_size, config.image_size)
        pixels = config.channels * config.image_size**2
        extra = config.num_classes if self._conditional else 0
        hidden = list(config.hidden_dims)
        out = config.latent_dim * (2 if self.variational else 1)
        self.encoder = mlp([pixels + extra, *hidden, out])
        self.decoder = mlp([config.latent_dim + extra, *reversed(hidden), pixels])

    def _encode_raw(self, x: torch.Tensor, c: torch.Tensor | None) -> torch.Tensor:
        h = x.flatten(1)
        if c is not None:
            h = torch.cat([h, c], dim=1)
        return self.encoder(h)

    def _decode_logits(self, z: torch.Tensor, c: torch.Tensor | None) -> torch.Tensor:
        if c is not None:
            z = torch.cat([z, c], dim=1)
        return self.decoder(z).view(-1, *self.image_shape)


class Autoencoder(_MLPAutoencoder):
    """Deterministic MLP autoencoder; samples from the running moments of its codes."""

    family = "ae"
    config_class = AEConfig
    variational = False


class VAE(_MLPAutoencoder):
    """MLP VAE with Gaussian posterior, standard normal prior and β-weighted KL."""

    family = "vae"
    config_class = VAEConfig


class ConditionalVAE(_MLPAutoencoder):
    """MLP VAE whose encoder and decoder are both given the one-hot class label."""

    family = "cvae"
    config_class = CVAEConfig
    _conditional = True
