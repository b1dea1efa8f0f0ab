"""Each family's own anomaly score, per image, higher = more anomalous.

Every score is deterministic: the random numbers it needs (a VAE's posterior draws, a
diffusion model's noises) are one fixed set drawn from `seed` and shared by every image,
so an image's score depends neither on its batch nor on the order of the images.

- A model with `nll_bits_per_dim(x)` (exact or bounded likelihood, e.g. PixelCNN and
  flows): that, in bits per dimension. Checked first, whatever the family, except a DDPM
  (its bound costs T UNet passes an image): its denoising error, below.
- ae: the reconstruction loss it trained on (Bernoulli cross-entropy or Gaussian squared
  error over pixels), at the code of x.
- vae, conv-vae: −ELBO in nats (reconstruction NLL over VAE_DRAWS posterior draws + KL to
  the prior), with β = 1 whatever β trained the model: the bound on −log p(x).
- cvae: its labels are unknown for an anomaly, so the label is summed out:
  −log (1/K Σ_y exp ELBO(x, y)) over the K classes it trained on — a bound on −log p(x)
  with a uniform class prior.
- gan, dcgan: 1 − D(x), D's probability that x is real; cgan: 1 − max_y D(x, y) over the
  trained classes (the most favourable label); wgan-gp: −critic(x). A DCGAN's D normalises
  with batch statistics even in eval mode (models/gans/networks.py), so an image's D(x)
  would depend on the images beside it: its batch norms are frozen at the statistics of a
  fixed batch of training images (`reference`), as D saw all-real batches in training.
- ddpm, cddpm: the denoising error ‖ε̂(x_t, t) − ε‖² per pixel (the v target for
  v-prediction) averaged over DIFFUSION_STEPS timesteps spread over the schedule and
  DIFFUSION_NOISES noises, with the EMA UNet; cddpm with the null class (unconditional).
  ldm, cldm: the same on the posterior mean of the autoencoder's latents, scaled as
  training scales them.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

VAE_DRAWS = 8
DIFFUSION_STEPS = 10
DIFFUSION_NOISES = 2
DIFFUSION_BATCH = 16


@dataclass(frozen=True)
class Score:
    """A model's anomaly score: its name and unit, a sentence saying what it is, and the
    function from float images in [0, 1] (N×C×H×W, on the model's device) to N scores."""

    name: str
    unit: str
    description: str
    fn: Callable[[torch.Tensor], torch.Tensor]
    likelihood: bool  # the score is a (bound on a) negative log-likelihood
    batch: int = 100  # images per call: a stop waits for one call to end


def score_for(model: torch.nn.Module, seed: int = 0, held_out: Sequence[int] = (),
              reference: torch.Tensor | None = None) -> Score:
    """Return `model`'s anomaly score (see the module docstring); ValueError when its
    family has none. `held_out` classes are left out of a conditional model's labels;
    `reference` (training images in [0, 1]) fixes a GAN discriminator's batch norms.
    The model is not changed."""
    from models.autoencoders.base import AutoencoderBase
    from models.diffusion.model import DDPM
    from models.gans.base import GANBase

    if isinstance(model, DDPM):  # before the NLL: its bound costs T UNet passes an image
        return _diffusion_score(model, seed)
    if hasattr(model, "nll_bits_per_dim"):
        kind = getattr(model, "likelihood_kind", "likelihood")
        return Score("NLL", "bits/dim", f"negative log-likelihood in bits per dimension "
                     f"({kind})", lambda x: model.nll_bits_per_dim(x), True)
    if isinstance(model, AutoencoderBase):
        return _autoencoder_score(model, seed, held_out)
    if isinstance(model, GANBase):
        return _gan_score(model, held_out, reference)
    raise ValueError(f"{getattr(model, 'family', type(model).__name__)} models have no "
                     f"anomaly score")


def has_score(model: torch.nn.Module) -> bool:
    """Return True when `model` has an anomaly score (score_for would return one)."""
    from models.autoencoders.base import AutoencoderBase
    from models.diffusion.model import DDPM
    from models.gans.base import GANBase

    return hasattr(model, "nll_bits_per_dim") or isinstance(
        model, (AutoencoderBase, GANBase, DDPM))


def trained_classes(num_classes: int, held_out: Sequence[int]) -> list[int]:
    """Return the classes a conditional model trained on."""
    return [k for k in range(num_classes) if k not in set(held_out)]


def _autoencoder_score(model: torch.nn.Module, seed: int, held_out: Sequence[int]) -> Score:
    from models.autoencoders.losses import kl_per_dimension, reconstruction_loss

    config = model.config

    def recon(x: torch.Tensor, z: torch.Tensor, c: torch.Tensor | None) -> torch.Tensor:
        return reconstruction_loss(model._decode_logits(z, c), x, config.likelihood,
                                   config.obs_std)

    if not model.variational:
        def ae(x: torch.Tensor) -> torch.Tensor:
            z = model._encode_raw(x, None)
            return recon(x, z, None)

        return Score("reconstruction error", "nats", f"reconstruction loss "
                     f"({config.likelihood}) summed over pixels", ae, False)

    g = torch.Generator().manual_seed(seed)
    eps = torch.randn(VAE_DRAWS, config.latent_dim, generator=g)

    def neg_elbo(x: torch.Tensor, c: torch.Tensor | None) -> torch.Tensor:
        h = model._encode_raw(x, c)
        mu, logvar = h.chunk(2, dim=1)
        logvar = logvar.clamp(-30.0, 20.0)
        std = (0.5 * logvar).exp()
        e = eps.to(x.device)
        total = torch.zeros(len(x), device=x.device)
        for k in range(VAE_DRAWS):
            total += recon(x, mu + std * e[k], c)
        return total / VAE_DRAWS + kl_per_dimension(mu, logvar).sum(1)

    if not model._conditional:
        return Score("−ELBO", "nats", f"−ELBO (β = 1; {config.likelihood} likelihood, "
                     f"{VAE_DRAWS} fixed posterior draws)", lambda x: neg_elbo(x, None), True)
    classes = trained_classes(config.num_classes, held_out)

    def label_free(x: torch.Tensor) -> torch.Tensor:
        per_class = torch.stack([
            neg_elbo(x, model._condition(torch.full((len(x),), k, dtype=torch.long)))
            for k in classes], dim=1)
        return -(torch.logsumexp(-per_class, dim=1) - math.log(len(classes)))

    return Score("−ELBO", "nats", f"−log mean over the {len(classes)} trained classes y of "
                 f"exp ELBO(x, y) (β = 1, {VAE_DRAWS} fixed posterior draws): the label "
                 f"summed out", label_free, True)


def frozen_discriminator(model: torch.nn.Module, reference: torch.Tensor | None
                         ) -> torch.nn.Module:
    """Return a copy of `model`'s discriminator whose batch-statistics norms use the
    statistics of `reference` (images in [0, 1]) for every image; ValueError when it has
    such norms and no reference is given."""
    from torch.nn.modules.batchnorm import _BatchNorm

    disc = copy.deepcopy(model.discriminator).eval()
    norms = [m for m in disc.modules() if isinstance(m, _BatchNorm) and m.running_mean is None]
    if not norms:
        return disc
    if reference is None or len(reference) < 2:
        raise ValueError(f"the {model.family} discriminator normalises by batch: its score "
                         f"needs reference training images")
    stats: dict[torch.nn.Module, tuple[torch.Tensor, torch.Tensor]] = {}

    def record(module: torch.nn.Module, inputs: tuple[torch.Tensor, ...]) -> None:
        h = inputs[0]
        stats[module] = (h.mean((0, 2, 3)), h.var((0, 2, 3), unbiased=False))

    hooks = [m.register_forward_pre_hook(record) for m in norms]
    try:
        with torch.no_grad():
            disc.features(reference.to(model.device) * 2.0 - 1.0)
    finally:
        for h in hooks:
            h.remove()
    for m in norms:  # eval mode with running statistics: each image normalised alike
        m.running_mean, m.running_var = stats[m]
    return disc


def _gan_score(model: torch.nn.Module, held_out: Sequence[int],
               reference: torch.Tensor | None) -> Score:
    disc = frozen_discriminator(model, reference)
    if model.family == "wgan-gp":
        return Score("−critic", "critic units", "minus the critic's score (WGAN-GP)",
                     lambda x: -disc(x * 2.0 - 1.0), False)
    if not model.conditional:
        return Score("1 − D(x)", "probability", "1 − the discriminator's probability that "
                     "the image is real", lambda x: 1.0 - torch.sigmoid(disc(x * 2.0 - 1.0)),
                     False)
    classes = trained_classes(model.config.num_classes, held_out)

    def best_label(x: torch.Tensor) -> torch.Tensor:
        real = x * 2.0 - 1.0
        logits = torch.stack([
            disc(real, torch.full((len(x),), k, dtype=torch.long, device=x.device))
            for k in classes], dim=1)
        return 1.0 - torch.sigmoid(logits.max(dim=1).values)

    return Score("1 − max_y D(x, y)", "probability", f"1 − the discriminator's probability "
                 f"that the image is real, under the most favourable of the {len(classes)} "
                 f"trained classes", best_label, False)


def diffusion_timesteps(num_train_timesteps: int, steps: int = DIFFUSION_STEPS) -> list[int]:
    """Return `steps` timesteps spread evenly over the schedule (bin centres)."""
    return [min(num_train_timesteps - 1, int((i + 0.5) * num_train_timesteps / steps))
            for i in range(steps)]


def _diffusion_score(model: torch.nn.Module, seed: int) -> Score:
    from models.latent_diffusion.model import LDM

    latent = isinstance(model, LDM)
    shape = tuple(model.image_shape)
    g = torch.Generator().manual_seed(seed)
    noises = torch.randn(DIFFUSION_NOISES, *shape, generator=g)
    steps = diffusion_timesteps(model.schedule.num_train_timesteps)
    unet = model.sampling_unet

    def denoising_error(x: torch.Tensor) -> torch.Tensor:
        n = len(x)
        if latent:
            mean, _ = model.encode(x)
            x = mean.reshape(n, *shape) * model.latent_scale
        labels = model._class_labels(torch.full((n,), -1, dtype=torch.long), n) \
            if model.conditional else None
        total = torch.zeros(n, device=x.device)
        for noise in noises.to(x.device):
            for t in steps:
                tt = torch.full((n,), t, dtype=torch.long, device=x.device)
                total += model.losses(x, None, noise.expand(n, *shape), tt, labels, unet=unet)
        return total / (len(steps) * DIFFUSION_NOISES)

    where = "the autoencoder's latents (posterior mean)" if latent else "pixel space"
    cond = "; the null class (unconditional)" if model.conditional else ""
    # 20 UNet passes per image: small batches keep a stop (and closing) prompt.
    return Score("denoising error", "MSE", f"the UNet's denoising error in {where}, "
                 f"averaged over {len(steps)} timesteps × {DIFFUSION_NOISES} fixed noises "
                 f"(EMA weights{cond})", denoising_error, False, batch=DIFFUSION_BATCH)
