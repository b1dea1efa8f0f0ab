"""Config dataclasses of the autoencoder family (no torch import)."""

from __future__ import annotations

from dataclasses import dataclass

from models.config import ModelConfig, param


@dataclass(frozen=True)
class AEConfig(ModelConfig):
    """MLP autoencoder: image → hidden layers → latent → hidden layers → image."""

    latent_dim: int = param(2, "latent dimensions (2 can be mapped directly)", min=1, max=4096)
    hidden_dims: tuple[int, ...] = param((512, 256), "widths of the hidden layers, encoder side",
                                         min=1, max=16384)
    likelihood: str = param("bernoulli", "reconstruction loss: bernoulli (BCE) or gaussian (MSE)",
                            choices=("bernoulli", "gaussian"))
    obs_std: float = param(0.1, "σ of the gaussian likelihood (gaussian only)", min=1e-4,
                           max=10.0, advanced=True)


@dataclass(frozen=True)
class VAEConfig(AEConfig):
    """MLP VAE; β weights the KL term (β = 1: the ELBO; β > 1: β-VAE)."""

    beta: float = param(1.0, "weight of the KL term (β-VAE when above 1)", min=0.0, max=1000.0)


@dataclass(frozen=True)
class CVAEConfig(VAEConfig):
    """VAE whose encoder and decoder both see the one-hot class label."""


@dataclass(frozen=True)
class ConvVAEConfig(ModelConfig):
    """Convolutional VAE; each conv level halves the image (28→14→7, 32→16→8)."""

    latent_dim: int = param(16, "latent dimensions", min=1, max=4096)
    conv_channels: tuple[int, ...] = param((32, 64), "channels of each stride-2 conv level",
                                           min=1, max=2048)
    fc_dim: int = param(256, "width of the dense layer between convs and latent", min=1, max=16384)
    likelihood: str = param("bernoulli", "reconstruction loss: bernoulli (BCE) or gaussian (MSE)",
                            choices=("bernoulli", "gaussian"))
    obs_std: float = param(0.1, "σ of the gaussian likelihood (gaussian only)", min=1e-4,
                           max=10.0, advanced=True)
    beta: float = param(1.0, "weight of the KL term (β-VAE when above 1)", min=0.0, max=1000.0)

    def validate(self) -> None:
        """Raise ValueError when the image size does not halve cleanly at every level."""
        super().validate()
        levels = len(self.conv_channels)
        if self.image_size % (2 ** levels):
            raise ValueError(f"image_size {self.image_size} does not halve {levels} times; "
                             f"use fewer conv_channels levels or a size divisible by {2 ** levels}")
