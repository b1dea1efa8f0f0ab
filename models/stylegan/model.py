"""The `stylegan` family: training (non-saturating loss, lazy R1, style mixing), the EMA
generator that samples, and the tracked mean w̄ truncation pulls towards."""

from __future__ import annotations

from typing import Any

import torch

from models.base import Capabilities
from models.config import TrainConfig
from models.gans.base import GANBase
from models.gans.losses import grad_norm, ns_discriminator_loss, ns_generator_loss
from models.stylegan.config import StyleGANConfig
from models.stylegan.networks import Discriminator, Generator


def r1_penalty(discriminator: torch.nn.Module, real: torch.Tensor
               ) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (D's logits on `real`, E‖∇ₓD(x)‖²) with the graph kept for backprop.

    R1 (Mescheder et al. 2018) penalises D's gradient on real data only.
    """
    real = real.detach().requires_grad_(True)
    logits = discriminator(real)
    (grad,) = torch.autograd.grad(logits.sum(), real, create_graph=True)
    return logits, grad.square().sum(dim=(1, 2, 3)).mean()


class StyleGAN(GANBase):
    """StyleGAN2-style generator and residual discriminator for 28/32 px, 1 or 3 channels.

    `generator` trains; `generator_ema` (an exponential moving average of its weights,
    w̄ copied) decodes, samples and previews, as StyleGAN's G_ema does — unless ema_beta
    is 0, when the trained generator is used. The latent the window sees is z (z_dim);
    W-space tools are in models/stylegan/wspace.py.
    """

    family = "stylegan"
    config_class = StyleGANConfig

    def __init__(self, config: StyleGANConfig) -> None:
        super().__init__(config)
        self.generator = Generator(config)
        self.discriminator = Discriminator(config)
        self.generator_ema = Generator(config).requires_grad_(False)
        self.generator_ema.load_state_dict(self.generator.state_dict())
        # Steps taken (lazy R1 runs on every r1_every-th) and the last R1 value: buffers,
        # so a resumed run keeps the schedule and logs the same numbers.
        self.register_buffer("steps_done", torch.zeros((), dtype=torch.long))
        self.register_buffer("last_r1", torch.zeros(()))

    # --- description -------------------------------------------------------------------
    @property
    def latent_dim(self) -> int:
        """Return z_dim, the size of the latent the generator takes."""
        return int(self.config.z_dim)

    @property
    def capabilities(self) -> Capabilities:
        """Return: cannot encode, N(0, I) prior over z, latent (z_dim,)."""
        return Capabilities(can_encode=False, conditional=False, is_diffusion=False,
                            latent_shape=(self.config.z_dim,), has_prior=True)

    @property
    def sampling_generator(self) -> Generator:
        """Return the generator that draws pictures: the EMA one unless ema_beta is 0."""
        return self.generator_ema if self.config.ema_beta > 0 else self.generator

    # --- generation --------------------------------------------------------------------
    def _latents(self, n: int, seed: int) -> torch.Tensor:
        g = torch.Generator().manual_seed(seed)
        return torch.randn(n, self.config.z_dim, generator=g).to(self.device)

    def _generate(self, z: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        """Return the trained G's images for z, constant noise and no mixing (validation)."""
        return self.generator(z, noise_mode="const")

    @torch.no_grad()
    def decode(self, z: torch.Tensor, labels: torch.Tensor | None = None,
               psi: float | None = None) -> torch.Tensor:
        """Return images in [0, 1] from latents z (N×z_dim): the sampling generator with
        constant noise, truncated by ψ (default: the config's truncation_psi)."""
        psi = self.config.truncation_psi if psi is None else psi
        x = self.sampling_generator(z.to(self.device), psi=psi, noise_mode="const")
        return ((x + 1.0) * 0.5).clamp(0.0, 1.0)

    @torch.no_grad()
    def sample(self, n: int, seed: int, labels: torch.Tensor | None = None,
               **options: Any) -> torch.Tensor:
        """Return n images in [0, 1] from latents fixed by `seed`; option `psi` truncates."""
        return self.decode(self._latents(n, seed), psi=options.get("psi"))

    # --- training ----------------------------------------------------------------------
    def configure_optimizers(self, train: TrainConfig) -> dict[str, torch.optim.Optimizer]:
        """Return Adam for G and D with betas (beta1, beta2).

        D's rate and betas are adjusted for lazy R1 as in StyleGAN2 (lr·k, β^k with
        k = r1_every/(r1_every+1)), since its penalty steps come every r1_every-th step.
        """
        c = self.config
        k = c.r1_every / (c.r1_every + 1) if c.r1_gamma > 0 else 1.0
        return {
            "generator": torch.optim.Adam(self.generator.parameters(), lr=c.lr_g,
                                          betas=(c.beta1, c.beta2)),
            "discriminator": torch.optim.Adam(self.discriminator.parameters(), lr=c.lr_d * k,
                                              betas=(c.beta1**k, c.beta2**k)),
        }

    def training_step(self, x: torch.Tensor, y: torch.Tensor,
                      optimizers: dict[str, torch.optim.Optimizer]) -> dict[str, torch.Tensor]:
        """Run one D step (with R1 on every r1_every-th step) and one G step.

        Returns loss (= loss_g), loss_g, loss_d (without R1), d_real and d_fake (mean D
        probabilities), r1 (E‖∇D(real)‖² at the latest R1 step), grad_norm_g, grad_norm_d.
        """
        c = self.config
        real = x * 2.0 - 1.0
        z = torch.randn(len(x), c.z_dim, device=x.device)
        fake = self.generator.training_images(z, c.style_mixing_prob)
        lazy_r1 = c.r1_gamma > 0 and int(self.steps_done) % c.r1_every == 0
        opt_d = optimizers["discriminator"]
        opt_d.zero_grad(set_to_none=True)
        if lazy_r1:
            real_logits, r1 = r1_penalty(self.discriminator, real)
        else:
            real_logits = self.discriminator(real)
        fake_logits = self.discriminator(fake.detach())
        loss_d = ns_discriminator_loss(real_logits, fake_logits)
        total = loss_d + (r1 * (c.r1_gamma / 2 * c.r1_every) if lazy_r1 else 0.0)
        self.backward(total)
        self.unscale(opt_d)
        norm_d = grad_norm(list(self.discriminator.parameters()))
        self.optimizer_step(opt_d)
        if lazy_r1:
            self.last_r1.copy_(r1.detach())
        self.steps_done += 1
        loss_g, norm_g = self._generator_step(optimizers["generator"], fake, None,
                                              ns_generator_loss)
        return {"loss": loss_g, "loss_g": loss_g, "loss_d": loss_d.detach(),
                "d_real": torch.sigmoid(real_logits.detach()).mean(),
                "d_fake": torch.sigmoid(fake_logits.detach()).mean(),
                "r1": self.last_r1.clone(), "grad_norm_g": norm_g, "grad_norm_d": norm_d}

    @torch.no_grad()
    def after_training_step(self) -> None:
        """Move the EMA generator towards the trained one; copy w̄ and the noise buffers."""
        beta = self.config.ema_beta
        if beta <= 0:
            return
        for p_ema, p in zip(self.generator_ema.parameters(), self.generator.parameters(),
                            strict=True):
            p_ema.lerp_(p, 1.0 - beta)
        for b_ema, b in zip(self.generator_ema.buffers(), self.generator.buffers(),
                            strict=True):
            b_ema.copy_(b)
