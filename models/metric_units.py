"""What each logged training metric measures and in which unit (torch-free: the GUI asks).

Units follow from how the losses are computed: an autoencoder's reconstruction is the
negative log-likelihood summed over an image's pixels and averaged over the batch (nats
per image), its KL likewise; a non-saturating GAN's losses are binary cross-entropies
averaged over images; a Wasserstein critic's outputs are unbounded scores; a diffusion
model's loss is the mean squared error of its prediction per pixel. Latent diffusion
logs its first stage's terms in phase 1 (shown as `autoencoder_*`: L1 or L2 distances in
[-1, 1] pixel units summed over an image, and a KL summed over its latents) and the UNet's
mean squared error per latent value in phase 2. An autoregressive model's loss is its exact
negative log-likelihood in bits per dimension (nats per image / (C·H·W·ln 2)).
"""

from __future__ import annotations

NATS_PER_IMAGE = "nats / image"
SUM_PER_IMAGE = "sum / image"  # a distance summed over an image's pixels, batch-averaged

# Family → kind of losses it logs.
KINDS = {"ae": "autoencoder", "vae": "autoencoder", "conv-vae": "autoencoder",
         "cvae": "autoencoder", "gan": "gan", "dcgan": "gan", "cgan": "gan",
         "stylegan": "gan", "wgan-gp": "wgan", "ddpm": "diffusion", "cddpm": "diffusion",
         "ldm": "latent diffusion", "cldm": "latent diffusion",
         "pixelcnn": "autoregressive"}

# (kind, metric key) → (what it is, unit); "*" applies to every kind.
METRICS: dict[tuple[str, str], tuple[str, str]] = {
    ("autoencoder", "loss"): ("Loss (reconstruction + β·KL)", NATS_PER_IMAGE),
    ("autoencoder", "recon"): ("Reconstruction", NATS_PER_IMAGE),
    ("autoencoder", "kl"): ("KL divergence to the prior", NATS_PER_IMAGE),
    ("gan", "loss"): ("Generator loss", NATS_PER_IMAGE),
    ("gan", "loss_g"): ("Generator loss", NATS_PER_IMAGE),
    ("gan", "loss_d"): ("Discriminator loss", NATS_PER_IMAGE),
    ("gan", "d_real"): ("D(real) and D(fake)", "probability"),
    ("gan", "d_fake"): ("D(real) and D(fake)", "probability"),
    ("wgan", "loss"): ("Generator loss (−critic score of fakes)", "critic score"),
    ("wgan", "loss_g"): ("Generator loss (−critic score of fakes)", "critic score"),
    ("wgan", "loss_d"): ("Critic loss (with penalty)", "critic score"),
    ("wgan", "d_real"): ("Critic score of reals and fakes", "critic score"),
    ("wgan", "d_fake"): ("Critic score of reals and fakes", "critic score"),
    ("wgan", "wasserstein"): ("Wasserstein estimate (real − fake)", "critic score"),
    ("wgan", "gp"): ("Gradient penalty", "(‖∇‖ − 1)²"),
    ("gan", "r1"): ("R1 penalty E‖∇D(real)‖² (at its lazy steps)", "squared gradient norm"),
    ("*", "grad_norm_g"): ("Generator gradient norm", "L2 norm"),
    ("*", "grad_norm_d"): ("Discriminator gradient norm", "L2 norm"),
    ("diffusion", "loss"): ("Denoising loss", "MSE / pixel"),
    ("latent diffusion", "autoencoder_loss"): ("Autoencoder loss (recon + w·KL)",
                                               SUM_PER_IMAGE),
    ("latent diffusion", "autoencoder_recon"): ("Autoencoder reconstruction", SUM_PER_IMAGE),
    ("latent diffusion", "autoencoder_kl"): ("Autoencoder KL", NATS_PER_IMAGE),
    ("latent diffusion", "loss"): ("Denoising loss on latents", "MSE / latent value"),
    ("autoregressive", "loss"): ("Negative log-likelihood", "bits / dim"),
    ("autoregressive", "bits_per_dim"): ("Negative log-likelihood", "bits / dim"),
    ("autoregressive", "nll"): ("Negative log-likelihood", NATS_PER_IMAGE),
}


def metric_meaning(family: str, key: str) -> tuple[str, str]:
    """Return (title, unit) of metric `key` logged by `family`; unknown ones get their
    key as title and no unit."""
    kind = KINDS.get(family, "")
    found = METRICS.get((kind, key)) or METRICS.get(("*", key))
    if found is None:
        return key.replace("_", " ").capitalize(), ""
    return found
