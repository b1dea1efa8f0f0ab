"""Behaviour shared by every GAN: optimisers, the adversarial step, sampling, validation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from models.base import Capabilities, GenerativeModel
from models.config import TrainConfig
from models.gans.losses import grad_norm, ns_discriminator_loss, ns_generator_loss

# Validation draws its fakes from this fixed seed, never from torch's global RNG, so that
# validating does not shift the random stream a resumed run must reproduce.
VAL_SEED = 20240


class GANBase(GenerativeModel):
    """A generator G (z[, one-hot y] → tanh image) against a discriminator D (image[, y] → score).

    Subclasses build `self.generator` and `self.discriminator`. Training sees images in
    [0, 1] and rescales them to G's [-1, 1]; `decode` maps G's output back to [0, 1].
    """

    conditional = False

    # --- description -------------------------------------------------------------------
    @property
    def capabilities(self) -> Capabilities:
        """Return: cannot encode, has a N(0, I) prior, latent (latent_dim,)."""
        return Capabilities(can_encode=False, conditional=self.conditional, is_diffusion=False,
                            latent_shape=(self.config.latent_dim,), has_prior=True)

    @property
    def latent_dim(self) -> int:
        """Return the number of latent values the generator takes per image."""
        return int(self.config.latent_dim)

    # --- generator plumbing ------------------------------------------------------------
    def _labels(self, y: torch.Tensor | None) -> torch.Tensor | None:
        """Return y on the model's device (conditional models), else None."""
        if not self.conditional:
            return None
        if y is None:
            raise ValueError(f"{self.family} needs class labels")
        return y.to(self.device, torch.long)

    def _generate(self, z: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        """Return G's images in [-1, 1] for latents z (and labels y when conditional)."""
        if y is not None:
            z = torch.cat([z, nn.functional.one_hot(y, self.config.num_classes).to(z.dtype)],
                          dim=1)
        return self.generator(z)

    def _latents(self, n: int, seed: int) -> torch.Tensor:
        """Return n standard-normal latents fixed by `seed` (drawn on the CPU, any device)."""
        g = torch.Generator().manual_seed(seed)
        return torch.randn(n, self.config.latent_dim, generator=g).to(self.device)

    # --- the public API ----------------------------------------------------------------
    @torch.no_grad()
    def decode(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Return images in [0, 1] generated from latents z (N×latent_dim).

        The generator runs with its batch-norm running statistics (eval mode), so one
        latent decodes to the same image alone or inside a batch.
        """
        was_training = self.generator.training
        self.generator.eval()
        try:
            x = self._generate(z.to(self.device), self._labels(labels))
        finally:
            self.generator.train(was_training)
        return (x + 1.0) * 0.5

    @torch.no_grad()
    def sample(self, n: int, seed: int, labels: torch.Tensor | None = None,
               **options: Any) -> torch.Tensor:
        """Return n images in [0, 1] from prior latents fixed by `seed`.

        Conditional models default to labels 0..K-1 cycling.
        """
        if self.conditional and labels is None:
            labels = torch.arange(n) % self.config.num_classes
        return self.decode(self._latents(n, seed), labels)

    # --- training ----------------------------------------------------------------------
    def configure_optimizers(self, train: TrainConfig) -> dict[str, torch.optim.Optimizer]:
        """Return Adam for G (lr_g, beta1_g, beta2_g) and D (lr_d, beta1_d, beta2_d).

        train.lr is unused: GANs need their own, lower rates.
        """
        c = self.config
        return {
            "generator": torch.optim.Adam(self.generator.parameters(), lr=c.lr_g,
                                          betas=(c.beta1_g, c.beta2_g)),
            "discriminator": torch.optim.Adam(self.discriminator.parameters(), lr=c.lr_d,
                                              betas=(c.beta1_d, c.beta2_d)),
        }

    def _train_labels(self, y: torch.Tensor) -> torch.Tensor | None:
        if not self.conditional:
            return None
        if bool((y < 0).any()):
            raise ValueError(f"{self.family} needs a dataset where every image has a class "
                             f"label")
        return y

    def _generator_step(self, opt: torch.optim.Optimizer, fake: torch.Tensor,
                        y: torch.Tensor | None,
                        loss_fn: Callable[[torch.Tensor], torch.Tensor]
                        ) -> tuple[torch.Tensor, torch.Tensor]:
        """Update G once from `fake` (with its graph); return (loss, gradient norm).

        D's weights are frozen meanwhile: G's loss needs gradients through D, not of D.
        """
        self.discriminator.requires_grad_(False)
        try:
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(self.discriminator(fake, y))
            self.backward(loss)
            self.unscale(opt)
            norm = grad_norm(list(self.generator.parameters()))
            self.optimizer_step(opt)
        finally:
            self.discriminator.requires_grad_(True)
        return loss.detach(), norm

    def training_step(self, x: torch.Tensor, y: torch.Tensor,
                      optimizers: dict[str, torch.optim.Optimizer]) -> dict[str, torch.Tensor]:
        """Run one D step then one G step (non-saturating loss).

        Returns loss (= loss_g), loss_g, loss_d, d_real and d_fake (mean D probabilities),
        grad_norm_g and grad_norm_d.
        """
        real = x * 2.0 - 1.0
        y = self._train_labels(y)
        z = torch.randn(len(x), self.config.latent_dim, device=x.device)
        fake = self._generate(z, y)
        opt_d = optimizers["discriminator"]
        opt_d.zero_grad(set_to_none=True)
        real_logits = self.discriminator(real, y)
        fake_logits = self.discriminator(fake.detach(), y)
        loss_d = ns_discriminator_loss(real_logits, fake_logits)
        self.backward(loss_d)
        self.unscale(opt_d)
        norm_d = grad_norm(list(self.discriminator.parameters()))
        self.optimizer_step(opt_d)
        # G's step reuses this batch of fakes (as the PyTorch DCGAN example does): a fresh
        # z would cost another generator pass for no known gain.
        loss_g, norm_g = self._generator_step(optimizers["generator"], fake, y,
                                              ns_generator_loss)
        return {"loss": loss_g, "loss_g": loss_g, "loss_d": loss_d.detach(),
                "d_real": torch.sigmoid(real_logits.detach()).mean(),
                "d_fake": torch.sigmoid(fake_logits.detach()).mean(),
                "grad_norm_g": norm_g, "grad_norm_d": norm_d}

    # --- validation --------------------------------------------------------------------
    def _val_fakes(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor,
                                                                     torch.Tensor | None]:
        """Return (fakes in [-1, 1] from the fixed validation seed, labels used).

        Unconditional models draw the first len(x) fakes of one fixed batch, generated
        once per validation pass: G costs 2–3× D here, and a pass over 500 images would
        otherwise regenerate nearly the same fakes for every batch.
        """
        if self.conditional:
            labels = y if bool((y >= 0).all()) else \
                torch.arange(len(x), device=x.device) % self.config.num_classes
            return self._generate(self._latents(len(x), VAL_SEED), labels), labels
        key = self._generator_version()
        cached = self.__dict__.get("_val_cache")
        if cached is None or cached[0] != key or len(cached[1]) < len(x):
            cached = (key, self._generate(self._latents(len(x), VAL_SEED), None))
            self.__dict__["_val_cache"] = cached
        return cached[1][:len(x)], None

    def _generator_version(self) -> tuple[tuple[int, int], ...]:
        """Return what changes whenever G's weights or statistics do: every tensor's storage
        and in-place version counter (optimiser steps and load_state_dict bump it)."""
        tensors = [*self.generator.parameters(), *self.generator.buffers()]
        return tuple((t.data_ptr(), t._version) for t in tensors)

    def train(self, mode: bool = True) -> GANBase:
        """Switch train/eval mode; drops cached validation fakes (a new pass begins)."""
        self.__dict__.pop("_val_cache", None)
        return super().train(mode)

    @torch.no_grad()
    def validation_step(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        """Return D's view of held-out reals vs fakes from a fixed seed.

        Keys: loss (= loss_g), loss_g, loss_d, d_real, d_fake (mean probabilities) and
        d_accuracy (share of reals and fakes D classifies correctly).
        """
        fake, labels = self._val_fakes(x, y)
        real_logits = self.discriminator(x * 2.0 - 1.0, labels)
        fake_logits = self.discriminator(fake, labels)
        loss_g = ns_generator_loss(fake_logits)
        accuracy = 0.5 * ((real_logits > 0).float().mean() + (fake_logits < 0).float().mean())
        return {"loss": loss_g, "loss_g": loss_g,
                "loss_d": ns_discriminator_loss(real_logits, fake_logits),
                "d_real": torch.sigmoid(real_logits).mean(),
                "d_fake": torch.sigmoid(fake_logits).mean(), "d_accuracy": accuracy}
