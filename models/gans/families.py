"""The four GAN families: gan (MLP), dcgan (conv), wgan-gp (critic + penalty), cgan (labels)."""

from __future__ import annotations

import torch

from models.gans.base import GANBase
from models.gans.config import CGANConfig, DCGANConfig, GANConfig, WGANGPConfig
from models.gans.losses import grad_norm, gradient_penalty
from models.gans.networks import (
    ConvDiscriminator,
    ConvGenerator,
    MLPDiscriminator,
    MLPGenerator,
    dcgan_init,
)


class GAN(GANBase):
    """MLP generator and discriminator with the non-saturating loss."""

    family = "gan"
    config_class = GANConfig

    def __init__(self, config: GANConfig) -> None:
        super().__init__(config)
        shape = (config.channels, config.image_size, config.image_size)
        hidden = list(config.hidden_dims)
        self.generator = MLPGenerator(config.latent_dim, hidden, shape)
        self.discriminator = MLPDiscriminator(shape[0] * shape[1] * shape[2],
                                              list(reversed(hidden)), config.spectral_norm)


class DCGAN(GANBase):
    """Convolutional GAN (Radford et al. 2016) for 28/32/64 px, 1 or 3 channels."""

    family = "dcgan"
    config_class = DCGANConfig
    _critic = False  # True for WGAN-GP, whose critic must not batch-normalise

    def __init__(self, config: DCGANConfig) -> None:
        super().__init__(config)
        extra = config.num_classes if self.conditional else 0
        self.generator = ConvGenerator(config.latent_dim + extra, config.g_width,
                                       config.channels, config.image_size)
        self.discriminator = ConvDiscriminator(
            config.d_width, config.channels, config.image_size,
            norm="none" if config.spectral_norm or self._critic else "batch",
            spectral=config.spectral_norm, num_classes=extra)
        dcgan_init(self)


class CGAN(DCGAN):
    """Class-conditional DCGAN: one-hot label into G, projection discriminator."""

    family = "cgan"
    config_class = CGANConfig
    conditional = True


class WGANGP(DCGAN):
    """DCGAN generator against a Wasserstein critic with gradient penalty (Gulrajani 2017).

    Each trainer step is one critic update on its own real batch; G updates on every
    `n_critic`-th step. The step counter and G's last gradient norm are buffers, so they
    are saved with the weights and a resumed run continues the same schedule.
    """

    family = "wgan-gp"
    config_class = WGANGPConfig
    _critic = True

    def __init__(self, config: WGANGPConfig) -> None:
        super().__init__(config)
        self.register_buffer("critic_steps", torch.zeros((), dtype=torch.long))
        self.register_buffer("last_grad_norm_g", torch.zeros(()))

    def training_step(self, x: torch.Tensor, y: torch.Tensor,
                      optimizers: dict[str, torch.optim.Optimizer]) -> dict[str, torch.Tensor]:
        """Run one critic step (and a G step every n_critic-th call).

        Returns loss (= loss_g = −mean critic(fake)), loss_d (with penalty), d_real and
        d_fake (mean critic scores), wasserstein (d_real − d_fake), gp, grad_norm_d and
        grad_norm_g (of G's latest update).
        """
        real = x * 2.0 - 1.0
        n, dim = len(x), self.config.latent_dim
        with torch.no_grad():
            fake = self._generate(torch.randn(n, dim, device=x.device), None)
        opt_d = optimizers["discriminator"]
        opt_d.zero_grad(set_to_none=True)
        s_real = self.discriminator(real).mean()
        s_fake = self.discriminator(fake).mean()
        gp = gradient_penalty(self.discriminator, real, fake)
        loss_d = s_fake - s_real + self.config.gp_weight * gp
        self.backward(loss_d)
        self.unscale(opt_d)
        norm_d = grad_norm(list(self.discriminator.parameters()))
        self.optimizer_step(opt_d)
        self.critic_steps += 1
        if int(self.critic_steps) % self.config.n_critic == 0:
            fake_g = self._generate(torch.randn(n, dim, device=x.device), None)
            loss_g, norm_g = self._generator_step(optimizers["generator"], fake_g, None,
                                                  lambda s: -s.mean())
            self.last_grad_norm_g.copy_(norm_g)
        else:
            # G's loss on this batch's fakes: the same quantity, without updating G.
            loss_g = -s_fake.detach()
        return {"loss": loss_g, "loss_g": loss_g, "loss_d": loss_d.detach(),
                "d_real": s_real.detach(), "d_fake": s_fake.detach(),
                "wasserstein": (s_real - s_fake).detach(), "gp": gp.detach(),
                "grad_norm_g": self.last_grad_norm_g.clone(), "grad_norm_d": norm_d}

    @torch.no_grad()
    def validation_step(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        """Return critic scores of held-out reals vs fakes from a fixed seed.

        Keys: loss (= loss_g), loss_g, loss_d (without penalty: it needs gradients),
        d_real, d_fake and wasserstein (d_real − d_fake, the critic's distance estimate).
        """
        fake, _ = self._val_fakes(x, y)
        s_real = self.discriminator(x * 2.0 - 1.0).mean()
        s_fake = self.discriminator(fake).mean()
        return {"loss": -s_fake, "loss_g": -s_fake, "loss_d": s_fake - s_real,
                "d_real": s_real, "d_fake": s_fake, "wasserstein": s_real - s_fake}
