"""Config dataclasses of the GAN family (no torch import).

Every GAN has two Adam optimisers, each with its own learning rate (`lr_g`, `lr_d`) and
betas (`beta1_g`, `beta2_g`, `beta1_d`, `beta2_d`); `TrainConfig.lr` is ignored by these
families, because the one good default for a VAE (1e-3) makes adversarial training diverge.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.config import ModelConfig, param


def conv_levels(image_size: int) -> int:
    """Return how many stride-2 levels take `image_size` down to a 4–8 px base.

    Halves while the size stays even and above 8 (28→14→7: 2, 32→16→8: 2, 64→…→4: 4);
    raises ValueError when the base would be larger than 8 px (e.g. 30 → 15).
    """
    levels, size = 0, image_size
    while size > 8 and size % 2 == 0:
        size //= 2
        levels += 1
    if size > 8 or levels == 0:
        raise ValueError(f"image_size {image_size} does not halve to 8 px or less; "
                         f"use 28, 32 or 64")
    # 64 px: go on to the classic DCGAN 4×4 base (one more level), not 8×8.
    if size == 8 and image_size >= 64:
        levels += 1
    return levels


@dataclass(frozen=True)
class AdversarialConfig(ModelConfig):
    """What every GAN shares: the latent size and separate optimisers for G and D."""

    latent_dim: int = param(64, "latent dimensions of the generator's input", min=1, max=4096)
    lr_g: float = param(2e-4, "generator learning rate (GANs ignore --lr)", min=0.0, max=1.0)
    lr_d: float = param(2e-4, "discriminator learning rate (GANs ignore --lr)",
                        min=0.0, max=1.0)
    beta1_g: float = param(0.5, "Adam β1 of the generator", min=0.0, max=0.9999,
                           advanced=True)
    beta2_g: float = param(0.999, "Adam β2 of the generator", min=0.0, max=0.99999,
                           advanced=True)
    beta1_d: float = param(0.5, "Adam β1 of the discriminator", min=0.0, max=0.9999,
                           advanced=True)
    beta2_d: float = param(0.999, "Adam β2 of the discriminator", min=0.0, max=0.99999,
                           advanced=True)
    spectral_norm: bool = param(False, "spectral normalisation on the discriminator "
                                "(a conv discriminator then drops its batch norm)",
                                advanced=True)


@dataclass(frozen=True)
class GANConfig(AdversarialConfig):
    """MLP GAN: z → hidden layers → image (tanh); image → hidden layers → one logit."""

    hidden_dims: tuple[int, ...] = param((256, 512), "widths of the generator's hidden layers "
                                         "(the discriminator uses them reversed)",
                                         min=1, max=16384)


@dataclass(frozen=True)
class DCGANConfig(AdversarialConfig):
    """DCGAN: dense → transposed-conv generator, strided-conv discriminator.

    28/32 px use two up-sampling levels from a 7/8 px base, 64 px four from 4 px.
    """

    g_width: int = param(64, "channels of the generator's last level (doubling inwards)",
                         min=4, max=1024)
    # Half the generator's width: on mnist5k this matched or beat 64 per epoch and made
    # each step about a fifth faster (D runs three times per step).
    d_width: int = param(32, "channels of the discriminator's first level (doubling inwards)",
                         min=4, max=1024)

    def validate(self) -> None:
        """Raise ValueError for an image size the conv stack cannot halve cleanly."""
        super().validate()
        conv_levels(self.image_size)


@dataclass(frozen=True)
class WGANGPConfig(DCGANConfig):
    """WGAN-GP: DCGAN generator, normalisation-free critic, Wasserstein loss + gradient penalty.

    Each trainer step is one critic update on a fresh real batch; the generator updates on
    every `n_critic`-th step (Gulrajani et al. 2017, Algorithm 1).
    """

    lr_g: float = param(1e-4, "generator learning rate (GANs ignore --lr)", min=0.0, max=1.0)
    lr_d: float = param(1e-4, "critic learning rate (GANs ignore --lr)", min=0.0, max=1.0)
    beta1_g: float = param(0.0, "Adam β1 of the generator", min=0.0, max=0.9999,
                           advanced=True)
    beta2_g: float = param(0.9, "Adam β2 of the generator", min=0.0, max=0.99999,
                           advanced=True)
    beta1_d: float = param(0.0, "Adam β1 of the critic", min=0.0, max=0.9999,
                           advanced=True)
    beta2_d: float = param(0.9, "Adam β2 of the critic", min=0.0, max=0.99999,
                           advanced=True)
    n_critic: int = param(5, "critic steps per generator step", min=1, max=100)
    gp_weight: float = param(10.0, "weight λ of the gradient penalty", min=0.0, max=1e4)


@dataclass(frozen=True)
class CGANConfig(DCGANConfig):
    """Class-conditional DCGAN: one-hot label into the generator, projection discriminator."""
