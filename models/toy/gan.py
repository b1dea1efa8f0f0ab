"""2-D GAN: MLP generator and discriminator with four losses, optional spectral norm,
and the quantities GAN Lab shows (D's surface, G's transport, gradients on fakes)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from models.toy.base import ToyConfig, ToyModel, as_tensor, mlp, to_numpy

LOSSES = ("ns", "lsgan", "wgan", "wgan-gp")
STEP_MODES = ("both", "d", "g")


@dataclass
class ToyGANConfig(ToyConfig):
    """loss: ns (non-saturating), lsgan, wgan (weight clipping at `clip`), wgan-gp
    (penalty weight `gp`); `d_steps` D updates per step; `noise` normal or uniform."""

    loss: str = "ns"
    noise_dim: int = 2
    noise: str = "normal"
    d_hidden: int = 64
    d_layers: int = 3
    d_lr: float = 2e-3
    d_steps: int = 1
    spectral_norm: bool = False
    clip: float = 0.05
    gp: float = 0.1
    optimizer: str = "adam"  # adam or sgd
    lr: float = 2e-3
    hidden: int = 64
    batch: int = 256


class ToyGAN(ToyModel):
    """G: noise → ℝ²; D: ℝ² → a score (a logit, or a critic for the WGANs)."""

    family = "gan"
    config: ToyGANConfig

    def build(self) -> None:
        c = self.config
        if c.loss not in LOSSES:
            raise ValueError(f"unknown GAN loss {c.loss!r}; choose one of {', '.join(LOSSES)}")
        self.G = mlp(c.noise_dim, 2, c.hidden, c.layers, nn.ReLU)
        self.D = mlp(2, 1, c.d_hidden, c.d_layers, nn.LeakyReLU, spectral=c.spectral_norm)
        if c.optimizer == "sgd":
            self.opt_g = torch.optim.SGD(self.G.parameters(), lr=c.lr)
            self.opt_d = torch.optim.SGD(self.D.parameters(), lr=c.d_lr)
        else:
            betas = (0.0, 0.9) if c.loss.startswith("wgan") else (0.5, 0.999)
            self.opt_g = torch.optim.Adam(self.G.parameters(), lr=c.lr, betas=betas)
            self.opt_d = torch.optim.Adam(self.D.parameters(), lr=c.d_lr, betas=betas)
        self.mode = "both"

    def noise(self, n: int, gen: torch.Generator | None = None) -> torch.Tensor:
        """Return n noise vectors (normal or uniform on [-1, 1]) from `gen`."""
        g = gen or self.gen
        if self.config.noise == "uniform":
            return torch.rand(n, self.config.noise_dim, generator=g) * 2 - 1
        return torch.randn(n, self.config.noise_dim, generator=g)

    def d_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        """Return the discriminator's (critic's) loss on one batch."""
        dr, df = self.D(real), self.D(fake)
        loss = self.config.loss
        if loss == "ns":
            return F.softplus(-dr).mean() + F.softplus(df).mean()
        if loss == "lsgan":
            return ((dr - 1) ** 2).mean() + (df ** 2).mean()
        w = df.mean() - dr.mean()
        if loss == "wgan-gp":
            a = torch.rand(len(real), 1, generator=self.gen)
            mix = (a * real + (1 - a) * fake).requires_grad_(True)
            (grad,) = torch.autograd.grad(self.D(mix).sum(), mix, create_graph=True)
            w = w + self.config.gp * ((grad.norm(dim=1) - 1) ** 2).mean()
        return w

    def g_loss(self, fake: torch.Tensor) -> torch.Tensor:
        """Return the generator's loss on generated points."""
        df = self.D(fake)
        if self.config.loss == "ns":
            return F.softplus(-df).mean()
        if self.config.loss == "lsgan":
            return ((df - 1) ** 2).mean()
        return -df.mean()

    def step_d(self) -> float:
        """Update D once; return its loss."""
        with torch.no_grad():
            fake = self.G(self.noise(self.config.batch))
        loss = self.d_loss(self.batch(), fake)
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_d.step()
        if self.config.loss == "wgan":
            with torch.no_grad():
                for p in self.D.parameters():
                    p.clamp_(-self.config.clip, self.config.clip)
        return loss.item()

    def step_g(self) -> float:
        """Update G once; return its loss."""
        loss = self.g_loss(self.G(self.noise(self.config.batch)))
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_g.step()
        return loss.item()

    def train_step(self) -> dict[str, float]:
        """One step in `self.mode`: 'both' (d_steps D updates then one G update), 'd' or 'g'."""
        out: dict[str, float] = {}
        if self.mode in ("both", "d"):
            for _ in range(self.config.d_steps if self.mode == "both" else 1):
                out["d"] = self.step_d()
        if self.mode in ("both", "g"):
            out["g"] = self.step_g()
        return out

    @torch.no_grad()
    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        return to_numpy(self.G(self.noise(n, torch.Generator().manual_seed(seed))))

    @torch.no_grad()
    def transport(self, z: np.ndarray) -> np.ndarray:
        """Return G(z) for given noise vectors (a grid of z for GAN Lab's manifold view)."""
        return to_numpy(self.G(as_tensor(z)))

    @torch.no_grad()
    def decision(self, points: np.ndarray) -> np.ndarray:
        """Return D at the points: a probability of 'real' for ns, the raw score otherwise."""
        out = self.D(as_tensor(points))[:, 0]
        return to_numpy(torch.sigmoid(out) if self.config.loss == "ns" else out)

    def fake_gradients(self, points: np.ndarray) -> np.ndarray:
        """Return −∂(G's loss)/∂x at generated points: where G's update pushes each one."""
        x = as_tensor(points).requires_grad_(True)
        (grad,) = torch.autograd.grad(self.g_loss(x) * len(x), x)
        return to_numpy(-grad)
