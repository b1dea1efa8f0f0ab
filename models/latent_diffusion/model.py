"""The `ldm` and `cldm` families: a DDPM whose data are the latents of an AutoencoderKL.

Training has two phases in one run (see `training_phases`): the autoencoder first, then —
its weights frozen, the training set's latent moments encoded once and the scale factor
measured — the UNet on scaled latents. Sampling is the DDPM's (every sampler of the table,
guidance, recorded trajectories, all in latent space); images come from decoding the
final latents divided by the scale factor, as Stable Diffusion does.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

from models.base import Capabilities, Phase
from models.config import TrainConfig
from models.diffusion.model import DDPM, ConditionalDDPM
from models.diffusion.unet import unet_config
from models.latent_diffusion.autoencoder import (
    build_vae,
    dataset_moments,
    draw_latents,
    encode_moments,
    first_stage_losses,
    frame_images,
    scale_factor,
    split_moments,
    unframe,
    vae_config,
)
from models.latent_diffusion.config import CLDMConfig, LDMConfig
from models.latent_diffusion.linear_preview import LinearPreview
from models.latent_diffusion.linear_preview import fit_linear_preview as fit_map

AUTOENCODER, DIFFUSION = "autoencoder", "diffusion"
PREVIEW_FIT_MAX = 8000  # training latents the linear preview is fitted on, at most
PREVIEW_SEED = 2718  # the posterior draws it is fitted on: fixed, never the global RNG


def _draws(moments: torch.Tensor, generator: torch.Generator) -> np.ndarray:
    """Return latents drawn from the posteriors `moments` as N×D float32 numpy."""
    return draw_latents(moments.cpu(), generator).flatten(1).float().numpy()


def _pixels(x: torch.Tensor) -> np.ndarray:
    """Return images (float in [0, 1] or uint8) as N×C×H×W float32 numpy in [0, 1]."""
    x = x.detach().cpu()
    return (x.float() / 255.0 if x.dtype == torch.uint8 else x.float()).numpy()


def latent_unet_config(config: LDMConfig, num_class_embeds: int | None) -> dict[str, Any]:
    """Return the UNet2DModel config for the latents: the preset's levels, the latents'
    channels and side."""
    return {**unet_config(config, num_class_embeds), "sample_size": config.latent_size,
            "in_channels": config.latent_channels, "out_channels": config.latent_channels}


class LDM(DDPM):
    """Latent diffusion: `vae` (AutoencoderKL) encodes and decodes, `unet` (and its EMA)
    denoises latents scaled by `scaling_factor`.

    `phase` says what training_step trains: "autoencoder" (images in) or "diffusion"
    (posterior moments of images in, from `enter_phase`).
    """

    family = "ldm"
    config_class = LDMConfig
    conditional = False
    config: LDMConfig

    def __init__(self, config: LDMConfig, unet_cfg: dict[str, Any] | None = None,
                 sched_cfg: dict[str, Any] | None = None,
                 vae_cfg: dict[str, Any] | None = None) -> None:
        embeds = config.num_classes + 1 if self.conditional else None
        super().__init__(config, unet_cfg or latent_unet_config(config, embeds), sched_cfg)
        self.vae = build_vae(vae_cfg or vae_config(config))
        # A buffer, so copies of the model and checkpoints carry it; vae/config.json's
        # scaling_factor is written from it.
        self.register_buffer("latent_scale", torch.ones(()))
        # The linear preview (linear_preview.py), as buffers so that copies and checkpoints
        # (latentlab_state.safetensors) carry it; preview_fitted is 0 until it is fitted.
        latent_dim = config.latent_channels * config.latent_size**2
        pixels = config.channels * config.image_size**2
        self.register_buffer("preview_weight", torch.zeros(latent_dim, pixels))
        self.register_buffer("preview_bias", torch.zeros(pixels))
        self.register_buffer("preview_r2", torch.zeros(()))
        self.register_buffer("preview_fitted", torch.zeros(()))
        self.phase = AUTOENCODER

    # --- description -------------------------------------------------------------------
    @property
    def image_shape(self) -> tuple[int, int, int]:
        """Return the (C, h, w) of the latents: x_t and the starting noise."""
        return (int(self.unet.config.in_channels), self.model_size, self.model_size)

    @property
    def frame_size(self) -> int:
        """Return the side of the padded frame the autoencoder works at."""
        size = self.vae.config.sample_size
        return int(size if isinstance(size, int) else size[0])

    @property
    def scaling_factor(self) -> float:
        """Return the factor latents are multiplied by before the UNet sees them."""
        return float(self.latent_scale)

    def set_scaling_factor(self, value: float) -> None:
        """Set the scale factor (and the autoencoder's config, which vae/ saves)."""
        self.latent_scale.fill_(float(value))
        self.vae.register_to_config(scaling_factor=float(value))

    @property
    def capabilities(self) -> Capabilities:
        """Return: diffusion in latent space, encodes (the first stage), latent = the
        latents' shape, Gaussian prior."""
        return Capabilities(can_encode=True, conditional=self.conditional, is_diffusion=True,
                            latent_shape=self.image_shape, has_prior=True)

    def stages(self) -> dict[str, Any]:
        """Return the two stages described for `latentlab info`: weights, latent shape,
        frame, scale factor, where the first stage came from and the linear preview's
        held-out R² (None when the checkpoint has no preview)."""
        preview = self.linear_preview
        return {"frame_size": self.frame_size, "latent_shape": list(self.image_shape),
                "scaling_factor": self.scaling_factor,
                "vae_parameters": sum(p.numel() for p in self.vae.parameters()),
                "unet_parameters": sum(p.numel() for p in self.unet.parameters()),
                "first_stage": self.config.first_stage,
                "linear_preview_r2": None if preview is None else round(preview.r2, 4)}

    # --- the first stage ---------------------------------------------------------------
    def frame(self, x: torch.Tensor) -> torch.Tensor:
        """Return images in [0, 1] as the autoencoder's input ([−1, 1], padded)."""
        return frame_images(x, self.frame_size)

    def encode(self, x: torch.Tensor, y: torch.Tensor | None = None
               ) -> tuple[torch.Tensor, torch.Tensor]:
        """Return the first stage's posterior (mean, log-variance) of images x, each
        N×(C·h·w), unscaled."""
        mean, logvar = split_moments(encode_moments(self.vae, self.frame(x.to(self.device))))
        return mean.flatten(1), logvar.flatten(1)

    def decode(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Return images in [0, 1] decoded from unscaled first-stage latents (N×C×h×w or
        flattened)."""
        z = torch.as_tensor(z, dtype=torch.float32).to(self.device)
        z = z.reshape(len(z), *self.image_shape)
        return unframe(self.vae.decode(z).sample, self.config.image_size)

    def reconstruct(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Return the decoded posterior means of images x, in [0, 1]."""
        mean, _ = self.encode(x)
        return self.decode(mean)

    def to_images(self, x: torch.Tensor | np.ndarray) -> torch.Tensor:
        """Return latents in the UNet's frame (x_t, x̂0, a final sample) decoded to images in
        [0, 1]: vae.decode(latents / scaling_factor), cropped."""
        with torch.no_grad():
            z = torch.as_tensor(x, dtype=torch.float32).to(self.device)
            return self.decode(z / self.scaling_factor)

    # --- the linear preview ------------------------------------------------------------
    @property
    def linear_preview(self) -> LinearPreview | None:
        """Return the fitted latent → pixel map (numpy copies), or None before it is fitted."""
        if not float(self.preview_fitted) > 0:
            return None
        cfg = self.config
        return LinearPreview(self.preview_weight.detach().cpu().numpy().copy(),
                             self.preview_bias.detach().cpu().numpy().copy(),
                             float(self.preview_r2),
                             (cfg.channels, cfg.image_size, cfg.image_size),
                             int(self.preview_fitted))

    def set_linear_preview(self, preview: LinearPreview) -> None:
        """Keep `preview` in the model's buffers (saved with the checkpoint); ValueError
        when it is not finite (training's check of every buffer would then stop the run)."""
        if not (np.isfinite(preview.weight).all() and np.isfinite(preview.bias).all()
                and np.isfinite(preview.r2)):
            raise ValueError("the linear preview is not finite")
        with torch.no_grad():
            self.preview_weight.copy_(torch.from_numpy(np.asarray(preview.weight)))
            self.preview_bias.copy_(torch.from_numpy(np.asarray(preview.bias)))
            self.preview_r2.fill_(float(preview.r2))
            self.preview_fitted.fill_(float(max(1, preview.fitted_on)))

    @torch.no_grad()
    def fit_linear_preview(self, train_x: torch.Tensor, val_x: torch.Tensor,
                           train_moments: torch.Tensor | None = None,
                           val_moments: torch.Tensor | None = None) -> LinearPreview:
        """Fit, keep and return the linear preview: latents drawn (fixed seed) from the
        posteriors of images `train_x` (N×C×H×W in [0, 1] or uint8; moments encoded here
        unless given) → their pixels, R² on draws for `val_x` (the last tenth of the
        training images when there are none). The global RNG is left as it was."""
        if train_moments is None:
            train_moments = self.posterior_moments(train_x)
        if len(val_x) == 0:
            cut = max(1, len(train_x) // 10)
            train_x, val_x = train_x[:-cut], train_x[-cut:]
            train_moments, val_moments = train_moments[:-cut], train_moments[-cut:]
        elif val_moments is None:
            val_moments = self.posterior_moments(val_x)
        pick = slice(None, None, max(1, -(-len(train_x) // PREVIEW_FIT_MAX)))
        draws = torch.Generator().manual_seed(PREVIEW_SEED)
        preview = fit_map(_draws(train_moments[pick], draws), _pixels(train_x[pick]),
                          _draws(val_moments, draws), _pixels(val_x))
        self.set_linear_preview(preview)
        return self.linear_preview  # type: ignore[return-value]

    def posterior_moments(self, x: torch.Tensor) -> torch.Tensor:
        """Return the first stage's posterior moments (N×2C×h×w) of images x (N×C×H×W in
        [0, 1] or uint8), the autoencoder in eval mode."""
        training = self.vae.training
        self.vae.eval()
        try:
            return dataset_moments(self.vae, x.to(self.device), self.frame)
        finally:
            self.vae.train(training)

    # --- training ----------------------------------------------------------------------
    def training_phases(self, train: TrainConfig) -> tuple[Phase, ...]:
        """Return phase 1, the autoencoder (config.epochs_ae; none with a first stage taken
        from elsewhere), then phase 2, the UNet (train.epochs)."""
        return (Phase(AUTOENCODER, self.config.ae_epochs), Phase(DIFFUSION, train.epochs))

    def configure_optimizers(self, train: TrainConfig) -> dict[str, torch.optim.Optimizer]:
        """Return Adam over the UNet ("model", as the DDPM's) and Adam over the autoencoder."""
        return {"model": torch.optim.Adam(self.unet.parameters(), lr=train.lr),
                "vae": torch.optim.Adam(self.vae.parameters(), lr=train.lr)}

    def enter_phase(self, name: str, train_x: torch.Tensor, val_x: torch.Tensor,
                    crossing: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """Phase 1 trains on the images. Phase 2 freezes the autoencoder and returns the
        posterior moments of both splits (encoded once: steps draw latents from them);
        crossing into it takes the first stage named by the config, if any, and measures
        the scale factor on the training latents."""
        if name == AUTOENCODER:
            self.vae.requires_grad_(True)
            self.phase = name
            return train_x, val_x
        if name != DIFFUSION:
            raise ValueError(f"unknown phase {name!r}")
        if crossing and self.config.first_stage:
            from models.latent_diffusion.pipeline_io import load_first_stage

            load_first_stage(self, Path(self.config.first_stage))
        self.vae.requires_grad_(False)
        training = self.vae.training
        self.vae.eval()
        train_m = dataset_moments(self.vae, train_x, self.frame)
        val_m = dataset_moments(self.vae, val_x, self.frame)
        self.vae.train(training)
        if crossing:
            self.set_scaling_factor(scale_factor(train_m))
        if crossing or self.linear_preview is None:
            # The moments are at hand: the step viewer's preview costs a (D+1)² solve.
            try:
                self.fit_linear_preview(train_x, val_x, train_m, val_m)
            except ValueError as exc:  # a preview is never worth stopping training for
                warnings.warn(f"no linear preview: {exc}", stacklevel=2)
        self.phase = name
        return train_m, val_m

    def to_model_space(self, x: torch.Tensor) -> torch.Tensor:
        """Return the phase-2 data as x0: they are scaled latents already."""
        return x

    def training_step(self, x: torch.Tensor, y: torch.Tensor,
                      optimizers: dict[str, torch.optim.Optimizer]) -> dict[str, torch.Tensor]:
        """Phase 1: one Adam step of the autoencoder on images x; returns loss, recon, kl.
        Phase 2: latents drawn from the moments x, scaled, one DDPM step; returns loss."""
        if self.phase == DIFFUSION:
            z = draw_latents(x) * self.latent_scale
            return super().training_step(z, y, optimizers)
        terms = first_stage_losses(self.vae, self.frame(x), self.config.recon_loss,
                                   self.config.kl_weight)
        opt = optimizers["vae"]
        opt.zero_grad(set_to_none=True)
        self.backward(terms["loss"])
        self.optimizer_step(opt)
        return {k: v.detach() for k, v in terms.items()}

    def after_training_step(self) -> None:
        """Move the EMA UNet (phase 2 only: phase 1 leaves the UNet as it is)."""
        if self.phase == DIFFUSION:
            super().after_training_step()

    @torch.no_grad()
    def validation_step(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        """Phase 1: the autoencoder's terms at the posterior mean. Phase 2: the DDPM's
        validation loss on the scaled posterior means."""
        if self.phase == DIFFUSION:
            mean, _ = split_moments(x)
            return super().validation_step(mean * self.latent_scale, y)
        return first_stage_losses(self.vae, self.frame(x), self.config.recon_loss,
                                  self.config.kl_weight, stochastic=False)

    @torch.no_grad()
    def epoch_arrays(self) -> dict[str, np.ndarray]:
        """Return the loss by t bins in phase 2; nothing in phase 1."""
        return super().epoch_arrays() if self.phase == DIFFUSION else {}

    # --- files -------------------------------------------------------------------------
    def save_weights(self, folder: Path) -> list[str]:
        """Write vae/, unet/, scheduler/ (diffusers' formats) and our extra state."""
        from models.latent_diffusion.pipeline_io import save_ldm

        return save_ldm(self, folder)

    @classmethod
    def load_weights(cls, folder: Path, config: LDMConfig) -> LDM:  # type: ignore[override]
        """Return the model saved in `folder`; CheckpointError if it does not fit `config`."""
        from models.latent_diffusion.pipeline_io import load_ldm_weights

        return load_ldm_weights(cls, folder, config)


class ConditionalLDM(LDM, ConditionalDDPM):
    """Class-conditional latent diffusion: the cddpm's class embedding, label dropout and
    classifier-free guidance, on the latents (the autoencoder is unconditional)."""

    family = "cldm"
    config_class = CLDMConfig
    conditional = True
    config: CLDMConfig
