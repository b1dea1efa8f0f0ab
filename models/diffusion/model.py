"""The `ddpm` and `cddpm` families: a diffusers UNet2DModel trained to denoise, sampled with
diffusers' schedulers through our own recorded loop."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F

from models.base import Capabilities, GenerativeModel
from models.config import TrainConfig
from models.diffusion.config import CDDPMConfig, DDPMConfig
from models.diffusion.events import DenoiseFinished
from models.diffusion.samplers import Departures
from models.diffusion.sampling import (
    DenoiseEvent,
    GuidedOutput,
    Predictor,
    initial_noise,
    sample_tensor,
    trajectory,
)
from models.diffusion.schedule import NoiseSchedule, scheduler_config
from models.diffusion.trajectory_io import Trajectory
from models.diffusion.unet import build_unet, to_images, to_model_space, unet_config

LOSS_BINS = 10
VAL_SEED = 20240  # validation noise: fixed, and never from the global RNG (resume relies on it)
GRAD_CLIP = 1.0


class DDPM(GenerativeModel):
    """Denoising diffusion model on images in [0, 1] (the UNet sees them in [−1, 1]).

    `unet` is trained; `ema_unet` (when config.ema) is its moving average and is what
    sampling uses and what a saved pipeline's unet/ holds.
    """

    family = "ddpm"
    config_class = DDPMConfig
    conditional = False
    likelihood_kind: ClassVar[str] = "bound"
    # The variational bound costs a UNet pass per timestep and image (vlb.py): None
    # evaluates all T terms; K, a stratified estimate from K of them. eval and compare
    # average it over at most `likelihood_max_images` held-out images.
    vlb_timesteps: int | None = None
    likelihood_max_images: int = 20

    def __init__(self, config: DDPMConfig, unet_cfg: dict[str, Any] | None = None,
                 sched_cfg: dict[str, Any] | None = None) -> None:
        super().__init__(config)
        if unet_cfg is None:
            if config.preset == "custom" and config.block_channels is None:
                raise ValueError("preset custom needs block_channels (or a pipeline's "
                                 "unet/config.json)")
            unet_cfg = unet_config(config, self.num_class_embeds)
        self.unet = build_unet(unet_cfg)
        self.ema_unet = copy.deepcopy(self.unet).requires_grad_(False).eval() \
            if config.ema else None
        self.schedule = NoiseSchedule(sched_cfg or scheduler_config(config))
        # float32, not 64: MPS has no float64, and an epoch's sums fit easily.
        self.register_buffer("loss_by_t_sum", torch.zeros(LOSS_BINS))
        self.register_buffer("loss_by_t_count", torch.zeros(LOSS_BINS))
        self.register_buffer("ema_steps", torch.zeros((), dtype=torch.long))

    # --- description -------------------------------------------------------------------
    @property
    def num_class_embeds(self) -> int | None:
        """Return the class embeddings the UNet needs (classes + 1 null) or None."""
        return None

    @property
    def model_size(self) -> int:
        """Return the side of the UNet's (possibly padded) frame."""
        size = self.unet.config.sample_size
        return int(size if isinstance(size, int) else size[0])

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """Return the (C, H, W) of x_t and of the starting noise."""
        return (self.config.channels, self.model_size, self.model_size)

    @property
    def capabilities(self) -> Capabilities:
        """Return: diffusion, no encoder, latent = the noise image, Gaussian prior."""
        return Capabilities(can_encode=False, conditional=self.conditional, is_diffusion=True,
                            latent_shape=self.image_shape, has_prior=True)

    @property
    def sampling_unet(self) -> torch.nn.Module:
        """Return the UNet used for sampling: the EMA copy when there is one."""
        return self.ema_unet if self.ema_unet is not None else self.unet

    # --- training ----------------------------------------------------------------------
    def configure_optimizers(self, train: TrainConfig) -> dict[str, torch.optim.Optimizer]:
        """Return one Adam over the trained UNet (never the EMA copy)."""
        return {"model": torch.optim.Adam(self.unet.parameters(), lr=train.lr)}

    def _class_labels(self, y: torch.Tensor | None, n: int) -> torch.Tensor | None:
        return None

    def _train_labels(self, y: torch.Tensor) -> torch.Tensor | None:
        return None

    def losses(self, x: torch.Tensor, y: torch.Tensor | None, noise: torch.Tensor,
               t: torch.Tensor, labels: torch.Tensor | None,
               unet: torch.nn.Module | None = None) -> torch.Tensor:
        """Return the per-image mean squared error of the UNet's ε (or v) prediction."""
        x0 = self.to_model_space(x)
        x_t = self.schedule.scheduler.add_noise(x0, noise, t)
        target = self.schedule.target(x0, noise, t)
        pred = (unet or self.unet)(x_t, t, class_labels=labels).sample
        return F.mse_loss(pred, target, reduction="none").flatten(1).mean(1)

    def to_model_space(self, x: torch.Tensor) -> torch.Tensor:
        """Return a batch of training data as x0 in the UNet's frame (images: [−1, 1], padded)."""
        return to_model_space(x, self.model_size)

    def training_step(self, x: torch.Tensor, y: torch.Tensor,
                      optimizers: dict[str, torch.optim.Optimizer]) -> dict[str, torch.Tensor]:
        """Run one Adam step on random timesteps; return {"loss"} (also binned by t)."""
        n = x.shape[0]
        noise = torch.randn((n, *self.image_shape), device=x.device)
        t = torch.randint(0, self.schedule.num_train_timesteps, (n,), device=x.device)
        per_image = self.losses(x, y, noise, t, self._train_labels(y))
        loss = per_image.mean()
        opt = optimizers["model"]
        opt.zero_grad(set_to_none=True)
        self.backward(loss)
        self.unscale(opt)
        torch.nn.utils.clip_grad_norm_(self.unet.parameters(), GRAD_CLIP)
        self.optimizer_step(opt)
        self._accumulate_loss_by_t(per_image.detach(), t)
        return {"loss": loss.detach()}

    def _accumulate_loss_by_t(self, per_image: torch.Tensor, t: torch.Tensor) -> None:
        # Stays on the device and never syncs: a per-step cost of two tiny scatter-adds.
        bins = t * LOSS_BINS // self.schedule.num_train_timesteps
        self.loss_by_t_sum.index_add_(0, bins, per_image)
        self.loss_by_t_count.index_add_(0, bins, torch.ones_like(per_image))

    @torch.no_grad()
    def after_training_step(self) -> None:
        """Move the EMA weights towards the trained ones (decay warmed up over early steps)."""
        if self.ema_unet is None:
            return
        self.ema_steps += 1
        n = int(self.ema_steps)
        decay = min(self.config.ema_decay, (1 + n) / (10 + n))
        ema = list(self.ema_unet.parameters())
        torch._foreach_lerp_(ema, list(self.unet.parameters()), 1.0 - decay)

    @torch.no_grad()
    def validation_step(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        """Return {"loss"} at evenly spread timesteps with fixed noise (draws no global RNG)."""
        n = x.shape[0]
        g = torch.Generator().manual_seed(VAL_SEED)
        noise = torch.randn((n, *self.image_shape), generator=g).to(x.device)
        T = self.schedule.num_train_timesteps
        t = ((torch.arange(n, device=x.device) + 0.5) * T / n).long().clamp(max=T - 1)
        per_image = self.losses(x, y, noise, t, self._class_labels(y, n))
        return {"loss": per_image.mean()}

    @torch.no_grad()
    def epoch_arrays(self) -> dict[str, np.ndarray]:
        """Return {"loss_by_t": mean training loss in each of 10 equal t bins since the last
        call (NaN where a bin saw no step)} and start the next accumulation."""
        mean = self.loss_by_t_sum / self.loss_by_t_count
        out = mean.cpu().numpy().astype(np.float32)
        self.loss_by_t_sum.zero_()
        self.loss_by_t_count.zero_()
        return {"loss_by_t": out}

    # --- likelihood --------------------------------------------------------------------
    @property
    def nll_bits_per_dim(self) -> Any:
        """Return the function x [, labels] → [N] bits per dimension of images x (N×C×H×W in
        [0, 1], quantised to 8 bits), the variational bound (vlb.py) with `vlb_timesteps`
        terms and fixed noise; labels (a conditional model) give p(x | y), none the null
        class. AttributeError for a model whose UNet denoises latents (no pixel bound)."""
        if type(self).to_model_space is not DDPM.to_model_space:
            raise AttributeError(f"{self.family} has no pixel-space likelihood bound")
        return self._vlb_bits_per_dim

    @torch.no_grad()
    def _vlb_bits_per_dim(self, x: torch.Tensor, labels: torch.Tensor | None = None,
                          seed: int = 0) -> torch.Tensor:
        from models.diffusion.vlb import bound_terms, nats_to_bits_per_dim, quantised

        x = quantised(x).to(self.device)
        if labels is None and self.capabilities.conditional:
            labels = torch.full((len(x),), -1, dtype=torch.long)
        terms = bound_terms(self.predictor(self._class_labels(labels, len(x)), 1.0),
                            self.schedule, self.to_model_space(x), self.vlb_timesteps, seed)
        return nats_to_bits_per_dim(terms.total, x[0].numel()).float()

    def likelihood_note(self) -> str:
        """Return how `nll_bits_per_dim` computes its bound, in words."""
        from models.diffusion.vlb import describe

        return describe(self.vlb_timesteps, self.schedule.num_train_timesteps)

    # --- sampling ----------------------------------------------------------------------
    def predictor(self, labels: torch.Tensor | None = None, guidance: float | None = None,
                  parts: bool = False) -> Predictor:
        """Return the function (x_t, t) → UNet output that samplers call (no guidance here,
        so no branches to report: `parts` changes nothing)."""
        unet = self.sampling_unet

        def predict(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
            return unet(x, t).sample

        return predict

    def initial_noise(self, n: int, seed: int) -> torch.Tensor:
        """Return the starting noise of `seed` (n×C×S×S on the CPU), e.g. to interpolate."""
        return initial_noise((n, *self.image_shape), seed)

    def departures(self, **overrides: bool | None) -> Departures:
        """Return how sampling departs from diffusers' own pipelines: the config's choices
        (all on for our checkpoints, all off for pipelines made elsewhere), each overridable
        by a keyword (rederive_noise, emulate_clip, noise_per_step; None keeps the config's).
        """
        unknown = set(overrides) - set(Departures.names())
        if unknown:
            raise TypeError(f"unknown departures: {', '.join(sorted(unknown))}")
        return Departures(**{name: bool(getattr(self.config, name))
                             if overrides.get(name) is None else bool(overrides[name])
                             for name in Departures.names()})

    def _sampling_options(self, n: int, seed: int, options: dict[str, Any]
                          ) -> tuple[Predictor, dict[str, Any], int]:
        """Return (predictor, options for sampling.trajectory, batch size)."""
        labels = options.pop("labels", None)
        guidance = options.pop("guidance", None)
        parts = bool(options.pop("guidance_parts", False))
        opts = {"seed": seed, "device": self.device,
                "sampler": options.pop("sampler", None) or self.config.sampler,
                "steps": options.pop("steps", None) or self.config.sample_steps,
                "eta": options.pop("eta", None) or 0.0,
                "departures": self.departures(**{name: options.pop(name, None)
                                                 for name in Departures.names()})}
        for key in ("noise", "start", "start_index"):
            value = options.pop(key, None)
            if value is not None:
                opts[key] = value
        if options:
            raise TypeError(f"unknown sampling options: {', '.join(sorted(options))}")
        for key in ("start", "noise"):
            if key in opts:
                n = len(opts[key])
                break
        return self.predictor(self._class_labels(labels, n), guidance, parts), opts, n

    def trajectory(self, n: int, seed: int, **options: Any) -> Iterator[DenoiseEvent]:
        """Yield DenoiseStep per step then DenoiseFinished (arrays in the UNet's frame).

        Options: labels, guidance, sampler, steps, eta, noise (initial noise), start and
        start_index (branch from a recorded x_t), the departures from diffusers
        (rederive_noise, emulate_clip, noise_per_step; see `departures`), and
        guidance_parts=True to record each step's conditional and unconditional ε̂ and x̂0
        too (`DenoiseStep.parts`; class-conditional models only); see sampling.trajectory.
        """
        predict, opts, n = self._sampling_options(n, seed, dict(options))
        return trajectory(predict, self.schedule, (n, *self.image_shape), **opts)

    def preview_steps(self, n: int, seed: int) -> Iterator[torch.Tensor | None]:
        """Yield None after each denoising step of `preview(n, seed)`, then its images."""
        labels = None
        if self.capabilities.conditional:
            labels = torch.arange(n, device=self.device) % self.config.num_classes
        for event in self.trajectory(n, seed, labels=labels):
            if isinstance(event, DenoiseFinished):
                yield self.to_images(event.x0)
            else:
                yield None

    def to_images(self, x: torch.Tensor | np.ndarray) -> torch.Tensor:
        """Return UNet-frame arrays (x_t, x̂0, a final sample) as images in [0, 1], cropped."""
        return to_images(torch.as_tensor(x), self.config.image_size)

    @torch.no_grad()
    def sample(self, n: int, seed: int, labels: torch.Tensor | None = None,
               **options: Any) -> torch.Tensor:
        """Return n images in [0, 1] from the config's sampler (DDIM, 25 steps by default).

        Options: sampler, steps, eta, guidance, noise, start/start_index, the departures
        from diffusers (see `departures`), and save_trajectory=Path to also write every
        step to an .npz (its metadata records the departures that ran).
        """
        save_to = options.pop("save_trajectory", None)
        predict, opts, n = self._sampling_options(n, seed, {**options, "labels": labels})
        shape = (n, *self.image_shape)
        if save_to is None:
            return self.to_images(sample_tensor(predict, self.schedule, shape, **opts))
        guidance = options.get("guidance")
        if guidance is None:
            guidance = getattr(self.config, "guidance", None)
        meta = {"family": self.family, "seed": seed, "sampler": opts["sampler"],
                "steps": opts["steps"], "eta": opts["eta"], "guidance": guidance,
                "labels": None if labels is None else [int(v) for v in labels],
                "image_size": self.config.image_size,
                "prediction_type": self.schedule.prediction_type,
                **opts["departures"].as_dict()}
        traj = Trajectory.from_events(trajectory(predict, self.schedule, shape, **opts), meta)
        traj.save(Path(save_to))
        return self.to_images(traj.final).to(self.device)

    # --- files -------------------------------------------------------------------------
    def save_weights(self, folder: Path) -> list[str]:
        """Write a diffusers pipeline (model_index.json, unet/, scheduler/) + our extra state."""
        from models.diffusion.pipeline_io import save_pipeline

        return save_pipeline(self, folder)

    @classmethod
    def load_weights(cls, folder: Path, config: DDPMConfig) -> DDPM:
        """Return the model saved in pipeline folder `folder`; CheckpointError if it does not
        fit `config`."""
        from models.diffusion.pipeline_io import load_pipeline_weights

        return load_pipeline_weights(cls, folder, config)


class ConditionalDDPM(DDPM):
    """Class-conditional DDPM: the UNet gets a class embedding, index K being "no class".

    Training replaces labels by the null class with probability label_dropout, so one
    network gives both predictions classifier-free guidance mixes at sampling time.
    """

    family = "cddpm"
    config_class = CDDPMConfig
    conditional = True
    config: CDDPMConfig

    @property
    def num_class_embeds(self) -> int | None:
        """Return K + 1: one embedding per class plus the null class."""
        return self.config.num_classes + 1

    @property
    def null_class(self) -> int:
        """Return the index of the "no class" embedding."""
        return self.config.num_classes

    def _class_labels(self, y: torch.Tensor | None, n: int) -> torch.Tensor:
        """Return class indices on the device; None → 0..K−1 cycling, −1 → the null class."""
        if y is None:
            y = torch.arange(n) % self.config.num_classes
        y = torch.as_tensor(y).long().to(self.device)
        if len(y) != n:
            raise ValueError(f"got {len(y)} labels for {n} images")
        if bool(((y < -1) | (y >= self.config.num_classes)).any()):
            raise ValueError(f"labels must be in 0..{self.config.num_classes - 1} (or -1: none)")
        return torch.where(y < 0, torch.full_like(y, self.null_class), y)

    def _train_labels(self, y: torch.Tensor) -> torch.Tensor:
        labels = torch.where(y < 0, torch.full_like(y, self.null_class), y)
        drop = torch.rand(labels.shape, device=labels.device) < self.config.label_dropout
        return torch.where(drop, torch.full_like(labels, self.null_class), labels)

    def predictor(self, labels: torch.Tensor | None = None, guidance: float | None = None,
                  parts: bool = False) -> Predictor:
        """Return (x_t, t) → guided output u + w·(c − u), w = `guidance` (config default).

        w = 1 is the plain conditional prediction and w = 0 the unconditional one, exactly
        (no arithmetic); each then takes one UNet pass. Otherwise both run as one doubled
        batch. With `parts` the predictor returns a GuidedOutput holding both branches: at
        w = 1 or 0 the other branch then takes a second pass of its own, so the guided
        output stays bit for bit the one-pass prediction.
        """
        unet = self.sampling_unet
        w = self.config.guidance if guidance is None else float(guidance)
        assert labels is not None
        null = torch.full_like(labels, self.null_class)

        def predict(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor | GuidedOutput:
            if w in (0.0, 1.0):
                if not parts:
                    return unet(x, t, class_labels=labels if w == 1.0 else null).sample
                cond = unet(x, t, class_labels=labels).sample
                uncond = unet(x, t, class_labels=null).sample
                return GuidedOutput(cond if w == 1.0 else uncond, cond, uncond)
            both = unet(torch.cat([x, x]), t, class_labels=torch.cat([labels, null])).sample
            cond, uncond = both.chunk(2)
            guided = uncond + w * (cond - uncond)
            return GuidedOutput(guided, cond, uncond) if parts else guided

        return predict
