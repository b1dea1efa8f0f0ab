"""What the Toy lab draws, computed from a toy model as numpy arrays (toy lane).

`ToyView` is the immutable snapshot that crosses to the GUI thread; `ViewBuilder` makes
one from the model being trained. Nothing here imports torch at module level: the model's
own methods do the computing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from models.toy.data import ToyData
from models.toy.metrics import Grid, grid_divergence, mode_stats

HEAT_BINS = 64  # the heatmap's cells per side
SHOWN_SAMPLES = 600  # model samples drawn (GAN, VAE, flow, EBM)
PARTICLES = 300  # reverse-process particles (diffusion, score)
PARTICLE_FRAMES = 60  # frames of the reverse process kept for the animation
METRIC_SAMPLES = 2000
ARROW_GRID = 15  # field arrows per side
TRANSPORT_GRID = 12  # z grid per side (GAN transport, VAE decoded latent grid)


@dataclass(frozen=True)
class Metrics:
    """The live metrics line: modes covered (None off mixtures), the high-quality share,
    grid KL and JS in nats, and what the samples came from."""

    modes: int | None
    n_modes: int | None
    high_quality: float | None
    kl: float
    js: float
    source: str


@dataclass(frozen=True)
class ToyView:
    """One snapshot of a run: copies never touched again by the lane.

    `heat` (bins, bins), rows along y from −extent, with its `heat_label`; `arrows`
    (m, 4) as x, y, dx, dy in data units; `segments` (k, 4) line pieces x0, y0, x1, y1;
    `frames` (f, n, 2) the reverse process, noise first."""

    family: str
    step: int
    steps_per_s: float
    extent: float
    samples: np.ndarray
    losses: dict[str, float] = field(default_factory=dict)
    heat: np.ndarray | None = None
    heat_label: str = ""
    arrows: np.ndarray | None = None
    segments: np.ndarray | None = None
    frames: np.ndarray | None = None
    metrics: Metrics | None = None


def grid_points(extent: float, n: int) -> np.ndarray:
    """Return the (n*n, 2) centres of an n×n grid on [-extent, extent]², x fastest."""
    return Grid(extent, n).centres.astype(np.float32)


def field_arrows(points: np.ndarray, vectors: np.ndarray, length: float) -> np.ndarray:
    """Return arrows (m, 4) at the points, scaled so the longest is `length` long."""
    v = np.asarray(vectors, dtype=np.float32)
    top = float(np.abs(v).max()) if len(v) else 0.0
    scale = length / top if top > 0 else 0.0
    return np.concatenate([points, v * scale], 1).astype(np.float32)


def compute_metrics(samples: np.ndarray, data: ToyData, source: str) -> Metrics:
    """Return the metrics of `samples` against the true distribution of `data`."""
    div = grid_divergence(samples, data)
    if data.is_mixture:
        stats = mode_stats(samples, data)
        return Metrics(stats.modes_covered, len(data.centres), stats.high_quality,
                       div.kl, div.js, source)
    return Metrics(None, None, None, div.kl, div.js, source)


class ViewBuilder:
    """Builds ToyViews of one model (toy lane). Samples shown always come from the same
    seed, so the same weights give the same picture."""

    def __init__(self, model, control) -> None:
        self.model = model
        self.control = control
        self.data: ToyData = model.data
        e = self.data.extent
        self.heat_points = grid_points(e, HEAT_BINS)
        self.arrow_points = grid_points(e, ARROW_GRID)
        self.z_grid = grid_points(2.0, TRANSPORT_GRID)
        self.metrics: Metrics | None = None
        self._metrics_due = 0.0
        self._metrics_cost = 0.0

    def build(self, steps_per_s: float, losses: dict[str, float],
              force_metrics: bool = False) -> ToyView:
        """Return a snapshot of the model now; metrics are refreshed at most about once a
        second (and at most a fifth of the time), or when forced."""
        family = self.model.family
        parts = getattr(self, f"_{family}")()
        now = time.perf_counter()
        if force_metrics or now >= self._metrics_due:
            samples, source = self._metric_samples()
            self.metrics = compute_metrics(samples, self.data, source)
            self._metrics_cost = time.perf_counter() - now
            self._metrics_due = now + max(1.0, 5 * self._metrics_cost)
        return ToyView(family, self.model.steps, steps_per_s, self.data.extent,
                       losses=dict(losses), metrics=self.metrics, **parts)

    # --- per family: the view that explains it ---------------------------------------
    def _gan(self) -> dict:
        m = self.model
        samples = m.sample(SHOWN_SAMPLES, seed=0)
        d = m.decision(self.heat_points).reshape(HEAT_BINS, HEAT_BINS)
        label = "D(x) = P(real)" if m.config.loss == "ns" else "critic D(x)"
        grads = m.fake_gradients(samples[:150])
        parts = {"samples": samples, "heat": d, "heat_label": label,
                 "arrows": field_arrows(samples[:150], grads, 0.35)}
        if self.control.transport:
            z = np.zeros((len(self.z_grid), m.config.noise_dim), np.float32)
            k = min(2, m.config.noise_dim)
            z[:, :k] = self.z_grid[:, :k]
            parts["segments"] = np.concatenate([z[:, :2] if k == 2 else
                                                np.pad(z[:, :1], ((0, 0), (0, 1))),
                                                m.transport(z)], 1)
        return parts

    def _vae(self) -> dict:
        m = self.model
        z = np.zeros((len(self.z_grid), m.config.latent_dim), np.float32)
        z[:, :2] = self.z_grid[:, :2] if m.config.latent_dim >= 2 else self.z_grid[:, :1]
        decoded = m.decode(z).reshape(TRANSPORT_GRID, TRANSPORT_GRID, 2)
        # the decoded latent grid as its warped grid lines (rows, then columns)
        rows = np.concatenate([decoded[:, :-1], decoded[:, 1:]], 2).reshape(-1, 4)
        cols = np.concatenate([decoded[:-1], decoded[1:]], 2).reshape(-1, 4)
        return {"samples": m.sample(SHOWN_SAMPLES, seed=0),
                "segments": np.concatenate([rows, cols]).astype(np.float32)}

    def _diffusion(self) -> dict:
        m = self.model
        frames = [step.x for step in m.ddpm(PARTICLES, seed=0)]
        T = m.config.timesteps
        t = min(T - 1, round(self.control.field_t * (T - 1)))
        eps = m.eps_field(self.arrow_points, t)
        # the direction the reverse process moves x at t: −ε (the score times √(1−ᾱ_t))
        return {"samples": frames[-1], "frames": _keep_frames(frames),
                "arrows": field_arrows(self.arrow_points, -eps, 0.3),
                "heat_label": f"−ε̂ at t = {t}"}

    def _score(self) -> dict:
        m = self.model
        frames = [step.x for step in m.langevin(PARTICLES, seed=0)]
        sigmas = m.sigmas.numpy()
        i = min(len(sigmas) - 1, round((1 - self.control.field_t) * (len(sigmas) - 1)))
        score = m.score_field(self.arrow_points, float(sigmas[i]))
        return {"samples": frames[-1], "frames": _keep_frames(frames),
                "arrows": field_arrows(self.arrow_points, score, 0.3),
                "heat_label": f"score at σ = {sigmas[i]:.3g}"}

    def _flow(self) -> dict:
        m = self.model
        logp = m.log_prob(self.heat_points).reshape(HEAT_BINS, HEAT_BINS)
        return {"samples": m.sample(SHOWN_SAMPLES, seed=0),
                "heat": np.maximum(logp, -12.0), "heat_label": "log p(x), exact"}

    def _ebm(self) -> dict:
        m = self.model
        energy = m.energy_at(self.heat_points).reshape(HEAT_BINS, HEAT_BINS)
        chains = m.chains.numpy()[:SHOWN_SAMPLES].copy()
        return {"samples": chains, "heat": -energy, "heat_label": "−E(x)  (chains: Langevin)"}

    def _metric_samples(self) -> tuple[np.ndarray, str]:
        m = self.model
        if m.family == "ebm":
            # 500 Langevin steps per sample would stall the run: the persistent chains are
            # the model's samples during training
            return m.chains.numpy().copy(), "persistent chains"
        n = METRIC_SAMPLES // 2 if m.family in ("diffusion", "score") else METRIC_SAMPLES
        return m.sample(n, seed=1), f"{n} samples"


def _keep_frames(frames: list[np.ndarray]) -> np.ndarray:
    """Return at most PARTICLE_FRAMES frames, evenly spaced, the last one included."""
    idx = np.unique(np.linspace(0, len(frames) - 1, min(PARTICLE_FRAMES, len(frames)))
                    .round().astype(int))
    return np.stack([frames[i] for i in idx]).astype(np.float32)
