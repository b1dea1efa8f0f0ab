"""2-D coupling flow: layers alternate which coordinate they change (optionally after a
learned rotation); the change is a rational-quadratic spline (default) or RealNVP's affine
map.
Exact log-density, generation layer by layer (the warped grid), and inversion."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch
from torch import nn

from models.toy.base import Ema, ToyConfig, ToyModel, as_tensor, mlp, to_numpy
from models.toy.spline import spline


@dataclass
class ToyFlowConfig(ToyConfig):
    """`couplings` coupling layers, each (after a learned rotation if `rotate`) a spline
    (`bins` bins on ±spline_bound, the identity outside) or an affine map (log-scales bounded by
    scale_bound·tanh). Splines: the ring's sharp modes in seconds (affine couplings take
    more than 10 s; bench/toy_lab.py)."""

    couplings: int = 4
    hidden: int = 64
    layers: int = 2
    scale_bound: float = 3.0
    rotate: bool = False  # a learned rotation before each coupling
    coupling: str = "spline"  # rational-quadratic, `bins` bins on ±spline_bound; or "affine"
    bins: int = 16
    spline_bound: float = 4.0
    lr: float = 5e-3
    batch: int = 256
    ema: float = 0.99
    clip_grad: float = 10.0
    # fields added later, as checkpoints saved before them had them (models/toy/run.py)
    OLD_DEFAULTS: ClassVar[dict[str, object]] = {"coupling": "affine", "rotate": False}


class Coupling(nn.Module):
    """z → x: rotate, then change one coordinate given the other, x_b = g(z_b; z_a) with
    g a spline or z_b·exp(s(z_a)) + t(z_a), x_a = z_a; layers alternate a and b."""

    def __init__(self, c: ToyFlowConfig, index: int) -> None:
        super().__init__()
        self.a, self.b = (1, 0) if index % 2 else (0, 1)
        if c.coupling not in ("affine", "spline"):
            raise ValueError(f"coupling must be affine or spline, not {c.coupling!r}")
        self.kind, self.bins, self.spline_bound = c.coupling, c.bins, c.spline_bound
        self.bound = c.scale_bound
        self.net = mlp(1, 2 if c.coupling == "affine" else 3 * c.bins - 1, c.hidden, c.layers)
        # a learned rotation before the coupling (log-det 0): with axis-aligned couplings
        # alone every layer can only shear along x or y, and the ring's diagonal modes
        # need many layers to separate
        self.angle = nn.Parameter(torch.tensor(0.7 * index)) if c.rotate else None

    def _rotate(self, z: torch.Tensor, inverse: bool = False) -> torch.Tensor:
        if self.angle is None:
            return z
        c, s = torch.cos(self.angle), torch.sin(self.angle)
        r = torch.stack([torch.stack([c, -s]), torch.stack([s, c])])
        return z @ r if inverse else z @ r.T

    def _st(self, xa: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        s, t = self.net(xa).chunk(2, dim=1)
        return self.bound * torch.tanh(s / self.bound), t

    def _spline(self, v: torch.Tensor, xa: torch.Tensor, inverse: bool
                ) -> tuple[torch.Tensor, torch.Tensor]:
        moved, logd = spline(v[:, 0], self.net(xa), self.bins, self.spline_bound, inverse)
        return moved[:, None], logd

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        z = self._rotate(z)
        za, zb = z[:, self.a:self.a + 1], z[:, self.b:self.b + 1]
        if self.kind == "spline":
            moved, _ = self._spline(zb, za, inverse=True)
        else:
            s, t = self._st(za)
            moved = zb * s.exp() + t
        return torch.cat([z[:, :1], moved] if self.b else [moved, z[:, 1:]], 1)

    def inverse(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return z and log|det ∂z/∂x| per point."""
        xa, xb = x[:, self.a:self.a + 1], x[:, self.b:self.b + 1]
        if self.kind == "spline":
            moved, logdet = self._spline(xb, xa, inverse=False)
        else:
            s, t = self._st(xa)
            moved, logdet = (xb - t) * (-s).exp(), -s[:, 0]
        z = torch.cat([x[:, :1], moved] if self.b else [moved, x[:, 1:]], 1)
        return self._rotate(z, inverse=True), logdet


