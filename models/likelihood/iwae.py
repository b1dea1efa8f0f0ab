"""The importance-weighted bound (Burda et al., 2016) of a VAE family on 8-bit images.

log p(x) ≥ IWAE_k(x) = E log (1/k) Σᵢ p(x|zᵢ) p(zᵢ) / q(zᵢ|x),  zᵢ ~ q(z|x),

with p(x|z) the decoder's distribution made discrete (`discretised.decoder_log_mass`), so the
bound is on the probability of the 8-bit image itself. IWAE_1 is the ELBO; the bound rises
with k towards log p(x). Works with every `AutoencoderBase` that is variational (vae,
conv-vae, cvae: given the labels).
"""

from __future__ import annotations

import math
from typing import Any

import torch

from models.likelihood.discretised import decoder_log_mass

LOG_2PI = math.log(2.0 * math.pi)
MAX_DECODES = 4096  # decoder inputs per forward pass: k × images in a chunk


def _quantised(x: torch.Tensor) -> torch.Tensor:
    """Return images as floats k/255: uint8 as they are, floats in [0, 1] rounded to 8 bits."""
    if x.dtype == torch.uint8:
        return x.float().div_(255.0)
    return (x.float().clamp(0.0, 1.0) * 255.0).round_().div_(255.0)


def _log_weights(model: Any, x: torch.Tensor, y: torch.Tensor | None, k: int,
                 generator: torch.Generator) -> torch.Tensor:
    """Return log p(x|z) + log p(z) − log q(z|x) for k posterior draws per image, k×N."""
    mu, logvar = model.encode(x, y)
    eps = torch.randn((k, *mu.shape), generator=generator).to(mu.device, mu.dtype)
    z = mu + (0.5 * logvar).exp() * eps
    log_q = -0.5 * (eps.pow(2) + logvar + LOG_2PI).sum(-1)
    log_prior = -0.5 * (z.pow(2) + LOG_2PI).sum(-1)
    ys = None if y is None else y.repeat(k)
    logits = model.decoder_logits(z.reshape(-1, mu.shape[1]), ys)
    xs = x.unsqueeze(0).expand(k, *x.shape).reshape(-1, *x.shape[1:])
    cfg = model.config
    log_px = decoder_log_mass(logits, xs, cfg.likelihood, cfg.obs_std).view(k, len(x))
    return log_px + log_prior - log_q


@torch.no_grad()
def iwae_log_likelihood(model: Any, images: torch.Tensor, k: int = 64, seed: int = 0,
                        labels: torch.Tensor | None = None) -> torch.Tensor:
    """Return IWAE_k of each image in nats (N, on the CPU): a lower bound on log P(x) of
    the 8-bit image. `labels` are the classes a conditional VAE is given (log P(x|y))."""
    if k < 1:
        raise ValueError("k must be at least 1")
    g = torch.Generator().manual_seed(seed)
    chunk = max(1, MAX_DECODES // k)
    out = []
    for start in range(0, len(images), chunk):
        x = _quantised(images[start:start + chunk]).to(model.device)
        y = None if labels is None else labels[start:start + chunk].to(model.device)
        w = _log_weights(model, x, y, k, g)
        out.append((torch.logsumexp(w.double(), 0) - math.log(k)).cpu())
    return torch.cat(out)


@torch.no_grad()
def elbo_log_likelihood(model: Any, images: torch.Tensor, samples: int = 1, seed: int = 0,
                        labels: torch.Tensor | None = None) -> torch.Tensor:
    """Return the ELBO of each image in nats (N, on the CPU): E_q log P(x|z) over `samples`
    posterior draws minus the exact KL(q(z|x) ‖ N(0, I)) — the bound the VAE's own loss
    (β = 1) estimates, with the decoder made discrete as IWAE's."""
    g = torch.Generator().manual_seed(seed)
    chunk = max(1, MAX_DECODES // samples)
    out = []
    cfg = model.config
    for start in range(0, len(images), chunk):
        x = _quantised(images[start:start + chunk]).to(model.device)
        y = None if labels is None else labels[start:start + chunk].to(model.device)
        mu, logvar = model.encode(x, y)
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(1)
        eps = torch.randn((samples, *mu.shape), generator=g).to(mu.device, mu.dtype)
        z = (mu + (0.5 * logvar).exp() * eps).reshape(-1, mu.shape[1])
        ys = None if y is None else y.repeat(samples)
        logits = model.decoder_logits(z, ys)
        xs = x.unsqueeze(0).expand(samples, *x.shape).reshape(-1, *x.shape[1:])
        log_px = decoder_log_mass(logits, xs, cfg.likelihood, cfg.obs_std)
        out.append((log_px.view(samples, len(x)).double().mean(0) - kl.double()).cpu())
    return torch.cat(out)


def nats_to_bits_per_dim(log_likelihood: torch.Tensor, dims: int) -> torch.Tensor:
    """Return −log p / (D ln 2): nats per image as bits per dimension."""
    return -log_likelihood / (dims * math.log(2.0))
