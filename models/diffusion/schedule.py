"""The noise schedule: β_t, ᾱ_t and SNR curves, the forward process q(x_t | x_0), and the
conversions between a UNet's output and (ε̂, x̂0) that every sampler shares."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from models.diffusion.scheduler_config import (  # noqa: F401 (re-exported)
    FROM_DIFFUSERS,
    TO_DIFFUSERS,
    build,
    resolve,
    scheduler_config,
    x0_clip,
)


@dataclass(frozen=True)
class ScheduleCurves:
    """Per-timestep curves of a schedule, each a float64 array of length T."""

    t: np.ndarray
    beta: np.ndarray
    alpha_bar: np.ndarray
    snr: np.ndarray  # ᾱ / (1 − ᾱ)

    @property
    def log_snr(self) -> np.ndarray:
        """Return log(SNR), the curve on which schedules are usually compared."""
        return np.log(self.snr)


class NoiseSchedule:
    """β_t and ᾱ_t of a trained model, built by diffusers' own DDPMScheduler.

    `config` is the scheduler config in full, as the folder's own scheduler class resolves
    it (see scheduler_config.resolve): samplers build their scheduler from it.
    """

    def __init__(self, sched_config: dict[str, Any]) -> None:
        from models.diffusion.imports import diffusers

        self.config: dict[str, Any] = resolve(sched_config)
        # Training, the forward process and what our checkpoints save; keys DDPMScheduler
        # lacks (set_alpha_to_one) stay in its config, so a saved folder keeps them.
        self.scheduler = build(diffusers().DDPMScheduler, self.config)
        self.alphas_cumprod: torch.Tensor = self.scheduler.alphas_cumprod  # float32, CPU
        self.prediction_type: str = self.config.get("prediction_type", "epsilon")
        self.clip: float | None = x0_clip(self.config)

    @property
    def num_train_timesteps(self) -> int:
        """Return T."""
        return int(self.config["num_train_timesteps"])

    def curves(self) -> ScheduleCurves:
        """Return β_t, ᾱ_t and SNR for t = 0..T−1."""
        ab = self.alphas_cumprod.double().numpy()
        return ScheduleCurves(np.arange(len(ab)), self.scheduler.betas.double().numpy().copy(),
                              ab.copy(), ab / (1.0 - ab))

    # --- forward process -----------------------------------------------------------------
    def q_mean_std(self, x0: torch.Tensor, t: torch.Tensor | int) -> tuple[torch.Tensor,
                                                                            torch.Tensor]:
        """Return the mean √ᾱ_t·x0 and std √(1−ᾱ_t) of q(x_t | x_0), broadcast to x0."""
        ab = self._alpha_bar(t, x0)
        return ab.sqrt() * x0, (1.0 - ab).sqrt().expand_as(x0)

    def q_sample(self, x0: torch.Tensor, t: torch.Tensor | int,
                 noise: torch.Tensor | None = None,
                 generator: torch.Generator | None = None) -> torch.Tensor:
        """Return x_t drawn from q(x_t | x_0) (diffusers' add_noise; `noise` if given)."""
        if noise is None:
            noise = torch.randn(x0.shape, generator=generator, dtype=x0.dtype).to(x0.device)
        t = torch.as_tensor(t, device=x0.device).long().expand(x0.shape[0])
        return self.scheduler.add_noise(x0, noise, t)

    def target(self, x0: torch.Tensor, noise: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Return what the UNet is trained to output: ε, or v = √ᾱ·ε − √(1−ᾱ)·x0."""
        if self.prediction_type == "v_prediction":
            return self.scheduler.get_velocity(x0, noise, t)
        return noise

    def _alpha_bar(self, t: torch.Tensor | int, like: torch.Tensor) -> torch.Tensor:
        t = torch.as_tensor(t).long().cpu()
        ab = self.alphas_cumprod[t].to(like.device, like.dtype)
        return ab.reshape(-1, *([1] * (like.dim() - 1))) if ab.dim() else ab

    # --- UNet output → (ε̂, x̂0) ----------------------------------------------------------
    def split_output(self, model_output: torch.Tensor, x_t: torch.Tensor,
                     alpha_bar: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return (ε̂, x̂0) from a UNet output at a step whose ᾱ is `alpha_bar`.

        The arithmetic is DDIMScheduler.step's, so x̂0 equals its pred_original_sample;
        x̂0 is clipped when the schedule clips, as every diffusers sampler of ours would.
        """
        beta_prod = 1 - alpha_bar
        if self.prediction_type == "v_prediction":
            x0 = (alpha_bar**0.5) * x_t - (beta_prod**0.5) * model_output
            eps = (alpha_bar**0.5) * model_output + (beta_prod**0.5) * x_t
        else:
            x0 = (x_t - beta_prod ** (0.5) * model_output) / alpha_bar ** (0.5)
            eps = model_output
        if self.clip is not None:
            x0 = x0.clamp(-self.clip, self.clip)
        return eps, x0
