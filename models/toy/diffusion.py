"""2-D denoising diffusion (DDPM): ε-prediction training (sampling uses the EMA weights),
DDPM and DDIM sampling as step generators yielding every intermediate x_t from one shared
starting noise, the forward process (each point on one smooth path to noise; the data's
exact density after t steps) and the ε field."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from scipy.special import ndtr
from torch import nn

from models.toy.base import Ema, ToyConfig, ToyModel, as_tensor, last_of, mlp, to_numpy


@dataclass
class ToyDiffusionConfig(ToyConfig):
    """`timesteps` T of a linear β schedule from beta_start to beta_end (ᾱ_T ≈ 0.006)."""

    timesteps: int = 100
    beta_start: float = 1e-4
    beta_end: float = 0.1
    embed: int = 16
    hidden: int = 128
    lr: float = 2e-3
    ema: float = 0.995


@dataclass(frozen=True)
class DenoiseStep:
    """One reverse step: the timestep t just removed (T−1 … 0) and x after it (n, 2)."""

    t: int
    x: np.ndarray


def time_embedding(t: torch.Tensor, dim: int, scale: float) -> torch.Tensor:
    """Return sinusoidal features (n, dim) of t / scale (t a float tensor (n,))."""
    half = dim // 2
    freqs = torch.exp(torch.arange(half) * (-math.log(100.0) / max(half - 1, 1)))
    arg = (t[:, None] / scale) * freqs[None] * 2 * math.pi
    return torch.cat([arg.sin(), arg.cos()], 1)


def noised_cell_masses(points: np.ndarray, scale: float, std: float,
                       edges: np.ndarray) -> np.ndarray:
    """Return the probability (bins, bins; rows along y) of each cell of the square cut by
    `edges` (bins + 1 along either axis) under scale·x₀ + std·ε, with x₀ one of `points`
    (uniformly) and ε ~ N(0, I): the data's exact density after noising, integrated over
    each cell, so even a tiny std shows without aliasing. Mass outside the square is left
    out."""
    p = np.asarray(points, dtype=np.float64)
    e = np.asarray(edges, dtype=np.float64)
    bins = len(e) - 1
    if std <= 0:
        h, _, _ = np.histogram2d(scale * p[:, 1], scale * p[:, 0], bins=[e, e])
        return h / max(len(p), 1)
    # a Gaussian's mass in a cell is the product of its x and y interval masses, so the
    # sum over points is one matrix product of the (points, bins) interval masses
    px = np.diff(ndtr((e[None] - scale * p[:, :1]) / std), axis=1)
    py = np.diff(ndtr((e[None] - scale * p[:, 1:]) / std), axis=1)
    return (py.T @ px).reshape(bins, bins) / max(len(p), 1)


class _EpsNet(nn.Module):
    def __init__(self, c: ToyDiffusionConfig) -> None:
        super().__init__()
        self.embed, self.scale = c.embed, float(c.timesteps)
        self.net = mlp(2 + c.embed, 2, c.hidden, c.layers)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([x, time_embedding(t.float(), self.embed, self.scale)], 1))


class ToyDiffusion(ToyModel):
    """x_t = √ᾱ_t x_0 + √(1−ᾱ_t) ε; the network predicts ε from (x_t, t)."""

    family = "diffusion"
    config: ToyDiffusionConfig

    def build(self) -> None:
        c = self.config
        self.net = _EpsNet(c)
        self.opt = torch.optim.Adam(self.net.parameters(), lr=c.lr)
        self.ema = Ema(self.net, c.ema)
        self.betas = torch.linspace(c.beta_start, c.beta_end, c.timesteps)
        self.alpha_bar = torch.cumprod(1 - self.betas, 0)

    def train_step(self) -> dict[str, float]:
        x0 = self.batch()
        t = torch.randint(self.config.timesteps, (len(x0),), generator=self.gen)
        eps = self.randn(*x0.shape)
        ab = self.alpha_bar[t][:, None]
        loss = ((self.net(ab.sqrt() * x0 + (1 - ab).sqrt() * eps, t) - eps) ** 2).mean()
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.ema.update()
        return {"mse": loss.item()}

    def start_noise(self, n: int, seed: int = 0) -> np.ndarray:
        """Return the pure noise x_T (n, 2) that `ddpm` and `ddim` with this seed start
        from."""
        return to_numpy(self._start(n, seed)[1])

    def _start(self, n: int, seed: int) -> tuple[torch.Generator, torch.Tensor]:
        g = torch.Generator().manual_seed(seed)
        return g, torch.randn(n, 2, generator=g)

    def forward_path(self, x0: np.ndarray, seed: int = 0) -> np.ndarray:
        """Return (T + 1, n, 2): x0 first, then x_t for t = 0 … T − 1 with one ε per point
        (the draw `diffuse` makes with this seed), so each point moves smoothly to noise."""
        g = torch.Generator().manual_seed(seed)
        x = as_tensor(x0)
        eps = torch.randn(x.shape, generator=g)
        ab = self.alpha_bar[:, None, None]
        path = torch.cat([x[None], ab.sqrt() * x[None] + (1 - ab).sqrt() * eps[None]])
        return to_numpy(path)

    def forward_masses(self, points: np.ndarray, t: int, edges: np.ndarray) -> np.ndarray:
        """Return q(x_t)'s mass in each cell (bins, bins; rows along y) of the square cut
        by `edges`, for data drawn uniformly from `points`: exact, no sampling."""
        ab = float(self.alpha_bar[t])
        return noised_cell_masses(points, ab ** 0.5, (1 - ab) ** 0.5, edges)

    def diffuse(self, x0: np.ndarray, t: int, seed: int = 0) -> np.ndarray:
        """Return x_t of the forward process from the points x0 (the data diffusing)."""
        g = torch.Generator().manual_seed(seed)
        x = as_tensor(x0)
        ab = self.alpha_bar[t]
        return to_numpy(ab.sqrt() * x + (1 - ab).sqrt() * torch.randn(x.shape, generator=g))

    @torch.no_grad()
    def eps_field(self, points: np.ndarray, t: int) -> np.ndarray:
        """Return the predicted ε at the points for timestep t (the score is −ε/√(1−ᾱ_t))."""
        x = as_tensor(points)
        return to_numpy(self.ema.module(x, torch.full((len(x),), t)))

    @torch.no_grad()
    def ddpm(self, n: int, seed: int = 0) -> Iterator[DenoiseStep]:
        """Yield x after each of the T ancestral DDPM steps, from pure noise to x_0."""
        g, x = self._start(n, seed)
        for t in range(self.config.timesteps - 1, -1, -1):
            b, ab = self.betas[t], self.alpha_bar[t]
            eps = self.ema.module(x, torch.full((n,), t))
            x = (x - b / (1 - ab).sqrt() * eps) / (1 - b).sqrt()
            if t > 0:
                var = b * (1 - self.alpha_bar[t - 1]) / (1 - ab)
                x = x + var.sqrt() * torch.randn(x.shape, generator=g)
            yield DenoiseStep(t, to_numpy(x))

    @torch.no_grad()
    def ddim(self, n: int, seed: int = 0, steps: int = 20, eta: float = 0.0
             ) -> Iterator[DenoiseStep]:
        """Yield x after each of `steps` DDIM steps (η = 0: deterministic), from the same
        noise as `ddpm` with this seed."""
        g, x = self._start(n, seed)
        T = self.config.timesteps
        ts = np.unique(np.linspace(0, T - 1, min(steps, T)).round().astype(int))[::-1]
        for i, t in enumerate(ts):
            ab = self.alpha_bar[t]
            ab_prev = self.alpha_bar[ts[i + 1]] if i + 1 < len(ts) else torch.tensor(1.0)
            eps = self.ema.module(x, torch.full((n,), int(t)))
            x0 = (x - (1 - ab).sqrt() * eps) / ab.sqrt()
            sigma = eta * ((1 - ab_prev) / (1 - ab) * (1 - ab / ab_prev)).sqrt()
            x = ab_prev.sqrt() * x0 + (1 - ab_prev - sigma ** 2).clamp(min=0).sqrt() * eps
            if eta > 0 and i + 1 < len(ts):
                x = x + sigma * torch.randn(x.shape, generator=g)
            yield DenoiseStep(int(t), to_numpy(x))

    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        """Return n DDPM samples (the last step of `ddpm`)."""
        return last_of(self.ddpm(n, seed)).x
