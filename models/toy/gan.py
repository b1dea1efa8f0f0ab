"""2-D GAN: MLP generator and discriminator with four losses, optional spectral norm,
and the quantities GAN Lab shows (D's surface, G's transport, gradients on fakes)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from models.toy.base import ToyConfig, ToyModel, as_tensor, mlp, to_numpy

LOSSES = ("ns", "lsgan", "wgan", "wgan-gp")
STEP_MODES = ("both", "d", "g")
# the stages of one step, in order (`ToyGAN.staged_step`): GAN Lab's slow motion
STAGES = ("sample", "update_d", "g_grads", "update_g")


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


@dataclass(frozen=True)
class GANStage:
    """One stage of a training step, reached but not yet left (arrays are copies).

    name: one of STAGES; step: the number the step will have once done. "sample": `real`
    and `fake`, the batch D is about to train on. "update_d": the same batch, D updated;
    `d_before` is D at the probe points before the update (None without a probe).
    "g_grads": `fake`, G's batch, and `grads`, −∂L_G/∂x on each (where G's update pushes
    it). "update_g": G updated; `fake` is where G's batch was, `moved` where it is now."""

    name: str
    step: int
    real: np.ndarray | None = None
    fake: np.ndarray | None = None
    grads: np.ndarray | None = None
    moved: np.ndarray | None = None
    d_before: np.ndarray | None = None
    losses: dict[str, float] | None = None


@contextlib.contextmanager
def frozen(module: nn.Module) -> Iterator[None]:
    """Run `module` in eval mode inside the block: spectral norm's power iteration (a
    buffer update at every forward in training mode) is then left alone."""
    was = module.training
    module.eval()
    try:
        yield
    finally:
        module.train(was)


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
        self.stage: GANStage | None = None  # the stage a staged step stands at, else None

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
        real, fake = self._d_batch()
        return self._update_d(real, fake)

    def _d_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Return D's next batch: real points and fakes (noise drawn first, then data)."""
        with torch.no_grad():
            fake = self.G(self.noise(self.config.batch))
        return self.batch(), fake

    def _update_d(self, real: torch.Tensor, fake: torch.Tensor) -> float:
        loss = self.d_loss(real, fake)
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
        loss, _z, _fake = self._g_backward()
        self.opt_g.step()
        return loss

    def _g_backward(self) -> tuple[float, torch.Tensor, torch.Tensor]:
        """Compute G's gradients on a fresh batch; return its loss, its noise and its
        fakes (∂L_G/∂x in `.grad`). D runs frozen: a G step never changes D, spectral
        norm's power-iteration buffers included."""
        z = self.noise(self.config.batch)
        fake = self.G(z)
        fake.retain_grad()
        with frozen(self.D):
            loss = self.g_loss(fake)
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        return loss.item(), z, fake

    def train_step(self) -> dict[str, float]:
        """One step in `self.mode`: 'both' (d_steps D updates then one G update), 'd' or 'g'."""
        out: dict[str, float] = {}
        for _ in range(self._d_updates()):
            out["d"] = self.step_d()
        if self.mode in ("both", "g"):
            out["g"] = self.step_g()
        return out

    def _d_updates(self) -> int:
        return {"both": self.config.d_steps, "d": 1}.get(self.mode, 0)

    def staged_step(self, probe: np.ndarray | None = None) -> Iterator[GANStage]:
        """Run one training step like `train_step` (the same draws in the same order, so
        the same weights), yielding a GANStage at each stage reached: "sample" and
        "update_d" per D update, then "g_grads" and "update_g" (only `self.mode`'s).
        `probe`: points where D is recorded before its update. `self.stage` is the stage
        standing meanwhile; the step is counted once its last stage is left. Closed
        mid-step, the step stays half-applied and uncounted (a reset follows)."""
        step = self.steps + 1
        out: dict[str, float] = {}
        clock = time.perf_counter()

        def reach(stage: GANStage) -> Iterator[GANStage]:
            nonlocal clock
            self.stage = stage
            self._elapsed += time.perf_counter() - clock  # a held stage is not training
            yield stage
            clock = time.perf_counter()

        try:
            for _ in range(self._d_updates()):
                real, fake = self._d_batch()
                real_np, fake_np = to_numpy(real), to_numpy(fake)
                yield from reach(GANStage("sample", step, real_np, fake_np))
                before = None if probe is None else self.decision(probe)
                out["d"] = self._update_d(real, fake)
                yield from reach(GANStage("update_d", step, real_np, fake_np,
                                          d_before=before, losses=dict(out)))
            if self.mode in ("both", "g"):
                out["g"], z, fake = self._g_backward()
                fake_np = to_numpy(fake)
                # −∂L_G/∂x per point (the loss is a mean over the batch: undo its 1/n)
                grads = to_numpy(-fake.grad * len(fake))
                yield from reach(GANStage("g_grads", step, fake=fake_np, grads=grads,
                                          losses=dict(out)))
                self.opt_g.step()
                with torch.no_grad():
                    moved = to_numpy(self.G(z))
                yield from reach(GANStage("update_g", step, fake=fake_np, moved=moved,
                                          losses=dict(out)))
        finally:
            self.stage = None
        self.steps = step
        self._elapsed += time.perf_counter() - clock

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
        with frozen(self.D):  # looking never changes D (spectral norm's buffers)
            out = self.D(as_tensor(points))[:, 0]
        return to_numpy(torch.sigmoid(out) if self.config.loss == "ns" else out)

    def fake_gradients(self, points: np.ndarray) -> np.ndarray:
        """Return −∂(G's loss)/∂x at generated points: where G's update pushes each one."""
        x = as_tensor(points).requires_grad_(True)
        with frozen(self.D):
            (grad,) = torch.autograd.grad(self.g_loss(x) * len(x), x)
        return to_numpy(-grad)
