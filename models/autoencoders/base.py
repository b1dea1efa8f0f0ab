"""Behaviour shared by every autoencoder: losses, training step, sampling, reconstruction."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from models.autoencoders.losses import kl_per_dimension, reconstruction_loss
from models.base import Capabilities, GenerativeModel


def _one_hot(y: torch.Tensor | None, num_classes: int) -> torch.Tensor | None:
    if y is None:
        return None
    return nn.functional.one_hot(y.clamp(min=0), num_classes).float()


class AutoencoderBase(GenerativeModel):
    """Autoencoder with a Gaussian (VAE) or deterministic (AE) encoder.

    Subclasses build `self.encoder` (image[, one-hot] → 2×latent or latent features) via
    `_encode_raw` and `_decode_logits`. Decoders output logits; `decode` applies sigmoid.
    """

    variational = True

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        # Running moments of the codes: an AE has no prior, so it samples from these.
        self.register_buffer("code_mean", torch.zeros(config.latent_dim))
        self.register_buffer("code_std", torch.ones(config.latent_dim))

    # --- subclass hooks ----------------------------------------------------------------
    def _encode_raw(self, x: torch.Tensor, c: torch.Tensor | None) -> torch.Tensor:
        raise NotImplementedError

    def _decode_logits(self, z: torch.Tensor, c: torch.Tensor | None) -> torch.Tensor:
        raise NotImplementedError

    # --- description -------------------------------------------------------------------
    @property
    def capabilities(self) -> Capabilities:
        """Return: encodes, conditional when a cVAE, latent (latent_dim,)."""
        return Capabilities(can_encode=True, conditional=self._conditional, is_diffusion=False,
                            latent_shape=(self.config.latent_dim,), has_prior=self.variational)

    _conditional = False

    def _condition(self, y: torch.Tensor | None) -> torch.Tensor | None:
        if not self._conditional:
            return None
        if y is None:
            raise ValueError(f"{self.family} needs class labels")
        return _one_hot(y.to(self.device), self.config.num_classes)

    # --- the public API ----------------------------------------------------------------
    def encode(self, x: torch.Tensor, y: torch.Tensor | None = None
               ) -> tuple[torch.Tensor, torch.Tensor]:
        """Return (mean, log-variance) of q(z|x), each N×latent_dim (log-var 0 for an AE)."""
        h = self._encode_raw(x, self._condition(y))
        if not self.variational:
            return h, torch.zeros_like(h)
        mu, logvar = h.chunk(2, dim=1)
        return mu, logvar.clamp(-30.0, 20.0)

    def decode(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Return images in [0, 1] decoded from latents z (N×latent_dim)."""
        return torch.sigmoid(self._decode_logits(z, self._condition(y)))

    def decoder_logits(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Return the decoder's logits for latents z (N×latent_dim): the parameters of
        p(x|z), before `decode`'s sigmoid."""
        return self._decode_logits(z, self._condition(y))

    def reconstruct(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Return the decoded posterior means of x, images in [0, 1]."""
        mu, _ = self.encode(x, y)
        return self.decode(mu, y)

    def prior_latents(self, n: int, seed: int) -> torch.Tensor:
        """Return n latents from the prior (VAE) or the fitted code distribution (AE)."""
        g = torch.Generator().manual_seed(seed)
        eps = torch.randn(n, self.config.latent_dim, generator=g).to(self.device)
        if self.variational:
            return eps
        return self.code_mean + self.code_std * eps

    @torch.no_grad()
    def sample(self, n: int, seed: int, labels: torch.Tensor | None = None,
               **options: Any) -> torch.Tensor:
        """Return n decoded prior samples in [0, 1]; cVAE labels default to 0..K-1 cycling."""
        if self._conditional and labels is None:
            labels = torch.arange(n) % self.config.num_classes
        return self.decode(self.prior_latents(n, seed), labels)

    # --- losses and training -----------------------------------------------------------
    def losses(self, x: torch.Tensor, y: torch.Tensor | None, stochastic: bool = True
               ) -> dict[str, torch.Tensor]:
        """Return batch-mean loss terms: loss, recon, kl and kl_per_dim (a vector)."""
        c = self._condition(y)
        h = self._encode_raw(x, c)
        if self.variational:
            mu, logvar = h.chunk(2, dim=1)
            logvar = logvar.clamp(-30.0, 20.0)
            z = mu + torch.randn_like(mu) * (0.5 * logvar).exp() if stochastic else mu
            kl_dims = kl_per_dimension(mu, logvar).mean(0)
        else:
            z = h
            kl_dims = torch.zeros(h.shape[1], device=h.device)
        logits = self._decode_logits(z, c)
        recon = reconstruction_loss(logits, x, self.config.likelihood,
                                    self.config.obs_std).mean()
        kl = kl_dims.sum()
        beta = getattr(self.config, "beta", 0.0)
        out = {"loss": recon + beta * kl, "recon": recon, "kl_per_dim": kl_dims}
        if self.variational:
            out["kl"] = kl
        if not self.variational:
            out["codes"] = z
        return out

    def training_step(self, x: torch.Tensor, y: torch.Tensor,
                      optimizers: dict[str, torch.optim.Optimizer]) -> dict[str, torch.Tensor]:
        """Run one Adam step on the (β-)ELBO; return loss, recon and (VAE) kl."""
        opt = optimizers["model"]
        opt.zero_grad(set_to_none=True)
        terms = self.losses(x, y)
        self.backward(terms["loss"])
        self.optimizer_step(opt)
        if not self.variational:
            self._update_code_moments(terms["codes"].detach())
        return {k: v.detach() for k, v in terms.items() if k not in ("kl_per_dim", "codes")}

    @torch.no_grad()
    def _update_code_moments(self, codes: torch.Tensor) -> None:
        self.code_mean.lerp_(codes.mean(0), 0.05)
        if len(codes) > 1:
            self.code_std.lerp_(codes.std(0), 0.05)

    @torch.no_grad()
    def validation_step(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        """Return loss terms at the posterior mean (deterministic, draws no random numbers),
        with the vector kl_per_dim for VAEs (the trainer turns it into the epoch's KL bars)."""
        terms = self.losses(x, y, stochastic=False)
        keep = ("codes",) if self.variational else ("codes", "kl_per_dim")
        return {k: v for k, v in terms.items() if k not in keep}
