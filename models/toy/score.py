"""2-D score model (NCSN): denoising score matching over geometric noise levels, annealed
Langevin sampling as a step generator, and the data perturbed at growing σ (each point on
a smooth path; the perturbed data's exact density)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from models.toy.base import Ema, ToyConfig, ToyModel, as_tensor, last_of, mlp, to_numpy
from models.toy.diffusion import DenoiseStep, noised_cell_masses, time_embedding


@dataclass
class ToyScoreConfig(ToyConfig):
    """`levels` noise levels from sigma_max down to sigma_min; Langevin takes
    `steps_per_level` steps of size step·(σ_i/σ_min)² at each."""

    sigma_min: float = 0.02
    sigma_max: float = 2.5
    levels: int = 12
    steps_per_level: int = 30
    step: float = 1e-4
    embed: int = 16
    hidden: int = 128
    lr: float = 2e-3
    ema: float = 0.995


class _ScoreNet(nn.Module):
    """s(x, σ) = net(x, log σ) / σ, so the network's output stays of order one."""

    def __init__(self, c: ToyScoreConfig) -> None:
        super().__init__()
        self.embed = c.embed
        self.net = mlp(2 + c.embed, 2, c.hidden, c.layers)

    def forward(self, x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        feats = time_embedding(sigma.log(), self.embed, 8.0)
        return self.net(torch.cat([x, feats], 1)) / sigma[:, None]


class ToyScore(ToyModel):
    """Trained with ½·σ²·‖s(x̃, σ) + (x̃ − x)/σ²‖² averaged over the levels."""

    family = "score"
    config: ToyScoreConfig

    def build(self) -> None:
        c = self.config
        self.net = _ScoreNet(c)
        self.opt = torch.optim.Adam(self.net.parameters(), lr=c.lr)
        self.ema = Ema(self.net, c.ema)
        self.sigmas = torch.exp(torch.linspace(math.log(c.sigma_max), math.log(c.sigma_min),
                                               c.levels))

    def train_step(self) -> dict[str, float]:
        x = self.batch()
        sigma = self.sigmas[torch.randint(len(self.sigmas), (len(x),), generator=self.gen)]
        noise = self.randn(*x.shape)
        s = self.net(x + sigma[:, None] * noise, sigma)
        loss = 0.5 * ((sigma[:, None] * s + noise) ** 2).sum(1).mean()
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.ema.update()
        return {"dsm": loss.item()}

    @torch.no_grad()
    def score_field(self, points: np.ndarray, sigma: float) -> np.ndarray:
        """Return the learned score ∇ log p_σ at the points for noise level σ."""
        x = as_tensor(points)
        return to_numpy(self.ema.module(x, torch.full((len(x),), float(sigma))))

    @staticmethod
    def perturb_path(x0: np.ndarray, sigmas: np.ndarray, seed: int = 0) -> np.ndarray:
        """Return (len(sigmas), n, 2): x0 + σ·ε at each σ with one ε per point (numpy,
        seeded), so each point moves smoothly away as σ grows."""
        x = np.asarray(x0, dtype=np.float32)
        eps = np.random.default_rng(seed).standard_normal(x.shape).astype(np.float32)
        s = np.asarray(sigmas, dtype=np.float32)[:, None, None]
        return x[None] + s * eps[None]

    @staticmethod
    def perturbed_masses(points: np.ndarray, sigma: float, edges: np.ndarray) -> np.ndarray:
        """Return p_σ's mass in each cell (bins, bins; rows along y) of the square cut by
        `edges`: the data (uniform over `points`) plus N(0, σ² I), exact."""
        return noised_cell_masses(points, 1.0, float(sigma), edges)

    @torch.no_grad()
    def langevin(self, n: int, seed: int = 0, step: float | None = None,
                 steps_per_level: int | None = None, denoise: bool = True
                 ) -> Iterator[DenoiseStep]:
        """Yield x after every annealed Langevin step (`t` counts down to 0); with
        `denoise`, a last step x + σ_min²·s(x, σ_min) removes the smallest level's noise."""
        c = self.config
        g = torch.Generator().manual_seed(seed)
        eps = c.step if step is None else step
        k = c.steps_per_level if steps_per_level is None else steps_per_level
        x = torch.rand(n, 2, generator=g) * 2 * self.data.extent - self.data.extent
        left = len(self.sigmas) * k + int(denoise)
        for sigma in self.sigmas:
            a = eps * (sigma / self.sigmas[-1]) ** 2
            sig = torch.full((n,), float(sigma))
            for _ in range(k):
                x = x + 0.5 * a * self.ema.module(x, sig) + a.sqrt() * torch.randn(
                    x.shape, generator=g)
                left -= 1
                yield DenoiseStep(left, to_numpy(x))
        if denoise:
            s_min = self.sigmas[-1]
            x = x + s_min ** 2 * self.ema.module(x, torch.full((n,), float(s_min)))
            yield DenoiseStep(0, to_numpy(x))

    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        """Return n annealed-Langevin samples."""
        return last_of(self.langevin(n, seed)).x
