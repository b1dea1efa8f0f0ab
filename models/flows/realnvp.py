"""RealNVP (Dinh, Sohl-Dickstein & Bengio 2017) on 8-bit images, with exact bits per dim.

Data → flow: pixels are dequantised and logit-transformed (dequantize.py), then each
level runs checkerboard couplings, squeezes 2×2 pixels into channels, runs channel
couplings and factors out half its channels as part of z; the last level runs
checkerboard couplings only. For 28×28×1 (28 = 2·2·7) with two levels:
1×28×28 → (squeeze) 4×14×14 → z₁ 2×14×14 out, 2×14×14 on → 8×7×7 → z₂ 4×7×7 out,
4×7×7 on → z₃ 4×7×7: 392 + 196 + 196 = 784 values, all under N(0, I).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import torch
from torch import nn

from models.base import Capabilities, GenerativeModel
from models.config import TrainConfig
from models.flows.config import RealNVPConfig
from models.flows.dequantize import (
    bits_per_dim,
    dequantize,
    logit_forward,
    logit_inverse,
    pixel_levels,
    requantized,
    standard_normal_log_density,
)
from models.flows.layers import ActNorm, AffineCoupling, squeeze, unsqueeze

NLL_NOISE_SEED = 0  # the dequantisation draws of nll_bits_per_dim: the same every call


def _steps(channels: int, kind: str, count: int, config: RealNVPConfig) -> list[nn.Module]:
    """Return `count` couplings of one mask kind, alternating parity, each after an
    ActNorm when the config asks for it."""
    steps: list[nn.Module] = []
    for i in range(count):
        if config.actnorm:
            steps.append(ActNorm(channels))
        steps.append(AffineCoupling(channels, kind, i % 2, config.hidden_channels,
                                    config.res_blocks))
    return steps


class FlowLevel(nn.Module):
    """One scale: checkerboard couplings; unless it is the last level, a squeeze, channel
    couplings and the factor-out of the first half of the channels."""

    def __init__(self, channels: int, config: RealNVPConfig, last: bool) -> None:
        super().__init__()
        self.last = last
        self.checker = nn.ModuleList(_steps(channels, "checkerboard",
                                            config.couplings + int(last), config))
        self.channel = nn.ModuleList([] if last else
                                     _steps(4 * channels, "channel", config.couplings, config))

    def forward(self, x: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
        """Return (the part going on, the part factored out or None, log|det| per image)."""
        log_det = x.new_zeros(len(x))
        for step in self.checker:
            x, d = step(x)
            log_det = log_det + d
        if self.last:
            return x, None, log_det
        x = squeeze(x)
        for step in self.channel:
            x, d = step(x)
            log_det = log_det + d
        half = x.shape[1] // 2
        return x[:, half:], x[:, :half], log_det

    def inverse(self, kept: torch.Tensor, out: torch.Tensor | None) -> torch.Tensor:
        """Return the level's input from the part that went on and the part factored out."""
        x = kept
        if not self.last:
            x = torch.cat([out, kept], dim=1)
            for step in reversed(self.channel):
                x = step.inverse(x)
            x = unsqueeze(x)
        for step in reversed(self.checker):
            x = step.inverse(x)
        return x


