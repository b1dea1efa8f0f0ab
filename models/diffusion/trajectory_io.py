"""A recorded denoising trajectory: collected from events, saved to and loaded from .npz."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from models.diffusion.events import DenoiseEvent, DenoiseFinished, DenoiseStep
from models.diffusion.samplers import Departures

TRAJECTORY_FORMAT = "latentlab-trajectory"


@dataclass(frozen=True)
class Trajectory:
    """Stacked steps: x_t, eps and x0 are S×B×C×H×W float32; final is B×C×H×W.

    `meta` says how it was made (sampler, steps, eta, seed, guidance, labels, image_size)
    and which departures from diffusers' own pipelines ran (`departures`).
    """

    timesteps: np.ndarray  # S float64
    alpha_bar: np.ndarray  # S float64
    x_t: np.ndarray
    eps: np.ndarray
    x0: np.ndarray
    final: np.ndarray
    start_index: int = 0
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_events(cls, events: Iterable[DenoiseEvent], meta: dict[str, Any] | None = None
                    ) -> Trajectory:
        """Return the trajectory of a finished run of `trajectory()` events."""
        steps: list[DenoiseStep] = []
        final = None
        for e in events:
            if isinstance(e, DenoiseStep):
                steps.append(e)
            elif isinstance(e, DenoiseFinished):
                final = e.x0
        if final is None or not steps:
            raise ValueError("the trajectory did not finish")
        return cls(np.array([s.timestep for s in steps]), np.array([s.alpha_bar for s in steps]),
                   np.stack([s.x_t for s in steps]), np.stack([s.eps for s in steps]),
                   np.stack([s.x0 for s in steps]), final, steps[0].index, dict(meta or {}))

    @property
    def departures(self) -> Departures | None:
        """Return the departures from diffusers recorded in `meta` (rederive_noise,
        emulate_clip, noise_per_step), or None for a trajectory that does not say (saved
        before they were recorded)."""
        names = Departures.names()
        if not all(isinstance(self.meta.get(name), bool) for name in names):
            return None
        return Departures(**{name: self.meta[name] for name in names})

    @property
    def num_steps(self) -> int:
        """Return the number of recorded steps."""
        return len(self.timesteps)

    def step(self, k: int) -> DenoiseStep:
        """Return recorded step k (counting from the first recorded one) as an event."""
        total = self.start_index + self.num_steps
        return DenoiseStep(self.start_index + k, total, float(self.timesteps[k]),
                           float(self.alpha_bar[k]), self.x_t[k], self.eps[k], self.x0[k])

    def save(self, path: Path | str) -> Path:
        """Write the trajectory to an uncompressed .npz atomically; return the path.

        Uncompressed because noise does not compress and zlib would dominate the time.
        """
        from models.checkpoint.atomic import atomic_write

        path = Path(path)
        buf = io.BytesIO()
        meta = {"format": TRAJECTORY_FORMAT, "start_index": self.start_index, **self.meta}
        np.savez(buf, timesteps=self.timesteps, alpha_bar=self.alpha_bar, x_t=self.x_t,
                 eps=self.eps, x0=self.x0, final=self.final,
                 meta=np.array(json.dumps(meta)))
        atomic_write(path, buf.getvalue())
        return path

    @classmethod
    def load(cls, path: Path | str) -> Trajectory:
        """Return the trajectory in `path`; ValueError naming the file if it is not one."""
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as z:
                meta = json.loads(str(z["meta"]))
                if meta.pop("format", None) != TRAJECTORY_FORMAT:
                    raise ValueError("not a Latent Lab trajectory")
                start = int(meta.pop("start_index", 0))
                return cls(z["timesteps"], z["alpha_bar"], z["x_t"], z["eps"], z["x0"],
                           z["final"], start, meta)
        except (OSError, KeyError, ValueError) as exc:
            raise ValueError(f"{path}: cannot read trajectory ({exc})") from exc
