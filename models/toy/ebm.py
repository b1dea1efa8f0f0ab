"""2-D energy-based model: p(x) ∝ exp(−E(x)), trained by contrastive divergence with
persistent Langevin chains; the energy on a grid and Langevin sampling as a generator."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch

from models.toy.base import Ema, ToyConfig, ToyModel, as_tensor, last_of, mlp, to_numpy
from models.toy.diffusion import DenoiseStep


@dataclass
class ToyEBMConfig(ToyConfig):
    """Langevin x ← x − step·∇E(x) + noise·N(0, I), `chain_steps` per training step on
    chains drawn from a buffer of `buffer` chains, `reinit` of them restarted uniformly
    each step; `reg` weighs E² on both sample sets to keep energies bounded.

    The defaults are short-run MCMC (Nijkamp et al. 2019): every chain restarts uniformly
    (reinit 1) and runs 20 steps at a low temperature (noise²/2·step ≈ 0.04), and
    sampling runs the same 20 steps with an average of the weights (`ema`), so contrastive
    divergence trains exactly the sampler that is evaluated: its samples reach the ring in
    seconds, while exp(−E) is not a calibrated density. Persistent chains (reinit < 1),
    temperature-1 noise (noise = √(2·step)) and long annealed sampling
    (`sample_step_start`) remain settings; bench/toy_lab.py's docstring says what each
    bought. No temperature calibrates exp(−E): dividing E by the chains' σ²/2η (0.04)
    raised its grid KL on 8 Gaussians from ≈ 2 to 7–18 over 2–10 s of training, and
    after 1200 steps exp(−E/T) was best at T = 1 (KL 2.1; 4.3 at T = 0.3, 2.7 at 5). A
    short-run energy only has to steer 20 steps from uniform: it learned a ring, E lower
    by only ≈ 1.2 at the modes than between them. Batches of 512 at learning rate 0.01
    (from 256 at 0.002) reach grid KL ≤ 0.1 on 8 Gaussians in 550–900 steps over seeds
    0–2 instead of 1375 to over 1500: each step costs 1.55× as much, the whole 30–40 %
    less (bench/toy_lab.py's docstring)."""

    step: float = 0.03
    noise: float = 0.05
    chain_steps: int = 20
    buffer: int = 4096
    reinit: float = 1.0
    reg: float = 0.01
    hidden: int = 64
    lr: float = 1e-2
    batch: int = 512  # positives and chains a step: the learning rate's noise halved
    sample_steps: int = 20
    sample_step_start: float = 0.0  # > step: sampling anneals from it down to `step`
    ema: float = 0.98  # > 0: sampling and the landscape use an average of the weights
    # fields added later, as checkpoints saved before them had them (models/toy/run.py)
    OLD_DEFAULTS: ClassVar[dict[str, object]] = {"sample_step_start": 0.0, "ema": 0.0}


class ToyEBM(ToyModel):
    """Loss = mean E(positive) − mean E(negative) + reg·(E(pos)² + E(neg)²)."""

    family = "ebm"
    config: ToyEBMConfig

    def build(self) -> None:
        c = self.config
        self.energy = mlp(2, 1, c.hidden, c.layers)
        self.opt = torch.optim.Adam(self.energy.parameters(), lr=c.lr, betas=(0.0, 0.999))
        self.ema = Ema(self.energy, c.ema) if c.ema > 0 else None
        g = torch.Generator().manual_seed(c.seed + 2)
        self.chains = self._uniform(c.buffer, g)
        self.last_negative = self.chains[:0]
        self.last_positive = self.chains[:0]
        self.last_energies: tuple[float, float] | None = None  # mean E(pos), E(neg)

    def _uniform(self, n: int, g: torch.Generator) -> torch.Tensor:
        e = self.data.extent
        return torch.rand(n, 2, generator=g) * 2 * e - e

    def _shown(self) -> torch.nn.Module:
        """Return the energy that samples and views use (the average when kept)."""
        return self.ema.module if self.ema is not None else self.energy

    @staticmethod
    def _grad(energy: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
        with torch.enable_grad():
            x = x.detach().requires_grad_(True)
            (grad,) = torch.autograd.grad(energy(x).sum(), x)
        return grad

    def _langevin(self, x: torch.Tensor, steps: int, step: float, noise: float,
                  g: torch.Generator, step_start: float = 0.0,
                  energy: torch.nn.Module | None = None) -> Iterator[torch.Tensor]:
        """Yield x after each Langevin step; with step_start > step the step size falls
        geometrically from step_start to step (noise scaled by √ of the ratio, so the
        temperature stays the same): long strides to reach a mode, then fine ones that
        do not widen it."""
        sizes = (np.geomspace(step_start, step, steps) if step_start > step
                 else np.full(steps, step))
        for size in sizes.tolist():
            scale = noise * (size / step) ** 0.5
            grad = self._grad(self._shown() if energy is None else energy, x)
            x = x - size * grad + scale * torch.randn(x.shape, generator=g)
            yield x

    def train_step(self) -> dict[str, float]:
        c = self.config
        idx = torch.randint(len(self.chains), (c.batch,), generator=self.gen)
        x = self.chains[idx]
        fresh = torch.rand(c.batch, generator=self.gen) < c.reinit
        x[fresh] = self._uniform(int(fresh.sum()), self.gen)
        x = last_of(self._langevin(x, c.chain_steps, c.step, c.noise, self.gen,
                                   energy=self.energy)).detach()
        self.chains[idx] = x
        pos = self.batch()
        e_pos, e_neg = self.energy(pos), self.energy(x)
        cd = e_pos.mean() - e_neg.mean()
        loss = cd + c.reg * ((e_pos ** 2).mean() + (e_neg ** 2).mean())
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        if self.ema is not None:
            self.ema.update()
        self.last_positive, self.last_negative = pos, x
        self.last_energies = (e_pos.mean().item(), e_neg.mean().item())
        return {"cd": cd.item(), "loss": loss.item()}

    @torch.no_grad()
    def energy_at(self, points: np.ndarray) -> np.ndarray:
        """Return E at the points (the landscape heatmap)."""
        return to_numpy(self._shown()(as_tensor(points))[:, 0])

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
                               c.noise if noise is None else noise, g,
                               c.sample_step_start if step is None else 0.0)
        for left, moved in zip(range(k - 1, -1, -1), moves, strict=True):
            yield DenoiseStep(left, to_numpy(moved))

    @torch.no_grad()
    def langevin_frames(self, n: int, seed: int, steps: int, step: float,
                        noise: float) -> np.ndarray:
        """Return (steps + 1, n, 2): n chains started uniformly on the extent, then after
        each of `steps` Langevin steps of size `step` and noise `noise` (no annealing) over
        the energy the landscape shows."""
        g = torch.Generator().manual_seed(seed)
        x = self._uniform(n, g)
        frames = [x, *self._langevin(x, steps, step, noise, g)]
        return torch.stack(frames).numpy().astype(np.float32, copy=True)

    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        """Return the ends of n Langevin chains of `sample_steps` steps."""
        return last_of(self.chains_run(n, seed)).x

    def grid_density(self, points: np.ndarray) -> np.ndarray:
        """Return exp(−E) at the points normalised to sum to one over them (a grid)."""
        e = self.energy_at(points).astype(np.float64)
        w = np.exp(-(e - e.min()))
        return w / w.sum()