class RealNVP(GenerativeModel):
    """A multi-scale RealNVP: exact log-likelihood, an exact encoder (z = f(x)) and a
    decoder (its inverse), sampling at a temperature."""

    family = "realnvp"
    config_class = RealNVPConfig
    likelihood_kind: ClassVar[str] = "exact"

    def __init__(self, config: RealNVPConfig) -> None:
        super().__init__(config)
        c, size = config.channels, config.image_size
        levels, parts = [], []
        for _ in range(config.num_scales):
            levels.append(FlowLevel(c, config, last=False))
            c, size = 2 * c, size // 2  # 4C channels after the squeeze, half factored out
            parts.append((c, size, size))
        levels.append(FlowLevel(c, config, last=True))
        parts.append((c, size, size))
        self.levels = nn.ModuleList(levels)
        self.latent_parts: tuple[tuple[int, int, int], ...] = tuple(parts)
        self.dims = config.channels * config.image_size ** 2

    # --- description -------------------------------------------------------------------
    @property
    def capabilities(self) -> Capabilities:
        """Return: encodes (exactly), unconditional, a flat latent of C·H·W values under
        the N(0, I) prior."""
        return Capabilities(can_encode=True, conditional=False, is_diffusion=False,
                            latent_shape=(self.dims,), has_prior=True)

    # --- the flow ----------------------------------------------------------------------
    def flow_forward(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return (z flattened N×D, log|det ∂z/∂h| per image) for logit-space images h."""
        parts, log_det = [], h.new_zeros(len(h))
        for level in self.levels:
            h, out, d = level(h)
            log_det = log_det + d
            if out is not None:
                parts.append(out.flatten(1))
        parts.append(h.flatten(1))
        return torch.cat(parts, dim=1), log_det

    def flow_inverse(self, z: torch.Tensor) -> torch.Tensor:
        """Return logit-space images h from flattened latents z (N×D)."""
        sizes = [math.prod(p) for p in self.latent_parts]
        chunks = [c.reshape(len(z), *p)
                  for c, p in zip(z.split(sizes, dim=1), self.latent_parts, strict=True)]
        h = chunks[-1]
        for level, out in zip(reversed(self.levels), [None, *reversed(chunks[:-1])],
                              strict=True):
            h = level.inverse(h, out)
        return h

    def log_density(self, u: torch.Tensor) -> torch.Tensor:
        """Return log p_u(u) (nats per image, [N]) of dequantised images u in [0, 1]:
        the prior's log-density of z plus the flow's and the logit transform's log|det|."""
        h, log_det_logit = logit_forward(u, self.config.logit_alpha)
        z, log_det_flow = self.flow_forward(h)
        return standard_normal_log_density(z) + log_det_flow + log_det_logit

    def nll_bits_per_dim(self, x: torch.Tensor) -> torch.Tensor:
        """Return the negative log-likelihood of images x (N×C×H×W in [0, 1], quantised to
        8 bits here) in bits per dimension, shape [N]: the dequantisation bound with one
        uniform draw per pixel from a fixed seed, so a batch scores the same every call
        (and no global random state is drawn)."""
        levels = pixel_levels(x)
        g = torch.Generator().manual_seed(NLL_NOISE_SEED)
        noise = torch.rand(levels.shape, generator=g, dtype=levels.dtype).to(levels.device)
        return bits_per_dim(self.log_density(dequantize(levels, noise)), self.dims)

    # --- training ----------------------------------------------------------------------
    def training_step(self, x: torch.Tensor, y: torch.Tensor,
                      optimizers: dict[str, torch.optim.Optimizer]) -> dict[str, torch.Tensor]:
        """Run one Adam step on the mean bits per dim of freshly dequantised x; return loss
        and bits_per_dim (the same number: the loss is the bound itself)."""
        opt = optimizers["model"]
        opt.zero_grad(set_to_none=True)
        levels = pixel_levels(x)
        bpd = bits_per_dim(self.log_density(dequantize(levels, torch.rand_like(levels))),
                           self.dims).mean()
        self.backward(bpd)
        if self.config.grad_clip > 0:
            self.unscale(opt)
            nn.utils.clip_grad_norm_(self.parameters(), self.config.grad_clip)
        self.optimizer_step(opt)
        bpd = bpd.detach()
        return {"loss": bpd, "bits_per_dim": bpd}

    @torch.no_grad()
    def validation_step(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        """Return loss and bits_per_dim, batch means of `nll_bits_per_dim` (deterministic)."""
        bpd = self.nll_bits_per_dim(x).mean()
        return {"loss": bpd, "bits_per_dim": bpd}

    def configure_optimizers(self, train: TrainConfig) -> dict[str, torch.optim.Optimizer]:
        """Return one Adam over every weight."""
        return {"model": torch.optim.Adam(self.parameters(), lr=train.lr)}

    # --- encoder and decoder -----------------------------------------------------------
    def encode(self, x: torch.Tensor, y: torch.Tensor | None = None
               ) -> tuple[torch.Tensor, torch.Tensor]:
        """Return (z, zeros): z = f(x) flattened (N×D) from the centres of x's 8-bit bins
        (no noise: deterministic), with log-variances 0 as the latent map expects of a
        deterministic encoder."""
        h, _ = logit_forward(dequantize(pixel_levels(x), None), self.config.logit_alpha)
        z, _ = self.flow_forward(h)
        return z, torch.zeros_like(z)

    def decode(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Return images in [0, 1] from latents z (N×D): f⁻¹(z), a bin centre mapped back
        to its pixel value k / 255."""
        h = self.flow_inverse(z.reshape(len(z), -1))
        return requantized(logit_inverse(h, self.config.logit_alpha))

    def reconstruct(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Return decode(encode(x)): x quantised to 8 bits, up to float error."""
        return self.decode(self.encode(x)[0])

    @torch.no_grad()
    def sample(self, n: int, seed: int, labels: torch.Tensor | None = None,
               temperature: float | None = None, **options: Any) -> torch.Tensor:
        """Return n images in [0, 1] decoded from z ~ N(0, T²I), T = `temperature` (default
        the config's); the same for the same seed and temperature."""
        if options:
            raise ValueError(f"realnvp sampling takes no {', '.join(sorted(options))}")
        t = self.config.temperature if temperature is None else float(temperature)
        if not 0.0 <= t <= 10.0 or math.isnan(t):
            raise ValueError(f"temperature must be in [0, 10], not {temperature}")
        g = torch.Generator().manual_seed(seed)
        z = torch.randn(n, self.dims, generator=g, dtype=self._dtype()) * t
        return self.decode(z.to(self.device))

    def _dtype(self) -> torch.dtype:
        return next(self.parameters()).dtype
