"""2-D energy-based model: p(x) ∝ exp(−E(x)), trained by contrastive divergence with
persistent Langevin chains; the energy on a grid and Langevin sampling as a generator."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from models.toy.base import ToyConfig, ToyModel, as_tensor, last_of, mlp, to_numpy
from models.toy.diffusion import DenoiseStep


@dataclass
class ToyEBMConfig(ToyConfig):
    """Langevin x ← x − step·∇E(x) + noise·N(0, I), `chain_steps` per training step on a
    persistent buffer of `buffer` chains (`reinit` of them restarted uniformly each
    step); `reg` weighs E² on both sample sets to keep energies bounded."""

    step: float = 0.01
    noise: float = 0.1414
    chain_steps: int = 20
    buffer: int = 4096
    reinit: float = 0.05
    reg: float = 0.1
    hidden: int = 64
    lr: float = 2e-3
    sample_steps: int = 500


class ToyEBM(ToyModel):
    """Loss = mean E(positive) − mean E(negative) + reg·(E(pos)² + E(neg)²)."""

    family = "ebm"
    config: ToyEBMConfig

    def build(self) -> None:
        c = self.config
        self.energy = mlp(2, 1, c.hidden, c.layers)
        self.opt = torch.optim.Adam(self.energy.parameters(), lr=c.lr, betas=(0.0, 0.999))
        g = torch.Generator().manual_seed(c.seed + 2)
        self.chains = self._uniform(c.buffer, g)
        self.last_negative = self.chains[:0]
        self.last_positive = self.chains[:0]

    def _uniform(self, n: int, g: torch.Generator) -> torch.Tensor:
        e = self.data.extent
        return torch.rand(n, 2, generator=g) * 2 * e - e

    def _grad(self, x: torch.Tensor) -> torch.Tensor:
        with torch.enable_grad():
            x = x.detach().requires_grad_(True)
            (grad,) = torch.autograd.grad(self.energy(x).sum(), x)
        return grad

    def _langevin(self, x: torch.Tensor, steps: int, step: float, noise: float,
                  g: torch.Generator) -> Iterator[torch.Tensor]:
        for _ in range(steps):
            x = x - step * self._grad(x) + noise * torch.randn(x.shape, generator=g)
            yield x

    def train_step(self) -> dict[str, float]:
        c = self.config
        idx = torch.randint(len(self.chains), (c.batch,), generator=self.gen)
        x = self.chains[idx]
        fresh = torch.rand(c.batch, generator=self.gen) < c.reinit
        x[fresh] = self._uniform(int(fresh.sum()), self.gen)
        x = last_of(self._langevin(x, c.chain_steps, c.step, c.noise, self.gen)).detach()
        self.chains[idx] = x
        pos = self.batch()
        e_pos, e_neg = self.energy(pos), self.energy(x)
        cd = e_pos.mean() - e_neg.mean()
        loss = cd + c.reg * ((e_pos ** 2).mean() + (e_neg ** 2).mean())
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.last_positive, self.last_negative = pos, x
        return {"cd": cd.item(), "loss": loss.item()}

    @torch.no_grad()
    def energy_at(self, points: np.ndarray) -> np.ndarray:
        """Return E at the points (the landscape heatmap)."""
        return to_numpy(self.energy(as_tensor(points))[:, 0])

    def samples_of_last_step(self) -> tuple[np.ndarray, np.ndarray]:
        """Return the positive (data) and negative (chain) samples of the last step."""
        return to_numpy(self.last_positive), to_numpy(self.last_negative)

    def chains_run(self, n: int, seed: int = 0, steps: int | None = None,
                   step: float | None = None, noise: float | None = None
                   ) -> Iterator[DenoiseStep]:
        """Yield n Langevin chains after each step, started uniformly on the extent
        (step size and noise as given, else the config's)."""
        c = self.config
        g = torch.Generator().manual_seed(seed)
        k = c.sample_steps if steps is None else steps
        x = self._uniform(n, g)
        moves = self._langevin(x, k, c.step if step is None else step,
                               c.noise if noise is None else noise, g)
        for left, moved in zip(range(k - 1, -1, -1), moves, strict=True):
            yield DenoiseStep(left, to_numpy(moved))

    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        """Return the ends of n Langevin chains of `sample_steps` steps."""
        return last_of(self.chains_run(n, seed)).x

    def grid_density(self, points: np.ndarray) -> np.ndarray:
        """Return exp(−E) at the points normalised to sum to one over them (a grid)."""
        e = self.energy_at(points).astype(np.float64)
        w = np.exp(-(e - e.min()))
        return w / w.sum()
