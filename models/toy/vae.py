"""2-D VAE with a 2-D latent: Gaussian encoder and decoder (the decoder's variance is
learned, so the ELBO is a true lower bound on log p(x) in nats)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from models.toy.base import ToyConfig, ToyModel, as_tensor, mlp, to_numpy


@dataclass
class ToyVAEConfig(ToyConfig):
    """beta weighs the KL term (1 = the ELBO); the decoder's log-variance starts at
    `init_log_var` and is learned."""

    latent_dim: int = 2
    beta: float = 1.0
    init_log_var: float = -2.0
    lr: float = 3e-3


class ToyVAE(ToyModel):
    """q(z|x) = N(μ(x), diag σ²(x)), p(z) = N(0, I), p(x|z) = N(f(z), diag s²)."""

    family = "vae"
    config: ToyVAEConfig

    def build(self) -> None:
        c = self.config
        self.enc = mlp(2, 2 * c.latent_dim, c.hidden, c.layers)
        self.dec = mlp(c.latent_dim, 2, c.hidden, c.layers)
        self.log_var_x = torch.nn.Parameter(torch.full((2,), c.init_log_var))
        params = [*self.enc.parameters(), *self.dec.parameters(), self.log_var_x]
        self.opt = torch.optim.Adam(params, lr=c.lr)

    def _terms(self, x: torch.Tensor, gen: torch.Generator | None = None):
        mu, log_var = self.enc(x).chunk(2, dim=1)
        z = mu + (0.5 * log_var).exp() * torch.randn(mu.shape, generator=gen or self.gen)
        recon = self.dec(z)
        nll = 0.5 * (((x - recon) ** 2) / self.log_var_x.exp() + self.log_var_x
                     + math.log(2 * math.pi)).sum(1)
        kl = 0.5 * (mu ** 2 + log_var.exp() - 1 - log_var).sum(1)
        return nll, kl

    def train_step(self) -> dict[str, float]:
        nll, kl = self._terms(self.batch())
        loss = (nll + self.config.beta * kl).mean()
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        n, k = nll.mean().item(), kl.mean().item()
        return {"recon_nll": n, "kl": k, "neg_elbo": n + k}

    @torch.no_grad()
    def elbo(self, points: np.ndarray, seed: int = 0) -> float:
        """Return the mean ELBO (nats) of the points: a lower bound on their log-likelihood,
        one posterior sample per point."""
        nll, kl = self.elbo_terms(points, seed)
        return float((-nll - kl).mean())

    @torch.no_grad()
    def elbo_terms(self, points: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Return each point's reconstruction NLL −log p(x|z) at one posterior sample z and
        its KL(q(z|x) ‖ p(z)), in nats: −ELBO = NLL + KL (β plays no part here)."""
        nll, kl = self._terms(as_tensor(points), torch.Generator().manual_seed(seed))
        return to_numpy(nll), to_numpy(kl)

    @torch.no_grad()
    def iwae(self, points: np.ndarray, k: int = 64, seed: int = 0) -> np.ndarray:
        """Return each point's importance-weighted bound (nats) with k posterior samples:
        log (1/k) Σ p(x|z)p(z)/q(z|x). It is ≥ the ELBO in expectation and rises to
        log p(x) as k grows, so it is the closest the VAE comes to a log-likelihood."""
        x = as_tensor(points)
        mu, log_var = self.enc(x).chunk(2, dim=1)
        eps = torch.randn((k, *mu.shape), generator=torch.Generator().manual_seed(seed))
        z = mu + (0.5 * log_var).exp() * eps  # (k, n, latent)
        log2pi = math.log(2 * math.pi)
        log_q = -0.5 * (eps ** 2 + log_var + log2pi).sum(-1)
        log_prior = -0.5 * (z ** 2 + log2pi).sum(-1)
        recon = self.dec(z.reshape(-1, mu.shape[1])).reshape(k, len(x), 2)
        log_px = -0.5 * (((x - recon) ** 2) / self.log_var_x.exp() + self.log_var_x
                         + log2pi).sum(-1)
        w = log_px + log_prior - log_q
        return to_numpy(torch.logsumexp(w, 0) - math.log(k))

    @torch.no_grad()
    def sample(self, n: int, seed: int = 0, noise: bool = False) -> np.ndarray:
        """Return decoder means of n prior draws (plus the decoder's noise if `noise`)."""
        g = torch.Generator().manual_seed(seed)
        x = self.dec(self._prior(n, g))
        if noise:
            x = x + (0.5 * self.log_var_x).exp() * torch.randn(x.shape, generator=g)
        return to_numpy(x)

    def prior_draws(self, n: int, seed: int = 0) -> np.ndarray:
        """Return the n latents z ~ p(z) whose decoder means `sample(n, seed)` returns."""
        return to_numpy(self._prior(n, torch.Generator().manual_seed(seed)))

    def _prior(self, n: int, g: torch.Generator) -> torch.Tensor:
        return torch.randn(n, self.config.latent_dim, generator=g)

    @torch.no_grad()
    def encode(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the posterior means and variances (n, latent) of the points (ellipses)."""
        mu, log_var = self.enc(as_tensor(points)).chunk(2, dim=1)
        return to_numpy(mu), to_numpy(log_var.exp())

    @torch.no_grad()
    def decode(self, z: np.ndarray) -> np.ndarray:
        """Return the decoder means of latents z (a latent grid for the decoder's image)."""
        return to_numpy(self.dec(as_tensor(z)))
