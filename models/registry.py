"""Every model family by name: its config class (torch-free) and its model class (lazy)."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from models.config import ModelConfig

if TYPE_CHECKING:
    from models.base import GenerativeModel


@dataclass(frozen=True)
class FamilySpec:
    """Where a family's config and model classes live, and a one-line description."""

    name: str
    config_path: str  # "module:Class", importable without torch
    model_path: str  # "module:Class"
    description: str


FAMILIES: dict[str, FamilySpec] = {
    spec.name: spec
    for spec in (
        FamilySpec("ae", "models.autoencoders.config:AEConfig",
                   "models.autoencoders.mlp:Autoencoder", "MLP autoencoder"),
        FamilySpec("vae", "models.autoencoders.config:VAEConfig",
                   "models.autoencoders.mlp:VAE", "MLP variational autoencoder (β-VAE)"),
        FamilySpec("conv-vae", "models.autoencoders.config:ConvVAEConfig",
                   "models.autoencoders.conv:ConvVAE", "convolutional VAE"),
        FamilySpec("cvae", "models.autoencoders.config:CVAEConfig",
                   "models.autoencoders.mlp:ConditionalVAE", "label-conditional MLP VAE"),
        FamilySpec("ddpm", "models.diffusion.config:DDPMConfig",
                   "models.diffusion.model:DDPM", "denoising diffusion model (diffusers UNet)"),
        FamilySpec("cddpm", "models.diffusion.config:CDDPMConfig",
                   "models.diffusion.model:ConditionalDDPM",
                   "class-conditional diffusion model with classifier-free guidance"),
        FamilySpec("ldm", "models.latent_diffusion.config:LDMConfig",
                   "models.latent_diffusion.model:LDM",
                   "latent diffusion: an AutoencoderKL, then a UNet on its latents"),
        FamilySpec("cldm", "models.latent_diffusion.config:CLDMConfig",
                   "models.latent_diffusion.model:ConditionalLDM",
                   "class-conditional latent diffusion with classifier-free guidance"),
        FamilySpec("gan", "models.gans.config:GANConfig",
                   "models.gans.families:GAN", "MLP GAN (non-saturating loss)"),
        FamilySpec("dcgan", "models.gans.config:DCGANConfig",
                   "models.gans.families:DCGAN", "convolutional GAN (DCGAN)"),
        FamilySpec("wgan-gp", "models.gans.config:WGANGPConfig",
                   "models.gans.families:WGANGP", "Wasserstein GAN with gradient penalty"),
        FamilySpec("cgan", "models.gans.config:CGANConfig",
                   "models.gans.families:CGAN", "class-conditional DCGAN"),
        FamilySpec("pixelcnn", "models.pixelcnn.config:PixelCNNConfig",
                   "models.pixelcnn.model:PixelCNN", "gated PixelCNN (exact likelihood)"),
        FamilySpec("realnvp", "models.flows.config:RealNVPConfig",
                   "models.flows.realnvp:RealNVP",
                   "RealNVP normalizing flow: affine couplings, multi-scale, exact bits/dim"),
        FamilySpec("stylegan", "models.stylegan.config:StyleGANConfig",
                   "models.stylegan.model:StyleGAN", "style-based GAN (StyleGAN2, W space)"),
    )
}


def _load(path: str) -> type:
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


def family_spec(name: str) -> FamilySpec:
    """Return the spec of family `name`; ValueError listing the known ones otherwise."""
    if name not in FAMILIES:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(FAMILIES)}")
    return FAMILIES[name]


def config_class(name: str) -> type[ModelConfig]:
    """Return the config dataclass of family `name` (imports no torch)."""
    return _load(family_spec(name).config_path)


def model_class(name: str) -> type[GenerativeModel]:
    """Return the model class of family `name`."""
    return _load(family_spec(name).model_path)


def build_model(name: str, config: ModelConfig) -> GenerativeModel:
    """Return a freshly initialised model of family `name`."""
    return model_class(name)(config)