class _Flow(nn.Module):
    def __init__(self, c: ToyFlowConfig) -> None:
        super().__init__()
        self.layers = nn.ModuleList(Coupling(c, i) for i in range(c.couplings))

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        logdet = torch.zeros(len(x))
        for layer in reversed(self.layers):
            x, ld = layer.inverse(x)
            logdet = logdet + ld
        return -0.5 * (x ** 2).sum(1) - math.log(2 * math.pi) + logdet


class ToyFlow(ToyModel):
    """Trained by maximum likelihood: loss = −mean log p(x) in nats."""

    family = "flow"
    config: ToyFlowConfig

    def build(self) -> None:
        self.flow = _Flow(self.config)
        self.opt = torch.optim.Adam(self.flow.parameters(), lr=self.config.lr)
        self.ema = Ema(self.flow, self.config.ema)

    def train_step(self) -> dict[str, float]:
        loss = -self.flow.log_prob(self.batch()).mean()
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        # a rare huge gradient (a point far out in a sharp layer) otherwise throws a
        # long-trained flow back to its start
        nn.utils.clip_grad_norm_(self.flow.parameters(), self.config.clip_grad)
        self.opt.step()
        self.ema.update()
        return {"nll": loss.item()}

    @torch.no_grad()
    def log_prob(self, points: np.ndarray) -> np.ndarray:
        """Return the exact log-density (nats) at each point (a heatmap on a grid)."""
        return to_numpy(self.ema.module.log_prob(as_tensor(points)))

    @torch.no_grad()
    def layers_forward(self, z: np.ndarray, upto: int | None = None) -> list[np.ndarray]:
        """Return z and its image after each coupling (z → x): the base grid warping;
        with `upto`, only through the first `upto` couplings (items 0…upto)."""
        x = as_tensor(z)
        out = [to_numpy(x)]
        for layer in self.ema.module.layers[:upto]:
            x = layer(x)
            out.append(to_numpy(x))
        return out

    @torch.no_grad()
    def layers_inverse(self, points: np.ndarray, downto: int = 0) -> list[np.ndarray]:
        """Return data points as they are after k couplings, k = downto…K (the couplings
        undone one by one, x → z): the last item is x itself, item k − downto lines up
        with item k of `layers_forward`; with downto 0 the first item is z = f⁻¹(x)."""
        x = as_tensor(points)
        out = [to_numpy(x)]
        for layer in reversed(self.ema.module.layers[downto:]):
            x, _ = layer.inverse(x)
            out.append(to_numpy(x))
        return out[::-1]

    @torch.no_grad()
    def to_latent(self, points: np.ndarray) -> np.ndarray:
        """Return z = f⁻¹(x) for data points."""
        x = as_tensor(points)
        for layer in reversed(self.ema.module.layers):
            x, _ = layer.inverse(x)
        return to_numpy(x)

    def roundtrip_error(self, points: np.ndarray) -> float:
        """Return the largest |f(f⁻¹(x)) − x| over the points (float32 round-off)."""
        back = self.layers_forward(self.to_latent(points))[-1]
        return float(np.abs(back - np.asarray(points, dtype=np.float32)).max())

    @staticmethod
    def base_samples(n: int, seed: int = 0) -> np.ndarray:
        """Return the n base points z ~ N(0, I) that `sample(n, seed)` maps to data space."""
        return to_numpy(torch.randn(n, 2, generator=torch.Generator().manual_seed(seed)))

    @torch.no_grad()
    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        return self.layers_forward(self.base_samples(n, seed))[-1]
