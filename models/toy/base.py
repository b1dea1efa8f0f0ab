"""What every toy family shares: the step event, the `run()` generator, seeding, MLPs."""

from __future__ import annotations

import collections
import itertools
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from models.toy.data import ToyData


@dataclass(frozen=True)
class ToyStep:
    """One finished training step: its number (from 1), its losses, and the seconds of
    training so far (time spent by the consumer between yields not counted)."""

    step: int
    losses: dict[str, float]
    elapsed: float


@dataclass
class ToyConfig:
    """Settings every family has; each family's config adds its own."""

    hidden: int = 64
    layers: int = 3
    lr: float = 1e-3
    batch: int = 256
    seed: int = 0


def mlp(n_in: int, n_out: int, hidden: int, layers: int, act: type[nn.Module] = nn.SiLU,
        spectral: bool = False) -> nn.Sequential:
    """Return an MLP with `layers` hidden layers of `hidden` units (≥ 0 hidden layers)."""
    wrap = nn.utils.parametrizations.spectral_norm if spectral else (lambda m: m)
    dims = [n_in] + [hidden] * layers
    mods: list[nn.Module] = []
    for a, b in itertools.pairwise(dims):
        mods += [wrap(nn.Linear(a, b)), act()]
    mods.append(wrap(nn.Linear(dims[-1], n_out)))
    return nn.Sequential(*mods)


def last_of(items: Iterable):
    """Return the last item an iterable yields (a sampler's final step)."""
    return collections.deque(items, maxlen=1)[0]


def to_numpy(t: torch.Tensor) -> np.ndarray:
    """Return a float32 copy safe to hand to another thread."""
    return t.detach().cpu().numpy().astype(np.float32, copy=True)


def as_tensor(points: np.ndarray) -> torch.Tensor:
    """Return (n, 2) points as a float32 tensor."""
    return torch.as_tensor(np.asarray(points, dtype=np.float32))


class ToyModel:
    """Base of the toy families: a dataset, modules built from a seed, one `train_step`.

    Subclasses set `family`, build their modules in `build()` and implement
    `train_step() -> dict[str, float]` and `sample(n, seed) -> (n, 2) array`."""

    family = "toy"

    def __init__(self, config: ToyConfig, data: ToyData) -> None:
        self.config = config
        self.data = data
        self.steps = 0
        self._points = as_tensor(data.points)
        self._stop = False
        self._elapsed = 0.0
        # weights from the seed, without touching the caller's global torch RNG
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed)
            self.build()
        self.gen = torch.Generator().manual_seed(config.seed + 1)

    def build(self) -> None:
        """Create the modules and optimisers (called once, under the config's seed)."""
        raise NotImplementedError

    def train_step(self) -> dict[str, float]:
        """Run one update and return its losses."""
        raise NotImplementedError

    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        """Return n model samples (n, 2), the same for the same seed and weights."""
        raise NotImplementedError

    def batch(self, n: int | None = None) -> torch.Tensor:
        """Return a minibatch of data points drawn with the model's generator."""
        idx = torch.randint(len(self._points), (n or self.config.batch,), generator=self.gen)
        return self._points[idx]

    def randn(self, *shape: int) -> torch.Tensor:
        """Return standard normal noise from the model's generator."""
        return torch.randn(*shape, generator=self.gen)

    def request_stop(self) -> None:
        """Make `run()` end after the step under way (any thread may call it)."""
        self._stop = True

    def run(self, steps: int | None = None) -> Iterator[ToyStep]:
        """Yield a ToyStep after each training step until `steps` more are done (None:
        until stopped). Pausing is not calling next(); stopping is `request_stop()` or
        closing the generator — either lands between steps."""
        self._stop = False
        end = None if steps is None else self.steps + steps
        while not self._stop and (end is None or self.steps < end):
            t0 = time.perf_counter()
            losses = self.train_step()
            self.steps += 1
            self._elapsed += time.perf_counter() - t0
            yield ToyStep(self.steps, losses, self._elapsed)

    def describe(self) -> dict:
        """Return the family, config, dataset name and step count as JSON-able data."""
        return {"family": self.family, "config": asdict(self.config),
                "dataset": self.data.name, "steps": self.steps}



class Ema:
    """An exponential moving average of a module's weights (sampling uses the average:
    on toy data it removes most of the step-to-step jitter of the learned density)."""

    def __init__(self, module: nn.Module, decay: float) -> None:
        import copy

        self.decay = decay
        self.module = copy.deepcopy(module).requires_grad_(False)
        self._src = list(module.parameters())
        self._dst = list(self.module.parameters())

    @torch.no_grad()
    def update(self) -> None:
        """Move the average towards the current weights."""
        torch._foreach_lerp_(self._dst, self._src, 1 - self.decay)
