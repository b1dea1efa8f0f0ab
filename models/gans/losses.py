"""Adversarial losses and the WGAN-GP gradient penalty, each a batch mean."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F


def ns_discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Return −log D(x) − log(1 − D(G(z))), the discriminator's cross-entropy."""
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def ns_generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """Return −log D(G(z)), the non-saturating generator loss (Goodfellow et al. 2014)."""
    return F.softplus(-fake_logits).mean()


def gradient_penalty(critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor,
                     fake: torch.Tensor, generator: torch.Generator | None = None
                     ) -> torch.Tensor:
    """Return E[(‖∇ critic(x̂)‖₂ − 1)²] at random points x̂ between real and fake images.

    The graph is kept (create_graph) so the penalty can be back-propagated into the
    critic. `generator` fixes the interpolation weights (tests); None uses torch's RNG.
    """
    n = real.shape[0]
    shape = (n,) + (1,) * (real.dim() - 1)
    eps = torch.rand(shape, generator=generator, device="cpu" if generator is not None
                     and generator.device.type == "cpu" else real.device)
    eps = eps.to(real.device, real.dtype)
    x_hat = (eps * real.detach() + (1.0 - eps) * fake.detach()).requires_grad_(True)
    # In full precision under mixed-precision training: the gradient of a half-precision
    # critic's scores underflows, and its square then feeds the critic's own update.
    with torch.autocast(x_hat.device.type, enabled=False):
        scores = critic(x_hat.float())
        (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)
    # The tiny constant keeps the norm's gradient finite where ∇ is exactly zero.
    norms = torch.sqrt(grad.flatten(1).pow(2).sum(1) + 1e-12)
    return (norms - 1.0).pow(2).mean()


def grad_norm(params: list[torch.nn.Parameter]) -> torch.Tensor:
    """Return the L2 norm of all gradients of `params` together (0 when none has one)."""
    norms = [p.grad.detach().norm() for p in params if p.grad is not None]
    if not norms:
        return torch.zeros(())
    return torch.linalg.vector_norm(torch.stack(norms))
